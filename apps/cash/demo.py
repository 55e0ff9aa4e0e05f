"""The demo branch's cash desk: the vault, the cashier's drawer and the field banker's daily run.

The demo history (apps/ledger/demo.py) takes cash in and pays it out over the counter; with the
cash app installed that only works from an open drawer, and a field banker's collections go
into their own field cash until remitted. This desk does the branch's day through the cash
services: a float from the vault is issued and counted into the drawer in the morning, the
banker remits the day's collections to the cashier after the round, and the drawer is counted
and closed in the evening (the counts always match the ledger, so there is no variance).
"""

from decimal import Decimal

from apps.core.business_day import current_business_date
from apps.ledger.models import ZERO

from . import services
from .models import CashDrawer, CollectionRun, Denomination

OPENING_VAULT_CASH = Decimal("250000.00")
DAILY_FLOAT = Decimal("20000.00")


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
            services.vault_receive(actor=self.manager, amount=OPENING_VAULT_CASH,
                                   note="Opening cash for the branch, bank withdrawal slip 004417")

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
        held = services.gl_balance(run.gl_account)
        services.field_remit(actor=self.banker, cashier=self.cashier, denominations=count_for(held))
        self.drawer_cash += held

    def close_day(self) -> None:
        if self.drawer is None:
            return
        expected = services.drawer_expected(self.drawer)
        services.drawer_close(actor=self.cashier, drawer=self.drawer, denominations=count_for(expected))
        self.drawer, self.drawer_cash = None, ZERO
