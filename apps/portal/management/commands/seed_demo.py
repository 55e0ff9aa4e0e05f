"""Demo data for the embedded system. Idempotent: running it again refreshes, never duplicates.

Users (one per role, and a second manager for four eyes), the products' rules and service
charges, then about two hundred members with Daily Susu, Shares and Monthly Contribution accounts
and twelve months of history posted through the ledger services (see apps/ledger/demo.py), and
today's business day started (apps/cash/demo.py seed_today): the demo cashier's drawer open on a
float from the vault and the demo mobile banker's morning round of collections, not yet remitted;
then large movements and a reversal left waiting in the approvals queue (seed_approvals). A second
run refreshes the passwords and adds nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from apps.cash import services
from apps.cash.demo import CashDesk, seed_today
from apps.ledger.demo import demo_staff, seed_approvals, seed_banking
from apps.users.demo import seed_users

DEFAULT_PASSWORD = "Coastal-demo-2026"


class Command(BaseCommand):
    help = "Create demo users (one per role) and demo banking data. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD,
                            help=f"password for every demo login (default: {DEFAULT_PASSWORD})")
        parser.add_argument("--users-only", action="store_true",
                            help="only the demo logins, without members, accounts and history")

    def handle(self, *args, password, users_only=False, **options):
        with transaction.atomic():
            users = seed_users(password=password)
        if users_only:
            self._print_logins(users, password)
            return
        # DEBUG (the dev default) logs every query; tens of thousands of postings do not need that.
        with override_settings(DEBUG=False):
            staff = demo_staff()
            desk = CashDesk(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
            banking = seed_banking(progress=self.stdout.write, desk=desk)
            today = seed_today(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
            queue = seed_approvals(staff=staff)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        took = f" in {banking['seconds']:.0f}s" if banking["seconds"] is not None else ""
        self.stdout.write(
            f"  {banking['members']} members ({banking['verified']} KYC verified, {banking['assigned']} assigned "
            f"to the mobile banker), {banking['accounts']} accounts, {banking['transactions']} transactions over "
            f"{banking['days']} business days{took}" + (f" — {banking['note']}" if banking["note"] else ""))
        self.stdout.write(
            f"  {banking['charges']} service charges ({banking['charged']} transactions paid one), "
            f"{banking['payments']} bill and school-fee payments, {banking['approved']} large movements approved "
            f"and {banking['rejected']} rejected, {banking['reversals']} reversals")
        self._print_today(today)
        self.stdout.write(f"  Approvals queue: {queue['pending']} waiting for a manager"
                          + (f" — {queue['note']}" if queue["note"] else ""))
        self._print_logins(users, password)

    def _print_today(self, today):
        if today.business_date is None:
            self.stdout.write(f"  Today: {today.note}")
            return
        drawer = (f"drawer open with GH₵ {today.drawer.opening_balance:,.2f}"
                  if today.drawer is not None and today.drawer.status == "open" else "no drawer open")
        run = today.run
        field = ("no field collections" if run is None else
                 f"GH₵ {services.field_cash_expected(run.gl_account):,.2f} collected in the field, not yet remitted"
                 if run.status == "open" else "remitted today's collections")
        self.stdout.write(f"  Business day {today.business_date:%d %b %Y}: the cashier's {drawer}; the mobile "
                          f"banker has {field}" + (f" — {today.note}" if today.note else ""))

    def _print_logins(self, users, password):
        self.stdout.write(f"\nDemo logins (password for all: {password})")
        for entry in users:
            self.stdout.write(f"  {entry['role']:<20} {entry['email']}")
            if entry["totp_secret"]:
                self.stdout.write(f"  {'':<20}   authenticator key {entry['totp_secret']}; "
                                  f"backup codes {' '.join(entry['backup_codes'])}")
