"""Demo banking data: members with the three account kinds and twelve months of history.

Everything is posted through the services (member registration and KYC, `account_open`,
`deposit_create`, `withdrawal_create`, `transfer_create`, `fee_charge`), never by writing
postings or balances, so the demo books obey every rule the real ones do and `verify_ledger`
passes. The history is deterministic: each business day has its own seeded random generator,
and every decision that depends on money (how much to withdraw, whether a transfer can be
afforded) reads the balances the services left behind.

Time: postings are booked on the open business day, so the history walks the calendar. For
each past business day (Monday to Saturday, public holidays off) it opens that day, posts the
day's activity, and closes it; at the end today's day is left open. While a past day is being
posted, `django.utils.timezone.now` reads that day's clock, so created/completed timestamps
and model history match the business date. (Audit events keep the real time: they record
when the seed actually ran.)

Each calendar month is one database transaction. A later run finds the latest business day:
today or later means the history is there (nothing is added); a closed month-end inside the
history window means an earlier run stopped part way, and it carries on from the next month.
"""

import calendar
import random
import time as clock
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from unittest import mock

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.models import BusinessDay
from apps.members import demo as member_demo
from apps.members.models import Member

from . import lifecycle, services
from .errors import LedgerError
from .models import Account, LedgerPolicy, Product, Transaction

SEED = member_demo.DEMO_SEED
# How often a member pays their Daily Susu: each member's chance per business day is drawn from this
# range (Susu is collected daily; most members pay most days). It sets the size of the history:
# about 34,000 movements through the services (36,000 transactions with the end-of-day commissions),
# which seed_demo posts in about 90 s on SQLite on a small two-CPU machine; (0.06, 0.22) gives about
# 11,000.
SUSU_DAYS = (0.3, 0.85)
SHARE_PRICE = Decimal("10.00")
BANKER_MEMBERS = 30
KINDS = (Product.Kind.DAILY_SUSU, Product.Kind.SHARES, Product.Kind.MONTHLY_CONTRIBUTION)
SUSU, SHARES, MONTHLY = KINDS

# The most each staff role may move out of members' accounts in one business day.
STAFF_DAILY_LIMITS = {
    "cashier": Decimal("500000.00"),  # the teller: every withdrawal and transfer of the branch
    "manager": Decimal("1000000.00"),
    "operations_manager": Decimal("250000.00"),
    "mobile_banker": Decimal("20000.00"),  # collects cash; pays nothing out
    "admin": Decimal("0.00"),  # administers users and settings; moves no money
}

# Fixed-date public holidays in Ghana (month, day): no business day.
HOLIDAYS = {(1, 1), (1, 7), (3, 6), (5, 1), (7, 1), (8, 4), (9, 21), (12, 25), (12, 26)}

TRANSFER_REASONS = ["Payment for fish", "Family support", "Rent contribution", "School fees support",
                    "Funeral contribution", "Payment for cloth", "Repayment of a friend's loan",
                    "Chop money", "Payment for outboard motor repair", "Church harvest pledge"]


def _money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _round_down(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


# --- who does what ---------------------------------------------------------------------------

@dataclass
class Staff:
    cashier: object
    banker: object
    operations: object
    manager: object
    customer: object


def demo_staff() -> Staff:
    from apps.users.demo import DEMO_USERS
    from apps.users.models import User

    users = {u.email: u for u in User.objects.filter(email__in=[row[0] for row in DEMO_USERS])}
    by_role = {role: users[email] for email, role, *_ in DEMO_USERS}
    return Staff(cashier=by_role["cashier"], banker=by_role["mobile_banker"],
                 operations=by_role["operations_manager"], manager=by_role["manager"],
                 customer=by_role["customer"])


def set_staff_limits() -> None:
    """Give each demo staff login a sensible daily limit (saved only when it changes, so history stays quiet)."""
    from apps.users.demo import DEMO_USERS
    from apps.users.models import User

    for user in User.objects.filter(email__in=[row[0] for row in DEMO_USERS]):
        limit = STAFF_DAILY_LIMITS.get(user.role)
        if limit is not None and user.daily_transaction_limit != limit:
            user.daily_transaction_limit = limit
            user.save(update_fields=["daily_transaction_limit"])


# --- the plan: what each member does ------------------------------------------------------------

@dataclass
class Plan:
    key: str  # the member's Ghana Card number
    profile: member_demo.MemberProfile
    join: date
    banker: bool = False
    customer: bool = False
    susu_rate: Decimal = Decimal("10.00")  # the daily amount
    susu_days: float = 0.5  # chance of paying on a business day
    monthly_amount: Decimal = Decimal("200.00")
    monthly_day: int = 5
    monthly_miss: float = 0.1
    shares_initial: int = 20

    @property
    def verified(self) -> bool:
        return self.profile.kyc == Member.Kyc.VERIFIED

    @property
    def has_accounts(self) -> bool:
        return self.profile.kyc != Member.Kyc.REJECTED


def business_days(start: date, end: date) -> list[date]:
    """Monday to Saturday from start to end (inclusive), without fixed public holidays."""
    days, day = [], start
    while day <= end:
        if day.weekday() != 6 and (day.month, day.day) not in HOLIDAYS:
            days.append(day)
        day += timedelta(days=1)
    return days


def history_window(today: date) -> tuple[date, date]:
    """Twelve months up to yesterday."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start, today - timedelta(days=1)


def make_plans(days: list[date], member_count: int = member_demo.DEMO_MEMBER_COUNT) -> list[Plan]:
    profiles = member_demo.member_profiles(member_count)
    first_month = [d for d in days if d < days[0] + timedelta(days=21)]
    plans = [Plan(key=member_demo.customer_profile().national_id, profile=member_demo.customer_profile(),
                  join=days[0], customer=True, susu_rate=Decimal("20.00"), susu_days=0.75,
                  monthly_amount=Decimal("300.00"), monthly_day=3, monthly_miss=0.0, shares_initial=50)]
    for i, profile in enumerate(profiles):
        rng = random.Random(f"coastal-plan:{SEED}:{i}")
        # Two thirds were members when the system went live and are onboarded in the first weeks;
        # the rest join through the year.
        join = rng.choice(first_month) if rng.random() < 0.67 else rng.choice(days[: int(len(days) * 0.85)])
        plans.append(Plan(
            key=profile.national_id, profile=profile, join=join,
            susu_rate=_money(rng.choice([5, 5, 10, 10, 10, 15, 20, 20, 25, 30, 40, 50])),
            susu_days=rng.uniform(*SUSU_DAYS),
            monthly_amount=_money(rng.choice([100, 100, 150, 200, 200, 250, 300, 400, 500, 600, 750, 1000])),
            monthly_day=rng.randint(1, 28),
            monthly_miss=rng.choice([0.0, 0.05, 0.1, 0.1, 0.15, 0.25, 0.35]),
            shares_initial=rng.choice([10, 10, 20, 20, 25, 30, 50, 100]),
        ))
    rng = random.Random(f"coastal-bankers:{SEED}")
    eligible = [p for p in plans if not p.customer and p.has_accounts and p.join in first_month]
    for plan in rng.sample(eligible, min(BANKER_MEMBERS, len(eligible))):
        plan.banker = True
    return plans


# --- the historic clock -------------------------------------------------------------------------

class HistoricClock:
    """`timezone.now()` while a past business day is posted: the event's time, ticking by a microsecond."""

    def __init__(self):
        self.at = timezone.now()
        self.ticks = 0

    def set(self, day: date, minute: int) -> None:
        naive = datetime.combine(day, time(0, 0)) + timedelta(minutes=minute)
        self.at, self.ticks = timezone.make_aware(naive), 0

    def now(self):
        self.ticks += 1
        return self.at + timedelta(microseconds=self.ticks)


@contextmanager
def historic_time(clock_: HistoricClock):
    with mock.patch.object(timezone, "now", clock_.now):
        yield


# --- the walk -----------------------------------------------------------------------------------

class History:
    """Posts the demo history day by day. Holds only what the database can rebuild at a month's start."""

    def __init__(self, *, staff: Staff, plans: list[Plan], days: list[date], clock_: HistoricClock, desk=None):
        self.staff, self.plans, self.days, self.clock, self.desk = staff, plans, days, clock_, desk
        self.products = {p.kind: p for p in Product.objects.filter(kind__in=KINDS, is_active=True).order_by("-pk")}
        self.threshold = LedgerPolicy.current().approval_threshold
        self.share_price = self.products[SHARES].share_price or SHARE_PRICE
        self.members: dict[str, Member] = {}
        self.accounts: dict[tuple[str, str], Account] = {}
        self.balance: dict[int, Decimal] = {}
        self.posted = self.refused = 0
        self.desk_started = False
        self.errors: list[str] = []
        self.pay_days = self._monthly_pay_days()
        self._index = {day: i for i, day in enumerate(days)}

    def _monthly_pay_days(self) -> dict[tuple[int, int], dict[int, date]]:
        """For each month, the business day each monthly_day (1..28) falls on."""
        by_month: dict[tuple[int, int], list[date]] = {}
        for day in self.days:
            by_month.setdefault((day.year, day.month), []).append(day)
        result = {}
        for month, days in by_month.items():
            result[month] = {dom: next((d for d in days if d.day >= dom), days[-1]) for dom in range(1, 29)}
        return result

    def load(self) -> None:
        """Rebuild the state from the database (at the start of each month)."""
        profiles = [plan.profile for plan in self.plans]
        self.members = member_demo.existing_members(profiles)
        by_member = {m.pk: key for key, m in self.members.items()}
        self.accounts, self.balance = {}, {}
        for account in (Account.objects.filter(member_id__in=list(by_member)).exclude(status=Account.Status.CLOSED)
                        .select_related("product")):
            self.accounts[(by_member[account.member_id], account.product.kind)] = account
            self.balance[account.pk] = account.balance

    def reload_balances(self) -> None:
        self.balance.update(Account.objects.filter(pk__in=list(self.balance)).values_list("pk", "balance"))

    # --- service calls, with the shadow balance kept in step ---

    def _post(self, func, **kwargs) -> Transaction | None:
        try:
            txn = func(**kwargs)
        except (LedgerError, ValidationError, PermissionDenied) as exc:
            self.refused += 1
            if len(self.errors) < 5:
                self.errors.append(f"{func.__name__}: {exc}")
            return None
        if txn.status == Transaction.Status.COMPLETED:
            self.posted += 1
            if txn.from_account_id:
                self.balance[txn.from_account_id] -= txn.amount
            if txn.to_account_id:
                self.balance[txn.to_account_id] += txn.amount
            if txn.fee:
                payer = txn.from_account_id or txn.to_account_id
                self.balance[payer] -= txn.fee
            if txn.from_account_id and txn.from_account.product.kind == SUSU:
                # money out of a Daily Susu mid-cycle pays the collector's commission first: read it back
                self.balance[txn.from_account_id] = Account.objects.values_list("balance", flat=True).get(
                    pk=txn.from_account_id)
        return txn

    def deposit(self, actor, account: Account, amount: Decimal, description: str):
        field = actor.role == "mobile_banker"
        txn = self._post(services.deposit_create, actor=actor, account=account, amount=amount,
                         description="Field collection" if field else description,
                         channel="field" if field else "admin")
        if txn is not None and not field and self.desk is not None:
            self.desk.moved(txn.amount)
        return txn

    def withdraw(self, account: Account, amount: Decimal, description: str):
        amount = min(amount, self.threshold)
        if amount <= 0 or amount > self.balance[account.pk]:
            return None
        if self.desk is not None and not self.desk.can_pay(amount):
            return None  # not enough cash in the drawer: the member comes back another day
        txn = self._post(services.withdrawal_create, actor=self.staff.cashier, account=account, amount=amount,
                         description=description)
        if txn is not None and self.desk is not None:
            self.desk.moved(-txn.amount)
        return txn

    def transfer(self, actor, source: Account, target: Account, amount: Decimal, description: str,
                 channel: str = "admin"):
        amount = min(amount, self.threshold)
        if amount <= 0 or amount > self.balance[source.pk]:
            return None
        return self._post(services.transfer_create, actor=actor, from_account=source,
                          to_account_number=target.account_number, amount=amount, description=description,
                          channel=channel)

    def fee(self, account: Account, amount: Decimal, description: str):
        if amount > self.balance[account.pk]:
            return None
        return self._post(services.fee_charge, actor=self.staff.cashier, account=account.pk, amount=amount,
                          description=description)

    # --- one member's first day ---

    def onboard(self, plan: Plan, *, buy_shares: bool = True) -> None:
        staff = self.staff
        member = self.members.get(plan.key)
        if member is None:
            member = member_demo.register_profile(plan.profile, registrar=staff.cashier, reviewer=staff.operations)
            self.members[plan.key] = member
        if plan.customer:
            member_demo.link_customer(member, user=staff.customer, actor=staff.operations)
        if plan.banker:
            member_demo.assign_to_banker(member, banker=staff.banker, assigner=staff.operations)
        if not plan.has_accounts:
            return
        amounts = {SUSU: plan.susu_rate, MONTHLY: plan.monthly_amount}
        for kind in KINDS:
            if (plan.key, kind) not in self.accounts:
                account = services.account_open(actor=staff.cashier, member=member, product=self.products[kind])
                if kind in amounts:  # the member's fixed daily / monthly amount, as the console records it
                    account.contribution_amount = amounts[kind]
                    account.save(update_fields=["contribution_amount", "updated_at"])
                self.accounts[(plan.key, kind)] = account
                self.balance[account.pk] = account.balance
        if buy_shares:
            self.deposit(staff.cashier, self.accounts[(plan.key, SHARES)], plan.shares_initial * self.share_price,
                         f"Purchase of {plan.shares_initial} shares at {self.share_price} on joining")

    # --- a day ---

    def day_events(self, day: date, rng: random.Random) -> list[tuple[int, int, str, Plan, dict]]:
        """The day's activity as (minute of day, order, kind, member plan, details), in time order."""
        day_rng = rng
        events = []
        seq = 0

        def add(minute, kind, plan, **details):
            nonlocal seq
            seq += 1
            events.append((minute, seq, kind, plan, details))

        pay_day = self.pay_days[(day.year, day.month)]
        for plan in self.plans:
            if plan.join > day:
                continue
            # Each member's day has its own generator: how often one thing happens (SUSU_DAYS, say)
            # does not reshuffle everything else that happens to them or to anyone else.
            rng = random.Random(f"coastal-member-day:{SEED}:{day.isoformat()}:{plan.key}")
            if plan.join == day:
                add(rng.randint(8 * 60 + 30, 11 * 60), "onboard", plan)
            if not plan.has_accounts:
                continue
            # Daily Susu: the fixed amount, sometimes two days' worth when a day was missed.
            if rng.random() < plan.susu_days:
                amount = plan.susu_rate * 2 if plan.susu_rate <= 25 and rng.random() < 0.12 else plan.susu_rate
                minute = rng.randint(7 * 60, 13 * 60) if plan.banker else rng.randint(8 * 60 + 30, 16 * 60 + 30)
                add(minute, "susu", plan, amount=amount)
            # A Daily Susu cycle (31 days) ends: on its last business day most members take out what
            # they saved (before the cycle's last day the collector's commission is taken first).
            if plan.verified and self._last_business_day_of_cycle(plan, day):
                if rng.random() < 0.6:
                    add(rng.randint(9 * 60, 16 * 60), "susu_payout", plan, share=rng.uniform(0.5, 0.95))
            elif plan.verified and rng.random() < 0.01:  # an emergency: about two or three times a year
                add(rng.randint(9 * 60, 16 * 60), "susu_emergency", plan, share=rng.uniform(0.2, 0.5))
            # Monthly Contribution: one payment a month on the member's day, some months missed.
            if pay_day[plan.monthly_day] == day and plan.join < day:
                if rng.random() >= plan.monthly_miss:
                    add(rng.randint(8 * 60 + 30, 16 * 60), "monthly", plan)
                elif rng.random() < 0.5:
                    add(16 * 60 + 45, "late_fee", plan)
                if plan.verified and rng.random() < 0.03:
                    add(rng.randint(9 * 60, 16 * 60), "monthly_withdrawal", plan, share=rng.uniform(0.2, 0.4))
            # Shares: bought now and then, in whole shares, in cash or from the member's Daily Susu.
            if plan.join < day and rng.random() < 0.006:
                add(rng.randint(9 * 60, 16 * 60), "shares", plan, count=rng.choice([5, 5, 10, 10, 20, 25, 40]),
                    from_susu=plan.verified and rng.random() < 0.35)
            if rng.random() < 0.0006:
                add(rng.randint(9 * 60, 16 * 60), "passbook_fee", plan)
            if plan.customer and plan.join < day and pay_day[25] == day:
                add(12 * 60 + 40, "customer_saving", plan)
        # Members pay each other: a few transfers a day through the teller.
        rng = day_rng
        verified = [p for p in self.plans if p.verified and p.join < day]
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4]) if len(verified) > 2 else 0):
            source, target = rng.sample(verified, 2)
            add(rng.randint(9 * 60, 16 * 60), "transfer", source, target=target,
                amount=_money(rng.choice([20, 30, 50, 50, 80, 100, 120, 150, 200, 250, 300])),
                reason=rng.choice(TRANSFER_REASONS))
        add(14 * 60, "remit", None)  # the field banker hands the round's cash to the cashier
        events.sort(key=lambda e: (e[0], e[1]))
        return events

    def _last_business_day_of_cycle(self, plan: Plan, day: date) -> bool:
        length = self.products[SUSU].cycle_days or 31
        cycle_end = plan.join + timedelta(days=((day - plan.join).days // length + 1) * length - 1)
        index = self._index[day]
        following = self.days[index + 1] if index + 1 < len(self.days) else day + timedelta(days=1)
        return following > cycle_end

    def run_day(self, day: date) -> None:
        rng = random.Random(f"coastal-day:{SEED}:{day.isoformat()}")
        staff = self.staff
        self.clock.set(day, 7 * 60)
        business_day = BusinessDay.objects.create(date=day, status=BusinessDay.Status.OPEN,
                                                  opened_by=staff.operations)
        if self.desk is not None:
            self.clock.set(day, 7 * 60 + 45)
            if not self.desk_started:
                self.desk.start()
                self.desk_started = True
            self.desk.open_day()
        for minute, _, kind, plan, details in self.day_events(day, rng):
            self.clock.set(day, minute)
            if kind == "remit":
                if self.desk is not None:
                    self.desk.remit_field_cash()
                continue
            if kind == "onboard":
                self.onboard(plan)
                continue
            account = self.accounts.get((plan.key, SUSU))
            if account is None:
                continue
            if kind == "susu":
                actor = staff.banker if plan.banker else staff.cashier
                days = "two days" if details["amount"] != plan.susu_rate else "daily"
                self.deposit(actor, account, details["amount"], f"Daily Susu contribution ({days})")
            elif kind in ("susu_payout", "susu_emergency"):
                # leave room for the collector's commission (one day's amount) taken before a mid-cycle payout
                spendable = self.balance[account.pk] - plan.susu_rate
                amount = _round_down(spendable * Decimal(str(details["share"])), Decimal("5"))
                if amount >= 20:
                    reason = "Susu cycle payout" if kind == "susu_payout" else "Emergency withdrawal"
                    self.withdraw(account, amount, reason)
            elif kind == "monthly":
                self.deposit(staff.cashier, self.accounts[(plan.key, MONTHLY)], plan.monthly_amount,
                             f"Monthly contribution for {day:%B %Y}")
            elif kind == "late_fee":
                self.fee(self.accounts[(plan.key, MONTHLY)], Decimal("5.00"),
                         f"Late monthly contribution fee ({day:%B %Y})")
            elif kind == "monthly_withdrawal":
                monthly = self.accounts[(plan.key, MONTHLY)]
                amount = _round_down(self.balance[monthly.pk] * Decimal(str(details["share"])), Decimal("10"))
                if amount >= 50:
                    self.withdraw(monthly, amount, "Part withdrawal of contributions")
            elif kind == "shares":
                cost = details["count"] * self.share_price
                shares = self.accounts[(plan.key, SHARES)]
                text = f"Purchase of {details['count']} shares at {self.share_price}"
                if details["from_susu"] and self.balance[account.pk] - plan.susu_rate >= cost:
                    self.transfer(staff.cashier, account, shares, cost, text)
                else:
                    self.deposit(staff.cashier, shares, cost, text)
            elif kind == "passbook_fee":
                self.fee(account, Decimal("10.00"), "Passbook replacement")
            elif kind == "customer_saving":
                # The demo customer moves part of their Daily Susu to their Monthly Contribution in the portal.
                amount = _round_down(self.balance[account.pk] / 3, Decimal("10"))
                if amount >= 50:
                    self.transfer(staff.customer, account, self.accounts[(plan.key, MONTHLY)], amount,
                                  "Top up my monthly savings", channel="portal")
            elif kind == "transfer":
                target = self.accounts.get((details["target"].key, SUSU))
                if target is not None:
                    available = _round_down((self.balance[account.pk] - plan.susu_rate) / 2, Decimal("5"))
                    self.transfer(staff.cashier, account, target, min(details["amount"], available),
                                  details["reason"])
        if self.desk is not None:
            self.clock.set(day, 17 * 60 + 15)
            self.desk.close_day()
        # End of day (the chain's own steps): interest accrues (and is posted when a month has ended), the
        # Susu cycles ending today close and the collectors' commission is taken. Balances they moved are
        # read back for tomorrow's decisions.
        self.clock.set(day, 17 * 60 + 45)
        interest = lifecycle.accrue_interest(business_date=day, actor=staff.operations)
        closed = lifecycle.close_susu_cycles(business_date=day, actor=staff.operations)["susu_cycles_closed"]
        if closed or interest["interest_posted_accounts"]:
            self.reload_balances()
        self.clock.set(day, 18 * 60)
        business_day.status, business_day.closed_by, business_day.closed_at = (
            BusinessDay.Status.CLOSED, staff.operations, timezone.now())
        business_day.save(update_fields=["status", "closed_by", "closed_at"])

    def run(self, days: list[date], progress=None) -> None:
        months: dict[tuple[int, int], list[date]] = {}
        for day in days:
            months.setdefault((day.year, day.month), []).append(day)
        with historic_time(self.clock):
            for (year, month), month_days in months.items():
                started = clock.monotonic()
                with transaction.atomic():
                    self.load()
                    for day in month_days:
                        self.run_day(day)
                if progress:
                    progress(f"  {calendar.month_name[month]} {year}: {len(month_days)} business days, "
                             f"{self.posted} transactions so far ({clock.monotonic() - started:.1f}s)")


# --- entry point ----------------------------------------------------------------------------------

def _ensure_members(staff: Staff, plans: list[Plan]) -> None:
    """Members and accounts without history, when the history could not be walked (days already in use)."""
    history = History(staff=staff, plans=plans, days=[timezone.localdate()], clock_=HistoricClock())
    with transaction.atomic():
        history.load()
        for plan in plans:
            if plan.key not in history.members or (plan.has_accounts and (plan.key, SUSU) not in history.accounts):
                history.onboard(plan, buy_shares=False)


def seed_banking(*, progress=None, desk=None, member_count: int = member_demo.DEMO_MEMBER_COUNT,
                 window: tuple[date, date] | None = None) -> dict:
    """Create (or find) the demo members, accounts and history. Returns figures to print.

    `desk` runs the branch's cash day (apps.cash.demo.CashDesk); `member_count` and `window`
    (first and last history date) exist for tests."""
    set_staff_limits()
    staff = demo_staff()
    today = timezone.localdate()
    start, end = window or history_window(today)
    days = business_days(start, end)
    plans = make_plans(days, member_count)
    latest = BusinessDay.objects.order_by("-date").first()
    note = ""
    todo: list[date] = []
    walk = False  # True when the history is (being) written by this seed and today's day is ours to open
    if latest is None:
        todo, walk = days, True
    elif latest.date >= today:
        note = "history already present" if latest.date == today and Transaction.objects.filter(
            business_date__lt=today).exists() else f"business days are in use up to {latest.date}; no history added"
    elif latest.date < start:
        if latest.status != BusinessDay.Status.CLOSED:
            note = f"business day {latest.date} is still open; close it to let the demo history be added"
        else:
            todo, walk = days, True
    elif latest.status == BusinessDay.Status.CLOSED and latest.date in days and (
            latest.date == days[-1] or (days[days.index(latest.date) + 1].month != latest.date.month)):
        todo, walk = [d for d in days if d > latest.date], True
        note = f"carried on after {latest.date}"
    else:
        note = f"business day {latest.date} is in use; no history added"

    started = clock.monotonic()
    if todo and connection.vendor == "sqlite":
        # A year of postings outgrows SQLite's default 2 MB page cache; give this connection 64 MB.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -65536")
    if todo:
        history = History(staff=staff, plans=plans, days=days, clock_=HistoricClock(), desk=desk)
        history.run(todo, progress=progress)
        if history.refused:
            note = f"{history.refused} planned movements were refused, e.g. {'; '.join(history.errors)}"
    if walk:
        # The history ends yesterday: today's business day is left open for whoever tries the demo.
        if not BusinessDay.objects.filter(status=BusinessDay.Status.OPEN).exists():
            BusinessDay.objects.get_or_create(date=today, defaults={"status": BusinessDay.Status.OPEN,
                                                                   "opened_by": staff.operations})
    _ensure_members(staff, plans)
    members = Member.objects.filter(
        pk__in=[m.pk for m in member_demo.existing_members([p.profile for p in plans]).values()])
    accounts = Account.objects.filter(member__in=members)
    return {
        "members": members.count(),
        "verified": members.filter(kyc_status=Member.Kyc.VERIFIED).count(),
        "assigned": members.filter(assigned_banker=staff.banker).count(),
        "accounts": accounts.count(),
        "transactions": Transaction.objects.filter(Q(from_account__in=accounts) | Q(to_account__in=accounts)).count(),
        "days": BusinessDay.objects.filter(date__gte=start, date__lt=today).count(),
        "seconds": clock.monotonic() - started if todo else None,
        "note": note,
    }
