"""The demo's loans (fixtures/demo/loans.json): loans in every state, made through the loans services.

`history` loans live inside the walk over the past year (history.py calls `Lending.day` on each
business day, after the members' business and before the cash desk closes): on the day a loan is
paid out its borrower applies (the cashier keys it, or Kwame Appiah applies in the portal), its
guarantors accept as their own customer logins, a manager who did not key it approves and
disburses it into the member's account, and from then on the end-of-day chain of every later
history day collects, ages, accrues, charges penalties and provisions it. `current` loans keep the
standing instruction on and, when an instalment falls due and the account lacks the money, the
member pays the difference in at the teller first; `arrears` loans have it switched off and are
never paid, so end of day ages them into the buckets; `closed` loans are paid to the end (or paid
off in cash); the `written_off` loan is written off by the manager with the second manager's
approval and a recovery is paid in cash after it. `today` loans (`Lending.today`, once today's
business day is open) are left submitted (one names Kwame Appiah as guarantor: his request waits),
approved but not paid out, or rejected with the reason.

Dates: each history loan is paid out `disbursed_days_ago` calendar days before the day after the
history's last day, on the next business day. In a history too short for that (the tests' small seeds)
it is paid out in the history's first weeks instead, and its later dates (pay-off, write-off,
recovery) are squeezed proportionally into what is left.
Borrowers are drawn in a seeded order among the KYC-verified members with accounts; a loan's amount
is at most the borrower's savings then (so the savings multiple passes and no guarantee has to cover
a shortfall). A loan is recognised on a later run by its purpose, so nothing is doubled.

Guarantors need a customer login to accept: a member chosen as guarantor of a history loan is
linked (like the demo customer) to a login of their own, `<first>.<last>.<member number>@example.com`
with no usable password (not a demo login: nobody signs in with it, so it is not printed).

"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Sum

from apps.core.roles import Role
from apps.ledger.errors import LedgerError
from apps.ledger.models import ZERO, Account
from apps.loans.applications import (
    eligibility,
    guarantee_accept,
    loan_apply,
    loan_approve,
    loan_reject,
    savings_of,
)
from apps.loans.arrears import LoanPosition, portfolio_at_risk
from apps.loans.models import (
    Loan,
    LoanGuarantee,
    LoanInstalment,
    LoanProduct,
    LoanRequest,
    LoansPolicy,
    LoanTransaction,
)
from apps.loans.servicing import (
    loan_disburse,
    loan_outstanding,
    loan_repay,
    loan_request_approve,
    loan_request_create,
    loan_standing_instruction_set,
    payoff_quote,
)
from apps.members.models import Member
from apps.users.models import User

from . import members as member_demo
from .data import load, money

SCENARIOS = load("loans")
CUSTOMER = "customer"
ERRORS = (LedgerError, ValidationError, PermissionDenied)


@dataclass(frozen=True)
class Scenario:
    state: str
    product: str
    amount: Decimal
    term: int
    account: str
    purpose: str
    borrower: str = ""  # "customer": Kwame Appiah
    guarantors: tuple = ()  # today's loans: "customer" or a count of other members
    reason: str = ""
    recovery: Decimal | None = None
    disbursed_days_ago: int = 0
    paid_off_days_ago: int | None = None
    written_off_days_ago: int | None = None
    recovered_days_ago: int | None = None


def _scenario(row: dict) -> Scenario:
    guarantors = row.get("guarantors", ())
    guarantors = tuple(guarantors) if isinstance(guarantors, list) else ("other",) * int(guarantors or 0)
    return Scenario(**{**row, "amount": money(row["amount"]), "recovery": money(row.get("recovery")),
                       "guarantors": guarantors})


HISTORY = [_scenario(row) for row in SCENARIOS["history"]]
TODAY = [_scenario(row) for row in SCENARIOS["today"]]


def _round_down(value: Decimal, step: Decimal = Decimal("10")) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


class Lending:
    """The demo loans of one seed. `history` is the History walking the days (its staff, members,
    accounts, shadow balances and cash desk)."""

    def __init__(self, history, days: list[date]):
        self.history = history
        self.staff = history.staff
        self.products = {p.code: p for p in LoanProduct.objects.all()}
        self.notes: list[str] = []
        self.plan: dict[date, list[tuple[str, Scenario]]] = {}
        self.current = [s.purpose for s in HISTORY if s.state in ("current", "closed")]
        if len(days) < 3:
            return
        end = days[-1] + timedelta(days=1)  # "today" for the history: the day after its last day
        start = min(20, len(days) // 3)  # by then members have joined and saved a little
        room = (end - days[start]).days
        squeezed = 0
        for scenario in HISTORY:
            steps = [(name, ago) for name, ago in (("pay_off", scenario.paid_off_days_ago),
                                                   ("write_off", scenario.written_off_days_ago),
                                                   ("recover", scenario.recovered_days_ago)) if ago is not None]
            if scenario.disbursed_days_ago <= room:
                index = self._on_or_after(days, end - timedelta(days=scenario.disbursed_days_ago))
            else:  # a history too short for it: paid out in its first weeks, two business days apart
                index = min(start + 2 * squeezed, len(days) - 1)
                squeezed += 1
            self.plan.setdefault(days[index], []).append(("disburse", scenario))
            scale = min(1.0, room / scenario.disbursed_days_ago)
            for name, ago in steps:
                at = self._on_or_after(days, end - timedelta(days=int(ago * scale)))
                index = min(max(at, index + 1), len(days) - 1)
                self.plan.setdefault(days[index], []).append((name, scenario))

    @staticmethod
    def _on_or_after(days: list[date], target: date) -> int:
        return next((i for i, d in enumerate(days) if d >= target), len(days) - 1)

    # --- who ---

    def _member(self, plan) -> Member:
        return self.history.members[plan.key]

    def _candidates(self, day: date, seed: str, exclude=()) -> list:
        """Verified members with accounts who joined before `day` (not the demo customer), in a seeded order."""
        plans = [p for p in self.history.plans if p.verified and p.has_accounts and not p.customer and p.join < day
                 and p.key in self.history.members and p.key not in exclude]
        return random.Random(f"coastal-loans:{member_demo.DEMO_SEED}:{seed}").sample(plans, len(plans))

    def _borrower(self, scenario: Scenario, day: date):
        """(plan, amount): the first candidate who may borrow now, preferring members without loans."""
        if scenario.borrower == CUSTOMER:
            plans = [p for p in self.history.plans if p.customer]
        else:
            plans = self._candidates(day, scenario.purpose)
        product = self.products[scenario.product]
        limit = LoansPolicy.current().max_active_loans
        borrowing = dict(Loan.objects.filter(status__in=(Loan.Status.SUBMITTED, Loan.Status.APPROVED,
                                                         Loan.Status.ACTIVE))
                         .values("member").annotate(n=Count("pk")).values_list("member", "n"))
        late = set(Loan.objects.filter(status=Loan.Status.ACTIVE, days_in_arrears__gt=0)
                   .values_list("member", flat=True))
        for pass_ in (0, 1):
            for plan in plans:
                member = self._member(plan)
                count = borrowing.get(member.pk, 0)
                if member.pk in late or count >= limit or (pass_ == 0 and count and not plan.customer):
                    continue
                amount = min(scenario.amount, product.max_amount,
                             _round_down(savings_of(member) * min(product.max_savings_multiple or 1, 1)))
                if amount >= product.min_amount:
                    return plan, amount
        return None, None

    def _guarantor_user(self, member: Member) -> User:
        """The member's customer login, made (without a usable password) and linked when they have none."""
        if member.user_id:
            return member.user
        first, last = (member.first_name.lower().replace(" ", ""), member.last_name.lower().replace(" ", ""))
        email = f"{first}.{last}.{member.member_number.lower()}@example.com"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, None, role=Role.CUSTOMER, first_name=member.first_name,
                                            last_name=member.last_name)
        return member_demo.link_customer(member, user=user, actor=self.staff.operations).user

    def _pledges(self, scenario: Scenario, borrower, amount: Decimal, day: date, accept: bool) -> list[dict]:
        """The guarantors of a loan and what each pledges (a share of the loan their savings can hold)."""
        product = self.products[scenario.product]
        wanted = list(scenario.guarantors) or ["other"] * product.guarantors_required
        customer = next(p for p in self.history.plans if p.customer)
        pledges = []
        others = iter(self._candidates(day, f"guarantors:{scenario.purpose}", exclude={borrower.key}))
        share = _round_down(amount / max(len(wanted), 1) / 2)
        for who in wanted:
            if who == CUSTOMER:
                pledges.append({"member": self._member(customer), "amount": min(share, Decimal("300.00"))})
                continue
            for plan in others:
                member = self._member(plan)
                free = max((a.available_balance for a in Account.objects.select_related("product").filter(
                    member=member, status=Account.Status.ACTIVE,
                    product__kind__in=("daily_susu", "monthly_contribution"))), default=ZERO)
                pledge = min(share, _round_down(free / 2))
                if pledge >= 50 or (not accept and pledge > 0):
                    pledges.append({"member": member, "amount": pledge})
                    break
        return pledges

    # --- the history's days ---

    def day(self, day: date) -> None:
        """A history day's loan business: the day's scripted steps, then the cash that current loans'
        standing instructions need tonight."""
        for step, scenario in self.plan.get(day, []):
            getattr(self, f"_{step}")(scenario, day)
        self._top_up(day)

    def _loan(self, scenario: Scenario) -> Loan | None:
        return Loan.objects.filter(purpose=scenario.purpose).select_related("member", "account").first()

    def _make(self, scenario: Scenario, day: date, *, guarantees_accepted: bool) -> Loan | None:
        """Apply (and have the guarantors answer); None when no member can borrow now."""
        plan, amount = self._borrower(scenario, day)
        if plan is None:
            self.notes.append(f"no member could borrow for {scenario.purpose!r} on {day}")
            return None
        member = self._member(plan)
        kind = {"daily_susu": "daily_susu", "monthly_contribution": "monthly_contribution"}[scenario.account]
        account = self.history.accounts[(plan.key, kind)]
        pledges = self._pledges(scenario, plan, amount, day, guarantees_accepted)
        actor = self.staff.customer if plan.customer else self.staff.cashier
        loan = loan_apply(actor=actor, product=self.products[scenario.product], amount=amount, term=scenario.term,
                          purpose=scenario.purpose, account=account, member=None if plan.customer else member,
                          guarantors=pledges)
        if guarantees_accepted:
            for guarantee in loan.guarantees.select_related("guarantor", "guarantor__user"):
                guarantee_accept(actor=self._guarantor_user(guarantee.guarantor), guarantee=guarantee)
                self._refresh(Account.objects.filter(member=guarantee.guarantor).values_list("pk", flat=True))
        return loan

    def _disburse(self, scenario: Scenario, day: date) -> None:
        if self._loan(scenario) is not None:
            return
        try:
            with transaction.atomic():  # all of it, or nothing (and a note)
                loan = self._make(scenario, day, guarantees_accepted=True)
                if loan is None:
                    return
                loan = loan_approve(actor=self.staff.manager, loan=loan)
                loan_disburse(actor=self.staff.manager, loan=loan)
                if scenario.state in ("arrears", "written_off"):
                    loan_standing_instruction_set(actor=self.staff.manager, loan=loan, on=False)
        except ERRORS as exc:
            self.notes.append(f"{scenario.purpose!r} on {day}: {exc}")
            return
        self._refresh([loan.account_id])

    def _pay_off(self, scenario: Scenario, day: date) -> None:
        loan = self._loan(scenario)
        if loan is None or loan.status != Loan.Status.ACTIVE:
            return
        # The member brings the payoff in notes (the cash counts in whole cedis) to their account, and the
        # cashier pays the loan off from it.
        amount = payoff_quote(loan, day)["total"]
        account = Account.objects.select_related("product").get(pk=loan.account_id)
        short = (amount - account.available_balance).to_integral_value(rounding=ROUND_UP)
        if short > 0:
            self.history.deposit(self.staff.cashier, account, Decimal(short).quantize(Decimal("0.01")),
                                 f"Cash to pay off loan {loan.number}")
        try:
            loan_repay(actor=self.staff.cashier, loan=loan, amount=amount, channel="account")
        except ERRORS as exc:
            self.notes.append(f"pay-off of {loan.number}: {exc}")
        self._refresh([loan.account_id])

    def _write_off(self, scenario: Scenario, day: date) -> None:
        loan = self._loan(scenario)
        if loan is None or loan.status != Loan.Status.ACTIVE:
            return
        try:
            request = loan_request_create(actor=self.staff.manager, loan=loan, kind=LoanRequest.Kind.WRITE_OFF,
                                          reason=scenario.reason)
            loan_request_approve(actor=self.staff.second_manager, loan_request=request)
        except ERRORS as exc:
            self.notes.append(f"write-off of {loan.number}: {exc}")

    def _recover(self, scenario: Scenario, day: date) -> None:
        loan = self._loan(scenario)
        if loan is None or loan.status != Loan.Status.WRITTEN_OFF:
            return
        owed = loan_outstanding(loan)["total"]
        self._cash(loan, min(scenario.recovery or Decimal("100.00"), owed))

    def _cash(self, loan: Loan, amount: Decimal) -> None:
        """The member pays `amount` on the loan in cash at the teller."""
        if amount <= 0:
            return
        try:
            payment = loan_repay(actor=self.staff.cashier, loan=loan, amount=amount, channel="cash")
        except ERRORS as exc:
            self.notes.append(f"repayment of {loan.number}: {exc}")
            return
        self.history.desk.moved(payment.amount)

    def _top_up(self, day: date) -> None:
        """Current loans: what falls due by tonight and the account cannot pay, the member pays in first."""
        loans = Loan.objects.filter(purpose__in=self.current, status=Loan.Status.ACTIVE, standing_instruction=True)
        for loan in loans.select_related("account", "account__product"):
            due = LoanInstalment.objects.filter(loan=loan, due_date__lte=day).aggregate(
                owed=Sum(F("principal") + F("interest") + F("fees") + F("penalties") - F("principal_paid")
                         - F("interest_paid") - F("fees_paid") - F("penalties_paid")))["owed"] or ZERO
            if due <= 0:
                continue
            account = Account.objects.select_related("product").get(pk=loan.account_id)
            short = (due - account.available_balance).to_integral_value(rounding=ROUND_UP)
            if short > 0:
                self.history.deposit(self.staff.cashier, account, Decimal(short).quantize(Decimal("0.01")),
                                     f"Cash for loan {loan.number} instalment")

    def _refresh(self, pks) -> None:
        self.history.refresh_accounts(list(pks))

    # --- today ---

    def today(self, day: date) -> None:
        """Today's applications: left submitted, approved (not yet paid out) or rejected."""
        for scenario in TODAY:
            if self._loan(scenario) is not None:
                continue
            try:
                with transaction.atomic():
                    loan = self._make(scenario, day, guarantees_accepted=False)
                    if loan is None:
                        continue
                    if scenario.state == "approved":
                        loan_approve(actor=self.staff.manager, loan=loan)
                    elif scenario.state == "rejected":
                        loan_reject(actor=self.staff.manager, loan=loan, reason=scenario.reason)
            except ERRORS as exc:
                self.notes.append(f"{scenario.purpose!r} today: {exc}")


def customer_can_borrow_again(member: Member) -> list:
    """The eligibility rules for one more small emergency loan of `member` (not saved)."""
    product = LoanProduct.objects.get(code="EMERGENCY")
    probe = Loan(member=member, product=product, amount=product.min_amount, term=product.min_term)
    return eligibility(probe)


def loan_figures(on: date) -> dict:
    """Loans by status and the portfolio on `on`: outstanding principal, PAR 30, the buckets, written off
    and recovered."""
    by_status = dict(Loan.objects.values("status").annotate(n=Count("pk")).values_list("status", "n"))
    active = Loan.objects.filter(status=Loan.Status.ACTIVE).select_related("product", "officer")
    positions = []
    for loan in active:
        positions.append(LoanPosition(loan_id=loan.pk, officer=None, product=loan.product.code,
                                      outstanding_principal=loan_outstanding(loan)["principal"],
                                      days_in_arrears=loan.days_in_arrears))
    report = portfolio_at_risk(positions, on)
    moved = LoanTransaction.objects.filter(reversed=False)
    return {
        "by_status": {status.label.lower(): by_status.get(status.value, 0) for status in Loan.Status},
        "gross": report["gross_portfolio"],
        "par30": report["par"]["30"],
        "buckets": {b["name"]: b["loans"] for b in report["buckets"]},
        "written_off": moved.filter(kind=LoanTransaction.Kind.WRITE_OFF).aggregate(s=Sum("amount"))["s"] or ZERO,
        "recovered": moved.filter(kind=LoanTransaction.Kind.RECOVERY).aggregate(s=Sum("amount"))["s"] or ZERO,
        "guarantee_requests": LoanGuarantee.objects.filter(status=LoanGuarantee.Status.REQUESTED,
                                                           loan__status=Loan.Status.SUBMITTED).count(),
    }
