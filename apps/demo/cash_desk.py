"""The demo branch's cash desk: the vault, the cashier's drawer and the field banker's daily run.

The demo history (history.py) takes cash in and pays it out over the counter; with the cash app
that only works from an open drawer, and a field banker's collections go into their own field
cash until remitted. This desk does the branch's day through the cash services: a float from
the vault is issued and counted into the drawer in the morning, the banker remits the day's
collections to the cashier after the round, and the drawer is counted and closed in the evening
(the counts always match the ledger, so there is no variance and the closing checklist is clear).

`seed_today` then starts the day the history leaves open (today's): the cashier's drawer is
opened with a float from the vault and the mobile banker makes the morning's round of collections
from their Daily Susu members, not yet remitted, so the drawer page, the collection sheet and the
branch cash position have something live to show.
"""

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.cash import services
from apps.cash.models import CashDrawer, CollectionRun, Denomination, FloatIssue
from apps.core.business_day import BusinessDayClosed, current_business_date
from apps.ledger.errors import LedgerError
from apps.ledger.models import ZERO, Account

from .data import load, money
from .members import DEMO_SEED

CASH = load("bank")["cash"]
OPENING_VAULT_CASH = money(CASH["opening_vault_cash"])
DAILY_FLOAT = money(CASH["daily_float"])
TODAY_ROUND = CASH["today_round"]  # the share of the banker's members who have paid by the time the demo is opened


def count_for(amount: Decimal) -> dict[str, int]:
    """Notes and coins that make up `amount` (largest first), as the cash services take a count."""
    counts, left = {}, amount
    for value in Denomination.objects.filter(is_active=True).order_by("-value").values_list("value", flat=True):
        number = int(left // value)
        if number:
            counts[f"{value:.2f}"] = number
            left -= number * value
    if left:
        raise ValueError(f"{amount} cannot be counted in the active denominations.")
    return counts or {"1.00": 0}


class CashDesk:
    """What the demo history calls at fixed times of each business day."""

    def __init__(self, *, cashier, banker, manager):
        self.cashier, self.banker, self.manager = cashier, banker, manager
        self.drawer: CashDrawer | None = None
        self.drawer_cash = ZERO

    def start(self) -> None:
        """Once, before the first day: cash for the branch from its bank account."""
        if services.vault_balance() < DAILY_FLOAT:
            services.vault_receive(actor=self.manager, amount=OPENING_VAULT_CASH, note=CASH["first_vault_note"])

    def open_day(self) -> None:
        self.drawer = services.current_drawer(self.cashier)
        if self.drawer is None:
            services.float_issue(actor=self.manager, cashier=self.cashier, amount=DAILY_FLOAT)
            self.drawer = services.drawer_open(actor=self.cashier, denominations=count_for(DAILY_FLOAT))
        self.drawer_cash = services.drawer_expected(self.drawer)

    def can_pay(self, amount: Decimal) -> bool:
        return self.drawer is not None and amount <= self.drawer_cash

    def moved(self, amount: Decimal) -> None:
        """Cash the cashier took in (positive) or paid out (negative) over the counter."""
        self.drawer_cash += amount

    def remit_field_cash(self) -> None:
        run = CollectionRun.objects.filter(banker=self.banker, business_date=current_business_date(),
                                           status=CollectionRun.Status.OPEN).first()
        if run is None or self.drawer is None:
            return
        held = services.field_cash_expected(run.gl_account)
        services.field_remit(actor=self.banker, cashier=self.cashier, denominations=count_for(held))
        self.drawer_cash += held

    def close_day(self) -> None:
        if self.drawer is None:
            return
        expected = services.drawer_expected(self.drawer)
        services.drawer_close(actor=self.cashier, drawer=self.drawer, denominations=count_for(expected))
        self.drawer, self.drawer_cash = None, ZERO


# --- today --------------------------------------------------------------------------------------

@dataclass
class Today:
    business_date: object = None
    drawer: CashDrawer | None = None
    float_issued: bool = False
    drawer_opened: bool = False
    collected: int = 0  # collections made by this call
    run: CollectionRun | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        return "; ".join(self.notes)


@transaction.atomic
def seed_today(*, cashier, banker, manager) -> Today:
    """Start the open business day through the cash services, once: the manager issues the day's
    float and the cashier counts it into their drawer; the banker collects from most of their Daily
    Susu members (each member's daily amount, one collection each, under an idempotency key made of
    the date and the account) and keeps the cash for the afternoon's remittance.

    Running it again changes nothing: an open drawer for the day is kept, a float is never issued
    twice, a member already collected from today is skipped and a repeated key would post nothing.
    A drawer left open from an earlier day, or a run already remitted, is reported and left alone."""
    today = Today()
    try:
        today.business_date = current_business_date()
    except BusinessDayClosed as exc:
        today.notes.append(f"no business day is open ({exc}); nothing started")
        return today
    _open_drawer(today, cashier=cashier, manager=manager)
    _collect_round(today, banker=banker)
    return today


def _open_drawer(today: Today, *, cashier, manager) -> None:
    drawer = services.current_drawer(cashier)
    if drawer is not None:
        today.drawer = drawer
        if drawer.status != CashDrawer.Status.OPEN or drawer.business_date != today.business_date:
            today.notes.append(f"{cashier.email} has a drawer from {drawer.business_date} that is "
                               f"{drawer.get_status_display().lower()}; no drawer opened for today")
        return
    issue = FloatIssue.objects.filter(cashier=cashier, business_date=today.business_date).first()
    if issue is not None and issue.drawer_id is not None:
        today.notes.append(f"{cashier.email} already opened and closed a drawer today")
        return
    if issue is None:
        if services.vault_balance() < DAILY_FLOAT:
            services.vault_receive(actor=manager, amount=OPENING_VAULT_CASH, note=CASH["later_vault_note"])
        issue = services.float_issue(actor=manager, cashier=cashier, amount=DAILY_FLOAT)
        today.float_issued = True
    today.drawer = services.drawer_open(actor=cashier, denominations=count_for(issue.amount))
    today.drawer_opened = True


def _collect_round(today: Today, *, banker) -> None:
    run = CollectionRun.objects.filter(banker=banker, business_date=today.business_date).first()
    if run is not None and run.status != CollectionRun.Status.OPEN:
        today.run = run
        today.notes.append(f"{banker.email} already remitted today's collections")
        return
    refused = []
    sheet = services.collection_sheet(banker)
    accounts = Account.objects.in_bulk([row["account_id"] for row in sheet])
    for row in sheet:
        rng = random.Random(f"coastal-today:{DEMO_SEED}:{today.business_date.isoformat()}:{row['account_id']}")
        pays = rng.random() < TODAY_ROUND
        if not pays or row["collected_today"] > 0 or not row["daily_amount"]:
            continue
        key = f"demo-round-{today.business_date:%Y%m%d}-{row['account_id']}"
        try:
            with transaction.atomic():
                services.field_collect(actor=banker, account=accounts[row["account_id"]],
                                       amount=row["daily_amount"], idempotency_key=key)
        except (LedgerError, ValidationError, PermissionDenied) as exc:
            refused.append(f"{row['account_number']}: {exc}")
            continue
        today.collected += 1
    today.run = CollectionRun.objects.filter(banker=banker, business_date=today.business_date).first()
    if refused:
        today.notes.append(f"{len(refused)} collections refused, e.g. {refused[0]}")
