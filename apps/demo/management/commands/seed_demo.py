"""Demo data for the embedded system. Idempotent: running it again refreshes, never duplicates.

Users (one per role, and a second manager for four eyes), the products' rules and service
charges, then about two hundred members with Daily Susu, Shares and Monthly Contribution accounts
and twelve months of history, each business day opened, posted and closed through the services
(apps/demo/history.py), and today's business day started (apps/demo/cash_desk.py seed_today):
the demo cashier's drawer open on a float from the vault and the demo mobile banker's morning
round of collections, not yet remitted; then large movements and a reversal left waiting in the
approvals queue (apps/demo/approvals.py). Loans in every state are made on their days of the history
and today (apps/demo/lending.py); a line gives them by status with the portfolio's figures. A second
run refreshes the passwords and adds nothing.

The demo app is installed by the development and test settings only: production has no such
command (its logins have a published password).
"""

import os
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from apps.cash import services
from apps.core.models import BusinessDay
from apps.core.money import format_money
from apps.members.models import Member

from ...approvals import seed_approvals
from ...cash_desk import CashDesk, seed_today
from ...history import seed_banking
from ...staff import demo_staff, seed_users

DEFAULT_PASSWORD = "Coastal-demo-2026"


def demo_present() -> bool:
    """Whether a full seed has run here: it ends by leaving a business day open after the history,
    and the demo customer's member is registered in its first month. (A seed stopped part way
    rolled back its last month and opened no day, so it is not taken for a finished one.)"""
    return (Member.objects.filter(user__email="customer@example.com").exists()
            and BusinessDay.objects.filter(status=BusinessDay.Status.OPEN).exists())


class Command(BaseCommand):
    help = "Create demo users (one per role) and demo banking data. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD,
                            help=f"password for every demo login (default: {DEFAULT_PASSWORD})")
        parser.add_argument("--users-only", action="store_true",
                            help="only the demo logins, without members, accounts and history")
        parser.add_argument("--if-missing", action="store_true",
                            help="refresh the demo logins but add no banking data when the demo is already "
                                 "there (its customer's member exists and a business day is open)")
        parser.add_argument("--summary", metavar="FILE",
                            help="also write what this prints (figures, logins, authenticator keys and backup "
                                 "codes) to FILE, readable by its owner only; with -v 0 only there")

    def handle(self, *args, password, users_only=False, if_missing=False, summary=None, **options):
        self._lines = []
        self._quiet = options["verbosity"] == 0
        try:
            self._seed(password=password, users_only=users_only, if_missing=if_missing)
        finally:
            if summary:
                path = Path(summary)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.unlink(missing_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write("\n".join(self._lines) + "\n")

    def write(self, text: str = "", style=None) -> None:
        self._lines.extend(text.splitlines() or [""])
        if not self._quiet:
            self.stdout.write(style(text) if style else text)

    def _seed(self, *, password, users_only, if_missing):
        with transaction.atomic():
            users = seed_users(password=password)
        if users_only:
            self._print_logins(users, password)
            return
        if if_missing and demo_present():
            self.write(f"Demo data already present ({timezone.localtime():%d %b %Y %H:%M}): logins refreshed, "
                       "nothing else added.")
            self._print_logins(users, password)
            return
        # DEBUG (the dev default) logs every query; tens of thousands of postings do not need that.
        with override_settings(DEBUG=False):
            staff = demo_staff()
            desk = CashDesk(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
            banking = seed_banking(progress=self.write, desk=desk)
            today = seed_today(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
            queue = seed_approvals(staff=staff)
        self.write("Demo data is ready.", self.style.SUCCESS)
        took = f" in {banking['seconds']:.0f}s" if banking["seconds"] is not None else ""
        self.write(
            f"  {banking['members']} members ({banking['verified']} KYC verified, {banking['assigned']} assigned "
            f"to the mobile banker), {banking['accounts']} accounts, {banking['transactions']} transactions over "
            f"{banking['days']} business days{took}" + (f" — {banking['note']}" if banking["note"] else ""))
        self.write(
            f"  {banking['charges']} service charges ({banking['charged']} transactions paid one), "
            f"{banking['payments']} bill and school-fee payments, {banking['approved']} large movements approved "
            f"and {banking['rejected']} rejected, {banking['reversals']} reversals")
        self.write(f"  Loan products: {', '.join(banking['loan_products'])}")
        self._print_loans(banking["loans"])
        self._print_today(today)
        self.write(f"  Approvals queue: {queue['pending']} waiting for a manager"
                          + (f" — {queue['note']}" if queue["note"] else ""))
        self._print_logins(users, password)

    def _print_loans(self, loans):
        by_status = ", ".join(f"{count} {status}" for status, count in loans["by_status"].items())
        arrears = ", ".join(f"{count} in {name}" for name, count in loans["buckets"].items()
                            if name != "current" and count)
        par = f"PAR 30 {Decimal(loans['par30']) * 100:.1f} %" + (f" ({arrears} days in arrears)" if arrears else "")
        self.write(f"  Loans: {by_status}; portfolio {format_money(loans['gross'])} outstanding, {par}"
                   f"; {format_money(loans['written_off'])} written off, {format_money(loans['recovered'])} "
                   f"recovered; {loans['guarantee_requests']} guarantee requests waiting")

    def _print_today(self, today):
        if today.business_date is None:
            self.write(f"  Today: {today.note}")
            return
        drawer = (f"drawer open with {format_money(today.drawer.opening_balance)}"
                  if today.drawer is not None and today.drawer.status == "open" else "no drawer open")
        run = today.run
        if run is None:
            field = "no field collections"
        elif run.status == "open":
            held = format_money(services.field_cash_expected(run.gl_account))
            field = f"{held} collected in the field, not yet remitted"
        else:
            field = "remitted today's collections"
        self.write(f"  Business day {today.business_date:%d %b %Y}: the cashier's {drawer}; the mobile "
                          f"banker has {field}" + (f" — {today.note}" if today.note else ""))

    def _print_logins(self, users, password):
        self.write(f"\nDemo logins (password for all: {password})")
        for entry in users:
            self.write(f"  {entry['role']:<20} {entry['email']}")
            if entry["totp_secret"]:
                self.write(f"  {'':<20}   authenticator key {entry['totp_secret']}; "
                                  f"backup codes {' '.join(entry['backup_codes'])}")
