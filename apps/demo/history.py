"""The demo's year: members with the three account kinds and twelve months of history.

Before the first day the operations manager sets the products' rules and service charges
(products.py), so the year pays its charges. Everything is posted through the product's
services (member registration and KYC, `account_open`, `contribution_set`, `deposit_create`,
`withdrawal_create`, `transfer_create`, `payment_create`, `fee_charge`, `reversal_request`,
`transaction_approve`, `transaction_reject`, the cash desk's drawer and field services), never
by writing rows, postings or balances, so the demo books obey every rule the real ones do and
`verify_ledger` passes. Besides the members' daily business the cashier pays bills and school
fees for them, a few large movements wait for a manager (most approved, two rejected), and a
few of the cashier's mistakes are reversed with the second manager's approval.

Time: the history is posted the way a bank moving its books from another system would post
it, one business day after another. Each past business day (Monday to Saturday, public
holidays off) is opened with `business_day_open(history=True)`, gets the day's activity, and
is closed with `business_day_close`, whose closing checklist must be clear and whose
end-of-day chain (interest, Susu cycles, dormancy, scheduled fees, the cash position, the
ledger check) runs for it; at the end today's day is opened and left open. Postings carry the
business date of the day that was open; nothing shifts a clock, so every row's `created_at`
(and audit and model-history time) is when the seed ran. Screens and reports date a movement
by its business date.

The history is deterministic: each business day has its own seeded random generator, and every
decision that depends on money (how much to withdraw, whether a transfer can be afforded, within
the products' minimum balances, daily limits and charges) reads the balances the services left
behind. The times of day in the plan only put each day's events in order.

Each calendar month is one database transaction (its days closed inside it). A later run finds the
latest business day: today or later means the history is there (nothing is added); a closed day
inside the history window means an earlier run stopped part way, and it carries on from the next day.
"""

import calendar
import random
import time as clock
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.models import BusinessDay, EndOfDayRun
from apps.core.roles import Role
from apps.ledger import services
from apps.ledger.business_days import business_day_close, business_day_open
from apps.ledger.contributions import contribution_set
from apps.ledger.errors import LedgerError
from apps.ledger.models import ZERO, Account, LedgerPolicy, ServiceCharge, Transaction
from apps.members.models import Member

from . import members as member_demo
from .cash_desk import CashDesk
from .data import load, money
from .lending import Lending, loan_figures
from .loans import configure_loan_products
from .products import KINDS, active_products, configure_products
from .staff import Staff, demo_staff, set_staff_limits

SEED = member_demo.DEMO_SEED
WORLD = load("bank")["world"]
SUSU_DAYS = tuple(WORLD["susu_days"])  # see fixtures/demo/bank.json: it sets the size of the history
BANKER_MEMBERS = WORLD["banker_members"]
SHARE_PRICE = money(load("bank")["share_price"])
SUSU, SHARES, MONTHLY = KINDS
T = Transaction.Type
PENDING, COMPLETED = Transaction.Status.PENDING, Transaction.Status.COMPLETED

# Fixed-date public holidays (month, day): no business day.
HOLIDAYS = {tuple(int(part) for part in day.split("-")) for day in load("bank")["holidays"]}

ACTIVITY = load("activity")
PLAN_CHOICES = ACTIVITY["plans"]
BILLS = [(bill["payee"], bill["lowest"], bill["highest"]) for bill in ACTIVITY["bills"]]
BILLS_PER_DAY = ACTIVITY["bills_per_day"]
TERMS = {int(month): term for month, term in ACTIVITY["school_terms"].items()}  # school fees: first days of a term
SCHOOLS = ACTIVITY["schools"]
SCHOOL_FEES = ACTIVITY["school_fees"]
TRANSFER_AMOUNTS = ACTIVITY["transfer_amounts"]
TRANSFER_REASONS = ACTIVITY["transfer_reasons"]


@dataclass(frozen=True)
class Large:
    """A member pays in a lump sum, then moves most of it out above the approval threshold."""

    at: float  # where in the history: 0 is its first day, 1 its last
    kind: str  # withdrawal (cash, from the drawer) or transfer (to another member's Monthly Contribution)
    lump: Decimal
    lump_description: str
    amount: Decimal
    description: str
    rejection: str = ""  # the manager's reason, when it is rejected
    by_second_manager: bool = False  # the second manager enters it; the manager approves


@dataclass(frozen=True)
class Mistake:
    """A movement the cashier got wrong: reversed at the cashier's request, with the second manager's approval."""

    at: float
    kind: str  # payment (from the member's Monthly Contribution) or transfer (Daily Susu to Daily Susu)
    amount: Decimal
    description: str
    reason: str


LARGE = [Large(**{**case, "lump": money(case["lump"]), "amount": money(case["amount"])})
         for case in ACTIVITY["large_movements"]]
MISTAKES = [Mistake(**{**case, "amount": money(case["amount"])}) for case in ACTIVITY["mistakes"]]


def _money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _round_down(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


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
    customer = PLAN_CHOICES["customer"]
    plans = [Plan(key=member_demo.customer_profile().national_id, profile=member_demo.customer_profile(),
                  join=days[0], customer=True, susu_rate=money(customer["susu_rate"]),
                  susu_days=customer["susu_days"], monthly_amount=money(customer["monthly_amount"]),
                  monthly_day=customer["monthly_day"], monthly_miss=customer["monthly_miss"],
                  shares_initial=customer["shares_initial"])]
    for i, profile in enumerate(profiles):
        rng = random.Random(f"coastal-plan:{SEED}:{i}")
        # Two thirds were members when the system went live and are onboarded in the first weeks;
        # the rest join through the year.
        join = rng.choice(first_month) if rng.random() < 0.67 else rng.choice(days[: int(len(days) * 0.85)])
        plans.append(Plan(
            key=profile.national_id, profile=profile, join=join,
            susu_rate=_money(rng.choice(PLAN_CHOICES["susu_rates"])),
            susu_days=rng.uniform(*SUSU_DAYS),
            monthly_amount=_money(rng.choice(PLAN_CHOICES["monthly_amounts"])),
            monthly_day=rng.randint(1, 28),
            monthly_miss=rng.choice(PLAN_CHOICES["monthly_miss"]),
            shares_initial=rng.choice(PLAN_CHOICES["shares_initial"]),
        ))
    rng = random.Random(f"coastal-bankers:{SEED}")
    eligible = [p for p in plans if not p.customer and p.has_accounts and p.join in first_month]
    for plan in rng.sample(eligible, min(BANKER_MEMBERS, len(eligible))):
        plan.banker = True
    return plans


# --- the walk -----------------------------------------------------------------------------------

class History:
    """Posts the demo history day by day. Holds only what the database can rebuild at a month's start."""

    def __init__(self, *, staff: Staff, plans: list[Plan], days: list[date], desk: CashDesk | None = None):
        self.staff, self.plans, self.days = staff, plans, days
        self.desk = desk or CashDesk(cashier=staff.cashier, banker=staff.banker, manager=staff.manager)
        self.products = active_products()
        self.threshold = LedgerPolicy.current().approval_threshold
        self.share_price = self.products[SHARES].share_price or SHARE_PRICE
        self.members: dict[str, Member] = {}
        self.accounts: dict[tuple[str, str], Account] = {}
        self.balance: dict[int, Decimal] = {}
        self.held: dict[int, Decimal] = {}  # guarantors' pledges (lending.py): in the balance, not available
        self.lending: Lending | None = None  # the demo loans, made and serviced on their days (lending.py)
        self.out_today: dict[int, Decimal] = {}  # what left each account today, for the daily withdrawal limits
        self.fees: dict[tuple, Decimal] = {}  # the service charge per (type, product, amount): the seed changes none
        self.posted = self.refused = 0
        self.desk_started = False
        self.errors: list[str] = []
        self.pay_days = self._monthly_pay_days()
        self._index = {day: i for i, day in enumerate(days)}
        self.scripted: dict[date, list[Large | Mistake]] = {}
        for case in [*LARGE, *MISTAKES]:
            self.scripted.setdefault(days[min(int(len(days) * case.at), len(days) - 1)], []).append(case)

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
        self.accounts, self.balance, self.held = {}, {}, {}
        for account in (Account.objects.filter(member_id__in=list(by_member)).exclude(status=Account.Status.CLOSED)
                        .select_related("product")):
            self.accounts[(by_member[account.member_id], account.product.kind)] = account
            self.balance[account.pk] = account.balance
            self.held[account.pk] = account.held_balance

    def reload_balances(self) -> None:
        self.refresh_accounts(list(self.balance))

    def refresh_accounts(self, pks: list[int]) -> None:
        """Read back the balances (and pledges held) of these accounts, after a service moved them."""
        for pk, balance, held in Account.objects.filter(pk__in=pks).values_list("pk", "balance", "held_balance"):
            self.balance[pk], self.held[pk] = balance, held

    # --- service calls, with the shadow balance kept in step ---

    def _post(self, func, **kwargs) -> Transaction | None:
        try:
            txn = func(**kwargs)
        except (LedgerError, ValidationError, PermissionDenied) as exc:
            self._refused(func.__name__, exc)
            return None
        if txn.transaction_type in services.OUTGOING:
            self.out_today[txn.from_account_id] = self.out_today.get(txn.from_account_id, ZERO) + txn.amount
        if txn.status == COMPLETED:
            self._book(txn)
        return txn

    def _refused(self, name: str, exc: Exception) -> None:
        self.refused += 1
        if len(self.errors) < 5:
            self.errors.append(f"{name}: {exc}")

    def _book(self, txn: Transaction) -> None:
        """A completed movement: move the shadow balances as its postings did."""
        self.posted += 1
        if txn.transaction_type == T.REVERSAL:  # the original's postings undone, its charge refunded: read back
            self.balance.update(Account.objects.filter(
                pk__in=[pk for pk in (txn.from_account_id, txn.to_account_id) if pk]).values_list("pk", "balance"))
            return
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

    def room(self, account: Account) -> Decimal:
        """The most that may leave `account` today without waiting for approval or passing the product's
        daily withdrawal limit."""
        limit = account.product.daily_withdrawal_limit
        if limit is None:
            return self.threshold
        return min(self.threshold, limit - self.out_today.get(account.pk, ZERO))

    def fee_for(self, kind: str, account: Account, amount: Decimal) -> Decimal:
        key = (kind, account.product_id, amount)
        if key not in self.fees:
            self.fees[key] = services.compute_fee(transaction_type=kind, product=account.product, amount=amount)
        return self.fees[key]

    def affords(self, account: Account, amount: Decimal, kind: str) -> bool:
        """Whether `account` can pay `amount` and its service charge and keep the product's minimum balance
        (and, on a Daily Susu, one day's amount for a commission the movement may take first)."""
        product = account.product
        keep = product.minimum_balance + self.held.get(account.pk, ZERO)
        if product.kind == SUSU:
            keep += account.contribution_amount or ZERO
        return amount > 0 and amount + self.fee_for(kind, account, amount) + keep <= self.balance[account.pk]

    def decide(self, txn: Transaction, approver, rejection: str = "") -> Transaction | None:
        """A manager decides a pending transaction: approves it, or rejects it with `rejection` as the reason.
        One that cannot be approved after all is rejected with the reason, so no day closes with it waiting."""
        try:
            if rejection:
                txn = services.transaction_reject(actor=approver, txn=txn, reason=rejection)
            else:
                txn = services.transaction_approve(actor=approver, txn=txn)
        except (LedgerError, ValidationError, PermissionDenied) as exc:
            self._refused("transaction_decide", exc)
            if rejection:
                return None
            return self.decide(txn, approver, f"Could not be approved: {exc}")
        if txn.status == COMPLETED:
            self._book(txn)
        elif txn.transaction_type in services.OUTGOING:
            self.out_today[txn.from_account_id] -= txn.amount
        return txn

    def deposit(self, actor, account: Account, amount: Decimal, description: str):
        field = actor.role == Role.MOBILE_BANKER
        txn = self._post(services.deposit_create, actor=actor, account=account, amount=amount,
                         description="Field collection" if field else description,
                         channel="field" if field else "admin")
        if txn is not None and not field:
            self.desk.moved(txn.amount)
        return txn

    def withdraw(self, account: Account, amount: Decimal, description: str):
        amount = min(amount, self.room(account))
        if not self.affords(account, amount, T.WITHDRAWAL):
            return None
        if not self.desk.can_pay(amount):
            return None  # not enough cash in the drawer: the member comes back another day
        txn = self._post(services.withdrawal_create, actor=self.staff.cashier, account=account, amount=amount,
                         description=description)
        if txn is not None:
            self.desk.moved(-txn.amount)
        return txn

    def transfer(self, actor, source: Account, target: Account, amount: Decimal, description: str,
                 channel: str = "admin"):
        if amount > self.room(source) or not self.affords(source, amount, T.TRANSFER):
            return None
        return self._post(services.transfer_create, actor=actor, from_account=source,
                          to_account_number=target.account_number, amount=amount, description=description,
                          channel=channel)

    def pay(self, account: Account, amount: Decimal, payee: str):
        """A bill or school fees the cashier pays to an outside payee for the member."""
        if amount > self.room(account) or not self.affords(account, amount, T.PAYMENT):
            return None
        return self._post(services.payment_create, actor=self.staff.cashier, account=account, amount=amount,
                          description=payee)

    def fee(self, account: Account, amount: Decimal, description: str):
        if not self.affords(account, amount, T.FEE):
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
                    account = contribution_set(actor=staff.cashier, account=account, amount=amounts[kind])
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
                amount=_money(rng.choice(TRANSFER_AMOUNTS)), reason=rng.choice(TRANSFER_REASONS))
        add(14 * 60, "remit", None)  # the field banker hands the round's cash to the cashier
        self._counter_events(day, add)
        events.sort(key=lambda e: (e[0], e[1]))
        return events

    def _counter_events(self, day: date, add) -> None:
        """Bills and school fees the cashier pays for members, and the day's scripted cases (LARGE,
        MISTAKES), from a generator of their own so they do not reshuffle the members' own business."""
        rng = random.Random(f"coastal-counter:{SEED}:{day.isoformat()}")
        members = [p for p in self.plans if p.verified and p.join < day]
        others = [p for p in members if not p.customer]
        if len(others) < 2:
            return
        for _ in range(rng.choice(BILLS_PER_DAY)):
            payee, low, high = rng.choice(BILLS)
            add(rng.randint(9 * 60, 16 * 60), "payment", rng.choice(members), amount=_money(rng.randint(low, high)),
                payee=payee)
        if day.month in TERMS and day.day <= 12:
            year = day.year if day.month >= 9 else day.year - 1
            for _ in range(rng.choice([1, 2, 3, 4])):
                add(rng.randint(9 * 60, 16 * 60), "payment", rng.choice(members),
                    amount=_money(rng.choice(SCHOOL_FEES)),
                    payee=f"School fees: {rng.choice(SCHOOLS)}, {TERMS[day.month]} term {year}/{(year + 1) % 100:02d}")
        for case in self.scripted.get(day, []):
            # the members in a seeded order: the first who can takes part (found when the case runs)
            add(10 * 60 if isinstance(case, Large) else 15 * 60, "case", None, case=case,
                order=rng.sample(others, len(others)))

    def _first_accounts(self, order: list[Plan], kind: str, payer=None) -> tuple[Account, Account] | None:
        """The first account of this kind in `order` that `payer` accepts, and the first other one."""
        accounts = [self.accounts[(p.key, kind)] for p in order if (p.key, kind) in self.accounts]
        source = next((a for a in accounts if payer is None or payer(a)), None)
        target = next((a for a in accounts if a is not source), None)
        return (source, target) if source is not None and target is not None else None

    def large(self, order: list[Plan], case: Large) -> None:
        """The lump sum paid in, the movement above the threshold held, then a manager's decision."""
        pair = self._first_accounts(order, MONTHLY)
        if pair is None:
            return
        account, to = pair
        if self.deposit(self.staff.cashier, account, case.lump, case.lump_description) is None:
            return
        if case.kind == T.WITHDRAWAL:
            if not self.desk.can_pay(case.amount):
                return
            txn = self._post(services.withdrawal_create, actor=self.staff.cashier, account=account,
                             amount=case.amount, description=case.description)
        else:
            actor = self.staff.second_manager if case.by_second_manager else self.staff.cashier
            txn = self._post(services.transfer_create, actor=actor, from_account=account,
                             to_account_number=to.account_number, amount=case.amount, description=case.description)
        if txn is None or txn.status != PENDING:
            return
        decided = self.decide(txn, self.staff.manager, case.rejection)
        if decided is not None and decided.status == COMPLETED and case.kind == T.WITHDRAWAL:
            self.desk.moved(-decided.amount)

    def mistake(self, order: list[Plan], case: Mistake) -> None:
        """The cashier's wrong movement, the cashier's reversal request and the second manager's approval."""
        pair = self._first_accounts(order, MONTHLY if case.kind == T.PAYMENT else SUSU,
                                    payer=lambda a: case.amount <= self.room(a) and self.affords(a, case.amount,
                                                                                                 case.kind))
        if pair is None:
            return
        account, to = pair
        if case.kind == T.PAYMENT:
            original = self.pay(account, case.amount, case.description)
        else:
            original = self.transfer(self.staff.cashier, account, to, case.amount, case.description)
        if original is None or original.status != COMPLETED:
            return
        reversal = self._post(services.reversal_request, actor=self.staff.cashier, original=original,
                              reason=case.reason)
        if reversal is not None:
            self.decide(reversal, self.staff.second_manager)

    def _last_business_day_of_cycle(self, plan: Plan, day: date) -> bool:
        length = self.products[SUSU].cycle_days or 31
        cycle_end = plan.join + timedelta(days=((day - plan.join).days // length + 1) * length - 1)
        index = self._index[day]
        following = self.days[index + 1] if index + 1 < len(self.days) else day + timedelta(days=1)
        return following > cycle_end

    def run_day(self, day: date) -> None:
        """One business day: opened, the day's business, the cash desk's day, and closed (the closing
        checklist clear, the end-of-day chain run to the end)."""
        rng = random.Random(f"coastal-day:{SEED}:{day.isoformat()}")
        staff = self.staff
        self.out_today = {}
        business_day_open(actor=staff.operations, day=day, history=True)
        if not self.desk_started:
            self.desk.start()
            self.desk_started = True
        self.desk.open_day()
        for _, _, kind, plan, details in self.day_events(day, rng):
            self.event(day, kind, plan, details)
        if self.lending is not None:
            self.lending.day(day)
        self.desk.close_day()
        run = business_day_close(actor=staff.operations, wait=True)
        if run.status != EndOfDayRun.Status.COMPLETED:
            failed = run.steps.exclude(error="").first()
            raise RuntimeError(f"End of day for {day} stopped at {failed.name if failed else '?'}: "
                               f"{failed.error.splitlines()[0] if failed else run.status}")
        # End of day may have moved balances (interest, the collectors' commission, fees): read them back.
        self.reload_balances()

    def event(self, day: date, kind: str, plan: Plan | None, details: dict) -> None:
        staff = self.staff
        if kind == "remit":
            self.desk.remit_field_cash()
            return
        if kind == "onboard":
            self.onboard(plan)
            return
        if kind == "case":
            if isinstance(details["case"], Large):
                self.large(details["order"], details["case"])
            else:
                self.mistake(details["order"], details["case"])
            return
        account = self.accounts.get((plan.key, SUSU))
        if account is None:
            return
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
        elif kind == "payment":
            self.pay(self.accounts[(plan.key, MONTHLY)], details["amount"], details["payee"])
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
                self.transfer(staff.cashier, account, target, min(details["amount"], available), details["reason"])

    def run(self, days: list[date], progress=None) -> None:
        months: dict[tuple[int, int], list[date]] = {}
        for day in days:
            months.setdefault((day.year, day.month), []).append(day)
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
    history = History(staff=staff, plans=plans, days=[timezone.localdate()])
    with transaction.atomic():
        history.load()
        for plan in plans:
            if plan.key not in history.members or (plan.has_accounts and (plan.key, SUSU) not in history.accounts):
                history.onboard(plan, buy_shares=False)


def seed_banking(*, progress=None, desk: CashDesk | None = None, member_count: int = member_demo.DEMO_MEMBER_COUNT,
                 window: tuple[date, date] | None = None, loans: bool = True) -> dict:
    """Create (or find) the demo members, accounts and history. Returns figures to print.

    `desk` runs the branch's cash day (a CashDesk for the demo staff unless given); `member_count`
    and `window` (first and last history date) exist for tests; `loans=False` leaves out the demo loans
    (lending.py)."""
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
    elif latest.status == BusinessDay.Status.CLOSED and latest.date in days:
        todo, walk = [d for d in days if d > latest.date], True
        note = f"carried on after {latest.date}"
    else:
        note = f"business day {latest.date} is in use; no history added"

    configure_products(staff.operations)
    loan_products = configure_loan_products(staff.operations)
    started = clock.monotonic()
    if todo and connection.vendor == "sqlite":
        # A year of postings outgrows SQLite's default 2 MB page cache; give this connection 64 MB.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -65536")
    if todo:
        history = History(staff=staff, plans=plans, days=days, desk=desk)
        if loans:
            history.lending = Lending(history, days)
        history.run(todo, progress=progress)
        if history.refused:
            note = f"{history.refused} planned movements were refused, e.g. {'; '.join(history.errors)}"
        if history.lending is not None and history.lending.notes:
            note = "; ".join(filter(None, [note, "loans: " + "; ".join(history.lending.notes[:3])]))
    if walk and not BusinessDay.objects.exclude(status=BusinessDay.Status.CLOSED).exists():
        # The history ends yesterday: today's business day is left open for whoever tries the demo.
        business_day_open(actor=staff.operations, day=today)
    _ensure_members(staff, plans)
    if walk and loans and BusinessDay.objects.filter(date=today, status=BusinessDay.Status.OPEN).exists():
        # Today's applications: submitted (one waiting for the demo customer's answer as guarantor),
        # approved and not yet paid out, rejected.
        current = History(staff=staff, plans=plans, days=[today], desk=desk)
        with transaction.atomic():
            current.load()
            lending = Lending(current, [])
            lending.today(today)
        if lending.notes:
            note = "; ".join(filter(None, [note, "loans today: " + "; ".join(lending.notes[:3])]))
    members = Member.objects.filter(
        pk__in=[m.pk for m in member_demo.existing_members([p.profile for p in plans]).values()])
    accounts = Account.objects.filter(member__in=members)
    types = Transaction.objects.filter(status=COMPLETED).values("transaction_type")
    return {
        "charges": ServiceCharge.objects.filter(is_active=True).count(),
        "loan_products": [product.name for product in loan_products],
        "payments": types.filter(transaction_type=T.PAYMENT).count(),
        "reversals": types.filter(transaction_type=T.REVERSAL).count(),
        "charged": Transaction.objects.filter(status=COMPLETED, fee__gt=0).count(),
        "approved": Transaction.objects.filter(status=COMPLETED, approved_by__isnull=False).exclude(
            transaction_type=T.REVERSAL).count(),
        "rejected": Transaction.objects.filter(status=Transaction.Status.CANCELLED).count(),
        "members": members.count(),
        "verified": members.filter(kyc_status=Member.Kyc.VERIFIED).count(),
        "assigned": members.filter(assigned_banker=staff.banker).count(),
        "accounts": accounts.count(),
        "transactions": Transaction.objects.filter(Q(from_account__in=accounts) | Q(to_account__in=accounts)).count(),
        "days": BusinessDay.objects.filter(date__gte=start, date__lt=today).count(),
        "loans": loan_figures(today),
        "seconds": clock.monotonic() - started if todo else None,
        "note": note,
    }
