"""Product life cycles run by the end-of-day chain: interest, Susu cycles, dormancy, scheduled fees.

Each step takes the business date being closed and the person who closed it, is idempotent
(a unique row per account and day/period records what was done, so a re-run after a crash
skips it) and returns a summary dict.

Day count: interest accrues daily on the end-of-day balance as balance × rate / 365 (actual/365
fixed, also in leap years), kept to six decimal places; at month end the month's accruals plus
the residue carried from last month are rounded half-even to the pesewa and posted, and the
new residue is carried forward — nothing is lost to rounding.
"""

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from apps.core.money import quantize, quantize_interest

from . import chart
from .errors import LedgerError
from .models import (
    ZERO,
    Account,
    FeeCharge,
    GLAccount,
    InterestAccrual,
    InterestPosting,
    Posting,
    Product,
    ScheduledFee,
    SusuCycle,
    Transaction,
)
from .posting import SystemItem, post_system_batch

T = Transaction.Type
SIX_PLACES = Decimal("0.000001")
MEMBER_INITIATED = (T.DEPOSIT, T.WITHDRAWAL, T.TRANSFER, T.PAYMENT)


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


# --- interest -------------------------------------------------------------------------------------

def days_since_previous_close(business_date: date) -> list[date]:
    """The calendar days this close covers: each day after the previous business date, up to this one."""
    from apps.core.models import BusinessDay

    previous = (BusinessDay.objects.filter(date__lt=business_date).order_by("-date")
                .values_list("date", flat=True).first())
    first = previous + timedelta(days=1) if previous else business_date
    return [first + timedelta(days=n) for n in range((business_date - first).days + 1)]


def _balances_before(business_date: date, accounts: dict[int, Account]) -> dict[int, Decimal]:
    """Each account's balance at the close of the previous business day: today's balance less today's postings.

    No posting carries a date between two business days, so this is also the balance of every
    calendar day (weekends, holidays) in between."""
    rows = (Posting.objects.filter(entry__business_date=business_date, account_id__in=accounts)
            .values("account").annotate(debit=Sum("debit"), credit=Sum("credit")))
    before = {pk: account.balance for pk, account in accounts.items()}
    for row in rows:
        control = accounts[row["account"]].product.control_account
        before[row["account"]] -= control.balance_change(row["debit"], row["credit"])
    return before


def _accrue(accounts: dict[int, Account], balances: dict[int, Decimal], days: list[date]) -> int:
    accruals = [
        InterestAccrual(account_id=pk, date=day, balance=balances[pk], rate=account.product.interest_rate,
                        amount=(balances[pk] * account.product.interest_rate / Decimal(36500)).quantize(
                            SIX_PLACES, rounding=ROUND_HALF_EVEN))
        for pk, account in accounts.items() if balances[pk] > 0 for day in days
    ]
    InterestAccrual.objects.bulk_create(accruals, ignore_conflicts=True, batch_size=2000)
    return len(accruals)


def _interest_accounts() -> dict[int, Account]:
    return {a.pk: a for a in (Account.objects.filter(product__interest_rate__gt=0)
                              .exclude(status=Account.Status.CLOSED)
                              .select_related("product__control_account").iterator(chunk_size=2000))}


def accrue_interest(*, business_date, actor) -> dict:
    """Accrue every calendar day since the previous business day closed, and post each month that ended.

    Days between two business days (a weekend, a public holiday) accrue on the balance the
    previous business day closed with; the business date itself on today's closing balance,
    which includes interest posted today for a month that ended in the gap. A month whose last
    day is not a business day is posted on the first business day after it."""
    gap = days_since_previous_close(business_date)[:-1]
    accounts = _interest_accounts()
    accrued = _accrue(accounts, _balances_before(business_date, accounts), gap)
    posted = [post_monthly_interest(period_end=day, business_date=business_date, actor=actor)
              for day in gap if is_month_end(day)]
    accounts = _interest_accounts()  # balances read again: they include the interest just posted
    accrued += _accrue(accounts, {pk: a.balance for pk, a in accounts.items()}, [business_date])
    if is_month_end(business_date):
        posted.append(post_monthly_interest(period_end=business_date, business_date=business_date, actor=actor))
    return {"accrued_days": len(gap) + 1, "accruals": accrued,
            "interest_posted_accounts": sum(p["accounts"] for p in posted),
            "interest_posted": str(sum((p["amount"] for p in posted), ZERO)),
            "months_posted": ", ".join(p["month"] for p in posted) or "none"}


def post_monthly_interest(*, period_end: date, business_date: date, actor) -> dict:
    """Post one month's accruals (plus the residue carried in) on `business_date`; the new residue carries on."""
    month_start = period_end.replace(day=1)
    carried = InterestPosting.objects.filter(account=OuterRef("account"), period_end__lt=month_start).order_by(
        "-period_end").values("residue")[:1]
    months = (InterestAccrual.objects.filter(date__gte=month_start, date__lte=period_end)
              .exclude(account__interest_postings__period_end=period_end)
              .values("account").annotate(total=Sum("amount"), carried=Subquery(carried)))
    accrued = {row["account"]: row["total"] + (row["carried"] or ZERO) for row in months}
    amounts = {pk: max(quantize_interest(value), ZERO) for pk, value in accrued.items()}
    posted, _ = post_system_batch(
        actor=actor, business_date=business_date, txn_type=T.INTEREST,
        counterparty=GLAccount.objects.get(code=chart.INTEREST_EXPENSE), member_side="credit",
        items=[SystemItem(pk, amount, f"Interest for {period_end:%B %Y}") for pk, amount in amounts.items()])
    InterestPosting.objects.bulk_create([
        InterestPosting(account_id=pk, period_end=period_end, accrued=accrued[pk],
                        posted=amounts[pk] if pk in posted else ZERO,
                        residue=accrued[pk] - (amounts[pk] if pk in posted else ZERO), transaction=posted.get(pk))
        for pk in accrued], batch_size=2000)
    return {"month": f"{period_end:%B %Y}", "accounts": len(posted),
            "amount": sum((amounts[pk] for pk in posted), ZERO)}


# --- Daily Susu -----------------------------------------------------------------------------------

def opened_on(account: Account) -> date:
    """The business date the account opened on (accounts from before that field: the day it was created)."""
    return account.opened_on or timezone.localtime(account.created_at).date()


def cycle_bounds(account: Account, on: date) -> tuple[date, date]:
    days = account.product.cycle_days or 31
    opened = opened_on(account)
    start = opened + timedelta(days=max((on - opened).days, 0) // days * days)
    return start, start + timedelta(days=days - 1)


def _deposits_by_date(account: Account, start: date, end: date) -> dict[date, Decimal]:
    rows = (Transaction.objects.filter(to_account=account, transaction_type=T.DEPOSIT, status="completed",
                                       business_date__gte=start, business_date__lte=end)
            .values("business_date").annotate(total=Sum("amount")))
    return {row["business_date"]: row["total"] for row in rows}


DAY_LABELS = {"paid": "Paid on the day", "advance": "Paid in advance", "missed": "Not paid on the day",
              "due": "Due"}


def susu_cycle_grid(account: Account, on: date) -> list[dict]:
    """The current cycle day by day: paid on the day, paid before it (in advance), missed (not paid by the
    end of the day, even if paid late later), or due (today and the days to come).

    A day on which the member paid at least the daily amount is paid, even when they are behind: a
    member who missed the first day and then paid every day has one red day, not a red cycle."""
    start, end = cycle_bounds(account, on)
    daily = account.contribution_amount or ZERO
    deposits = _deposits_by_date(account, start, end)
    grid, running = [], ZERO
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        before = running
        running += deposits.get(day, ZERO)
        covered_before = int(before // daily) if daily else 0
        covered_now = int(running // daily) if daily else 0
        if daily and covered_before > offset:
            status = "advance"
        elif daily and (covered_now > offset or deposits.get(day, ZERO) >= daily):
            status = "paid"
        elif day < on:  # today is not missed until it is over
            status = "missed"
        else:
            status = "due"
        grid.append({"date": day, "status": status, "paid": deposits.get(day, ZERO), "label": DAY_LABELS[status]})
    return grid


def _commission_for(account: Account, contributions: Decimal) -> Decimal:
    product = account.product
    if product.commission_mode == "percent":
        due = quantize(contributions * product.commission_rate / 100)
    else:
        due = account.contribution_amount or ZERO
    return min(due, contributions)


def _take_commission(*, account, cycle: SusuCycle, business_date, actor, contributions: Decimal) -> None:
    if cycle.commission_transaction_id:
        return
    due = _commission_for(account, contributions)
    account.refresh_from_db(fields=["balance", "held_balance"])
    due = min(due, max(account.balance - account.held_balance, ZERO))
    if due > 0:
        posted, refused = post_system_batch(
            actor=actor, business_date=business_date, txn_type=T.COMMISSION,
            counterparty=GLAccount.objects.get(code=chart.SUSU_COMMISSION), member_side="debit",
            items=[SystemItem(account.pk, due, f"Susu commission, cycle {cycle.start:%d %b}–{cycle.end:%d %b %Y}")])
        if refused:
            raise LedgerError("insufficient_funds", f"Insufficient funds in {account.account_number}.")
        cycle.commission_transaction = posted[account.pk]
    cycle.commission = due


def _cycle_row(account: Account, start: date, end: date) -> SusuCycle:
    cycle, _ = SusuCycle.objects.get_or_create(account=account, start=start, defaults={
        "end": end, "daily_amount": account.contribution_amount or ZERO, "contributions": ZERO, "days_paid": 0,
        "days_missed": 0, "commission": ZERO})
    return cycle


def take_early_commission(*, account: Account, business_date, actor) -> None:
    """A withdrawal inside a cycle, where the product allows it: the collector's commission first."""
    start, end = cycle_bounds(account, business_date)
    contributions = sum(_deposits_by_date(account, start, end).values(), ZERO)
    cycle = _cycle_row(account, start, end)
    _take_commission(account=account, cycle=cycle, business_date=business_date, actor=actor,
                     contributions=contributions)
    cycle.save()


def close_susu_cycles(*, business_date, actor) -> dict:
    """Close every Susu cycle that ends today: tally it, take the collector's commission, start the next."""
    accounts = {a.pk: a for a in Account.objects.filter(product__kind=Product.Kind.DAILY_SUSU,
                                                        contribution_amount__gt=0)
                .exclude(status=Account.Status.CLOSED).select_related("product")}
    ending = {pk: cycle_bounds(a, business_date)[0] for pk, a in accounts.items()
              if cycle_bounds(a, business_date)[1] == business_date}
    existing = {c.account_id: c for c in SusuCycle.objects.filter(account_id__in=ending, end=business_date)}
    contributions = dict.fromkeys(ending, ZERO)
    if ending:
        rows = (Transaction.objects.filter(to_account_id__in=ending, transaction_type=T.DEPOSIT, status="completed",
                                           business_date__gte=min(ending.values()), business_date__lte=business_date)
                .values("to_account", "business_date").annotate(total=Sum("amount")))
        for row in rows:
            if row["business_date"] >= ending[row["to_account"]]:
                contributions[row["to_account"]] += row["total"]
    due = {}
    for pk in ending:
        cycle = existing.get(pk)
        if cycle is not None and (cycle.closed or cycle.commission_transaction_id):
            continue
        account = accounts[pk]
        due[pk] = min(_commission_for(account, contributions[pk]), max(account.balance - account.held_balance, ZERO))
    posted, _ = post_system_batch(
        actor=actor, business_date=business_date, txn_type=T.COMMISSION,
        counterparty=GLAccount.objects.get(code=chart.SUSU_COMMISSION), member_side="debit",
        items=[SystemItem(pk, amount, f"Susu commission, cycle {ending[pk]:%d %b}–{business_date:%d %b %Y}")
               for pk, amount in due.items()])
    new, changed, commission_total = [], [], ZERO
    for pk, start in ending.items():
        account, cycle = accounts[pk], existing.get(pk)
        if cycle is not None and cycle.closed:
            continue
        days = (business_date - start).days + 1
        covered = int(contributions[pk] // account.contribution_amount)
        cycle = cycle or SusuCycle(account=account, start=start, end=business_date, commission=ZERO)
        cycle.daily_amount, cycle.contributions = account.contribution_amount, contributions[pk]
        cycle.days_paid, cycle.days_missed = min(covered, days), max(days - covered, 0)
        cycle.days_in_advance, cycle.closed = max(covered - days, 0), True
        if pk in posted:
            cycle.commission, cycle.commission_transaction = posted[pk].amount, posted[pk]
        commission_total += cycle.commission
        (changed if cycle.pk else new).append(cycle)
    SusuCycle.objects.bulk_create(new, batch_size=2000)
    SusuCycle.objects.bulk_update(changed, ["daily_amount", "contributions", "days_paid", "days_missed",
                                            "days_in_advance", "closed", "commission", "commission_transaction"])
    return {"susu_cycles_closed": len(new) + len(changed), "susu_commission": str(commission_total)}


# --- dormancy -------------------------------------------------------------------------------------

def mark_dormant(*, business_date, actor) -> dict:
    """Active accounts of a product with a dormancy period and no member movement (either way) since
    the cut-off become dormant. Accounts moved since the cut-off are left out in the database (two
    NOT IN sub-queries over that window, cheap on SQLite and PostgreSQL alike); only the few that are
    marked have their last movement looked up, for the reason staff see."""
    marked = 0
    done = Transaction.objects.filter(transaction_type__in=MEMBER_INITIATED, status="completed")
    for product in Product.objects.filter(dormancy_days__isnull=False):
        cutoff = business_date - timedelta(days=product.dormancy_days)
        recent = done.filter(business_date__gte=cutoff)
        candidates = (Account.objects.filter(product=product, status=Account.Status.ACTIVE)
                      .exclude(pk__in=recent.filter(from_account__isnull=False).values("from_account"))
                      .exclude(pk__in=recent.filter(to_account__isnull=False).values("to_account")))
        for account in candidates.iterator(chunk_size=1000):
            if opened_on(account) >= cutoff:
                continue
            moved = (done.filter(Q(from_account=account) | Q(to_account=account))
                     .aggregate(last=Max("business_date"))["last"])
            last = max(filter(None, [moved, opened_on(account)]))
            if Account.objects.filter(pk=account.pk, status=Account.Status.ACTIVE).update(
                    status=Account.Status.DORMANT,
                    status_reason=f"No member activity since {last:%d %b %Y}; a manager must reactivate it."):
                marked += 1
    return {"accounts_made_dormant": marked}


# --- scheduled fees -------------------------------------------------------------------------------

def charge_scheduled_fees(*, business_date, actor) -> dict:
    """Charge each active scheduled fee for every month that ended since the previous business day.

    A month whose last day is not a business day is charged on the next business day; a
    FeeCharge row per account, fee and month makes a second run skip what was charged."""
    month_ends = [day for day in days_since_previous_close(business_date) if is_month_end(day)]
    if not month_ends:
        return {"fees": "no month ended"}
    income = GLAccount.objects.get(code=chart.FEE_INCOME)
    charged = skipped = 0
    for month_end in month_ends:
        period = month_end.replace(day=1)
        for fee in ScheduledFee.objects.filter(is_active=True):
            accounts = Account.objects.filter(status=Account.Status.ACTIVE).exclude(
                fee_charges__fee=fee, fee_charges__period=period)
            if fee.product_id:
                accounts = accounts.filter(product_id=fee.product_id)
            ids = list(accounts.values_list("pk", flat=True))
            posted, refused = post_system_batch(
                actor=actor, business_date=business_date, txn_type=T.FEE, counterparty=income, member_side="debit",
                items=[SystemItem(pk, fee.amount, f"{fee.name}, {month_end:%B %Y}") for pk in ids])
            FeeCharge.objects.bulk_create([
                FeeCharge(account_id=pk, fee=fee, period=period, amount=fee.amount,
                          status="charged" if pk in posted else "skipped", transaction=posted.get(pk))
                for pk in ids], batch_size=2000)
            charged, skipped = charged + len(posted), skipped + len(refused)
    return {"fees_charged": charged, "fees_skipped": skipped,
            "fee_months": ", ".join(f"{month_end:%B %Y}" for month_end in month_ends)}


def check_books(*, business_date, actor) -> dict:
    from .management.commands.verify_ledger import find_differences

    problems = find_differences()
    if problems:
        raise RuntimeError(f"verify_ledger found {len(problems)} difference(s): " + "; ".join(problems[:5]))
    return {"verify_ledger": "ok"}


def summarise(*, business_date, actor) -> dict:
    movements = Transaction.objects.filter(business_date=business_date, status="completed")
    return {"transactions": movements.count(),
            "volume": str(movements.aggregate(s=Sum("amount"))["s"] or ZERO)}
