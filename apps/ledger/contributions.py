"""What a member promised to save and what they paid: Daily Susu days and Monthly Contribution months.

Daily Susu and Monthly Contribution accounts carry a fixed `contribution_amount` (a day's or a
month's). Payments are the member's own money coming in: cash deposits and transfers into the
account, completed. Interest, dividends and reversals are not contributions.

Monthly months are counted from the month the account was opened up to the given day. Coverage
is cumulative, as in a passbook: money paid beyond one month's amount covers the months after it
("paid in advance"); a month that ended without being covered is "missed" and stays missed in the
history, while the arrears figure shows what is still owed today (a later payment reduces it).
The current contribution amount is used for every month.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum

from apps.audit.services import record
from apps.core.money import InvalidAmount, parse_amount
from apps.core.roles import Role

from .errors import LedgerError
from .lifecycle import cycle_bounds, opened_on, susu_cycle_grid
from .models import ZERO, Account, Product, Transaction

CONTRIBUTION_KINDS = (Product.Kind.DAILY_SUSU, Product.Kind.MONTHLY_CONTRIBUTION)
PAYMENT_TYPES = (Transaction.Type.DEPOSIT, Transaction.Type.TRANSFER)
SETTERS = (Role.CASHIER, Role.MOBILE_BANKER, Role.MANAGER, Role.OPERATIONS_MANAGER)


@dataclass(frozen=True)
class Month:
    start: date
    due: Decimal
    paid: Decimal
    status: str  # paid, advance, missed, due

    @property
    def label(self) -> str:
        return {"paid": "Paid", "advance": "Paid in advance", "missed": "Missed", "due": "Due"}[self.status]


@dataclass(frozen=True)
class MonthlySchedule:
    amount: Decimal
    months: list[Month]
    paid_total: Decimal
    due_total: Decimal

    @property
    def missed(self) -> int:
        return sum(1 for month in self.months if month.status == "missed")

    @property
    def arrears(self) -> Decimal:
        """Owed today for the months that have ended (the current month is not yet late)."""
        ended = self.due_total - (self.amount if self.months and self.months[-1].status == "due" else ZERO)
        return max(ended - self.paid_total, ZERO)

    @property
    def months_ahead(self) -> int:
        return sum(1 for month in self.months if month.status == "advance")


def _month_starts(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def monthly_schedule(account: Account, on: date) -> MonthlySchedule | None:
    """Month by month since opening: due, paid, and whether each month was paid, in advance, or missed."""
    amount = account.contribution_amount
    if account.product.kind != Product.Kind.MONTHLY_CONTRIBUTION or not amount:
        return None
    opened = opened_on(account)
    rows = (Transaction.objects.filter(to_account=account, transaction_type__in=PAYMENT_TYPES,
                                       status=Transaction.Status.COMPLETED, business_date__lte=on)
            .values("business_date").annotate(total=Sum("amount")).order_by())
    paid_by_month: dict[date, Decimal] = {}
    for row in rows:
        start = row["business_date"].replace(day=1)
        paid_by_month[start] = paid_by_month.get(start, ZERO) + row["total"]
    months, cumulative = [], ZERO
    starts = _month_starts(min([opened, *paid_by_month]) if paid_by_month else opened, on)
    for index, start in enumerate(starts):
        covered_before = int(cumulative // amount)
        cumulative += paid_by_month.get(start, ZERO)
        covered_after = int(cumulative // amount)
        if covered_before > index:
            status = "advance"
        elif covered_after > index:
            status = "paid"
        elif start == on.replace(day=1):
            status = "due"
        else:
            status = "missed"
        months.append(Month(start=start, due=amount, paid=paid_by_month.get(start, ZERO), status=status))
    return MonthlySchedule(amount=amount, months=months, paid_total=cumulative, due_total=amount * len(months))


def account_standing(account: Account, on: date) -> dict:
    """What the account pages show beside the balance, by product: the Susu cycle, the months, the shares."""
    kind = account.product.kind
    if kind == Product.Kind.DAILY_SUSU and account.contribution_amount:
        start, end = cycle_bounds(account, on)
        grid = susu_cycle_grid(account, on)
        contributed = sum((d["paid"] for d in grid), ZERO)
        covered = int(contributed // account.contribution_amount)
        days_over = (on - start).days  # the cycle's days before today
        return {"kind": kind, "cycle_start": start, "cycle_end": end, "daily_amount": account.contribution_amount,
                "days": grid, "contributed": contributed, "covered_days": covered,
                "behind_days": max(days_over - covered, 0), "ahead_days": max(covered - days_over - 1, 0),
                "missed_on_the_day": sum(1 for d in grid if d["status"] == "missed")}
    if kind == Product.Kind.MONTHLY_CONTRIBUTION:
        schedule = monthly_schedule(account, on)
        return {"kind": kind, "schedule": schedule,
                "recent_months": list(reversed(schedule.months[-12:])) if schedule else []}
    if kind == Product.Kind.SHARES and account.product.share_price:
        return {"kind": kind, "share_count": account.share_count, "share_price": account.product.share_price,
                "share_value": account.share_count * account.product.share_price}
    return {"kind": kind}


@transaction.atomic
def contribution_set(*, actor, account: Account, amount, request=None) -> Account:
    """Set the fixed daily (Daily Susu) or monthly (Monthly Contribution) amount the member promises."""
    if actor.role not in SETTERS:
        raise PermissionDenied("Your role may not change a member's contribution.")
    try:
        value = parse_amount(amount)
    except InvalidAmount as exc:
        raise ValidationError({"contribution_amount": str(exc)})
    account = Account.objects.select_for_update().select_related("product", "member").get(pk=account.pk)
    if account.product.kind not in CONTRIBUTION_KINDS:
        raise ValidationError({"contribution_amount": f"{account.product.name} has no fixed contribution."})
    if account.status == Account.Status.CLOSED:
        raise LedgerError("account_closed", f"Account {account.account_number} is closed.")
    if actor.role == Role.MOBILE_BANKER:
        from apps.members.selectors import can_collect_from

        if not can_collect_from(actor, account.member):
            raise PermissionDenied("This member is not assigned to you.")
    old = account.contribution_amount
    account.contribution_amount = value
    account.save(update_fields=["contribution_amount", "updated_at"])
    record(actor, "account.contribution", account, request=request, old=old, new=value)
    return account
