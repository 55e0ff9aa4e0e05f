"""Servicing a loan: disbursal, repayments from every channel, the payoff quote, and the acts a second
manager approves (undoing a disbursal, a backdated repayment, a write-off).

Every movement here is one journal entry through the ledger's posting engine (`posting.entry_post`),
under the engine's one lock order (the acting user's row for money leaving a member account, the member
accounts by primary key, then the loan row, then the cash desk's rows), idempotent per key
(`posting.idempotent`) and audited in the same database transaction.

How the money is booked (the rules the issue leaves open, as Apache Fineract's accrual accounting does):

* **Disbursal**: loans receivable is debited with the principal owed; the member's account (or the
  cashier's drawer) is credited with what is paid out, and fee income with the product's fees. A fee
  *deducted at disbursal* is kept back from what is paid out; a *capitalised* fee is added to the
  principal owed (the member receives the approved amount and repays it with the fee), so the
  schedule is made on approved amount + capitalised fees.
* **Interest** is recognised by end of day's accrual (interest receivable Dr, interest income Cr,
  `eod.py`). A repayment's interest portion settles interest receivable as far as it has been accrued
  on that loan (`Loan.interest_receivable`); interest paid ahead of accrual goes straight to interest
  income and counts as recognised (`Loan.interest_recognised`), so the accrual never books it twice.
  A non-performing loan accrues nothing: its interest reaches income only when paid (cash basis).
* **Penalties** charged by end of day are dues on the instalment, not postings: penalty income is
  booked when a penalty is paid (Fineract's cash basis for charges).
* **After a write-off** every payment is a recovery: the whole amount to recoveries income.

Repayments follow `allocation.allocate` (Fineract's default strategy: penalties, fees, interest,
principal, instalment by instalment, oldest first, whether due or not). A loan whose schedule is fully
paid closes, and its guarantors' pledges are released.
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.services import record
from apps.core.calendar import working_calendar
from apps.core.money import InvalidAmount, format_money, parse_amount
from apps.core.roles import Role
from apps.ledger import cash_desk
from apps.ledger.errors import LedgerError
from apps.ledger.models import ZERO, Account, Transaction
from apps.ledger.posting import (
    Entry,
    Idempotency,
    Line,
    entry_post,
    idempotent,
    lock_accounts,
    movement_context,
    new_reference,
    retry_on_conflict,
)
from apps.ledger.services import movement_check
from apps.members.selectors import members_visible_to

from .allocation import COMPONENTS, AllocationError, InstalmentDue, allocate, instalment_status, outstanding
from .allocation import payoff_quote as allocation_payoff
from .applications import loans_visible_to, release_guarantees
from .models import Loan, LoanInstalment, LoanPenalty, LoanRequest, LoanTransaction
from .schedule import Schedule, ScheduleTerms, generate_schedule
from .services import FeeAmount, capitalised, fee_value

T = Transaction.Type
PURPOSE_DISBURSAL = "loan_disbursal"
PURPOSE_REPAYMENT = "loan_repayment"
DISBURSE_ROLES = (Role.MANAGER, Role.CASHIER)
Channel = LoanTransaction.Channel


# --- reading a loan ------------------------------------------------------------------------------

def due_of(instalment: LoanInstalment) -> InstalmentDue:
    return InstalmentDue(
        number=instalment.number, due_date=instalment.due_date, principal=instalment.principal,
        interest=instalment.interest, fees=instalment.fees, penalties=instalment.penalties,
        principal_paid=instalment.principal_paid, interest_paid=instalment.interest_paid,
        fees_paid=instalment.fees_paid, penalties_paid=instalment.penalties_paid)


def instalments_of(loan: Loan) -> list[LoanInstalment]:
    return list(LoanInstalment.objects.filter(loan=loan).order_by("due_date", "number"))


def loan_outstanding(loan: Loan, instalments: list[LoanInstalment] | None = None) -> dict[str, Decimal]:
    """`{principal, interest, fees, penalties, total}` still owed on the schedule (zeros before disbursal)."""
    if instalments is None:
        instalments = instalments_of(loan)
    return outstanding([due_of(i) for i in instalments], decimals=loan.decimals)


def next_due(loan: Loan, instalments: list[LoanInstalment] | None = None) -> date | None:
    """The due date of the oldest instalment not fully paid (None when nothing is owed)."""
    if loan.status not in (Loan.Status.ACTIVE, Loan.Status.WRITTEN_OFF):
        return None
    if instalments is None:
        instalments = instalments_of(loan)
    return next((i.due_date for i in instalments if i.outstanding > 0), None)


def loan_schedule(loan: Loan, on: date) -> dict:
    """The loan's fixed schedule with what has been paid, each instalment's status on `on`
    (`allocation.instalment_status`: paid, partly paid, pending or overdue)."""
    instalments = instalments_of(loan)
    rows = []
    for inst in instalments:
        rows.append({"number": inst.number, "due_date": inst.due_date, "principal": inst.principal,
                     "interest": inst.interest, "fees": inst.fees, "penalties": inst.penalties,
                     "total": inst.total, "principal_due_after": ZERO, "paid": inst.total_paid,
                     "status": instalment_status(due_of(inst), on)})
    remaining = sum((inst.principal for inst in instalments), ZERO)
    for row in rows:
        remaining -= row["principal"]
        row["principal_due_after"] = remaining
    principal = sum((i.principal for i in instalments), ZERO)
    interest = sum((i.interest for i in instalments), ZERO)
    fees = sum((i.fees + i.penalties for i in instalments), ZERO)
    return {"principal": principal, "total_interest": interest, "total_fees": fees,
            "total_repayment": principal + interest + fees, "instalments": rows}


def payoff_quote(loan: Loan, on: date) -> dict:
    """What closes the loan on `on` (`allocation.payoff_quote`): everything outstanding on the schedule."""
    if loan.status not in (Loan.Status.ACTIVE, Loan.Status.WRITTEN_OFF):
        raise LedgerError("loan_not_active", f"Loan {loan.number} is {loan.get_status_display().lower()}: "
                                             "there is nothing to pay off.")
    quote = allocation_payoff([due_of(i) for i in instalments_of(loan)], on, decimals=loan.decimals)
    return {"date": on, **quote}


# --- the schedule a disbursal fixes ----------------------------------------------------------------

def loan_schedule_terms(loan: Loan) -> ScheduleTerms:
    """The generator's terms from what the loan copied from its product when the member applied."""
    t = loan.terms

    def dec(name):
        return None if t.get(name) in (None, "") else Decimal(t[name])

    return ScheduleTerms(
        interest_method=t["interest_method"], amortization=t["amortization"],
        interest_rate=Decimal(loan.interest_rate), interest_rate_period=loan.interest_rate_period,
        interest_calculation=t["interest_calculation"], days_in_year=t["days_in_year"],
        repayment_every=int(t["repayment_every"]), repayment_frequency=t["repayment_frequency"], term=loan.term,
        currency_decimals=int(t["currency_decimals"]), currency_multiple=dec("currency_multiple"),
        instalment_multiple=dec("instalment_multiple"), grace_on_principal=int(t["grace_on_principal"]),
        grace_on_interest=int(t["grace_on_interest"]))


@dataclass(frozen=True)
class DisbursalFigures:
    approved: Decimal  # the approved amount
    deducted_fees: Decimal  # kept back from what is paid out
    capitalised_fees: Decimal  # added to the principal owed
    fees: tuple  # FeeAmount rows

    @property
    def principal_owed(self) -> Decimal:
        return self.approved + self.capitalised_fees

    @property
    def paid_out(self) -> Decimal:
        return self.approved - self.deducted_fees


def disbursal_figures(loan: Loan) -> DisbursalFigures:
    """The fees of the loan's terms (copied from the product when the member applied) on its approved
    amount (`services.fee_value`)."""
    approved = loan.principal
    fees = [FeeAmount(fee["name"], fee["when"], fee_value(fee["kind"], fee["amount"], approved))
            for fee in loan.terms.get("fees", [])]
    total = sum((fee.amount for fee in fees), ZERO)
    return DisbursalFigures(approved, total - capitalised(fees), capitalised(fees), tuple(fees))


def disbursal_schedule(loan: Loan, disbursement_date: date) -> Schedule:
    days = working_calendar()
    return generate_schedule(loan_schedule_terms(loan), principal=disbursal_figures(loan).principal_owed,
                             disbursement_date=disbursement_date, holidays=days.holidays,
                             non_working_weekdays=days.non_working_weekdays)


# --- disbursal -------------------------------------------------------------------------------------

class _Reviewed(Exception):
    def __init__(self, result):
        self.result = result


def _review(run):
    """What `run()` would post, or the refusal posting would raise; nothing is written. The same locks
    and checks as posting, in a transaction that is always rolled back (as the ledger's review pages),
    so a confirm page never promises what posting refuses. The result is an unsaved-in-effect
    LoanTransaction: its figures are the ones posting would record."""
    try:
        with transaction.atomic():
            raise _Reviewed(run())
    except _Reviewed as done:
        return done.result


def _business_date(context) -> date:
    if context.business_date is None:
        raise LedgerError("business_day_closed", "No business day is open: open one before moving money.")
    return context.business_date


def _lock_loan(loan) -> Loan:
    pk = loan.pk if isinstance(loan, Loan) else loan
    found = Loan.objects.select_for_update(of=("self",)).select_related("product", "member", "account").filter(
        pk=pk).first()
    if found is None:
        raise ValidationError({"loan_id": "No such loan."})
    return found


def _gl(reference, gl_id):
    return reference.gl(gl_id)


def _cash_gl(actor, kind: str, amount: Decimal, business_date: date):
    """The cash desk's GL account for cash paid out (a withdrawal) or taken in (a deposit) by `actor`
    (apps/ledger/cash_desk.py: the cashier's open drawer, a field banker's collection run)."""
    probe = Transaction(transaction_type=kind, amount=amount, business_date=business_date, initiated_by=actor)
    return cash_desk.cash_account_for(actor=actor, txn=probe)


@retry_on_conflict
def loan_disburse(*, actor, loan: Loan, disbursement_date: date | None = None, channel: str = Channel.ACCOUNT,
                  idempotency_key: str | None = None, request=None, review: bool = False) -> LoanTransaction:
    """Pay out an approved loan: one journal entry (see the module docstring), the schedule fixed as
    instalment rows, the loan `active`. Into the member's account (`channel="account"`) by a manager or
    a cashier, or in cash from the cashier's drawer (`channel="cash"`). The disbursal date is the open
    business date unless an earlier one is given (a loan paid out on a day not yet keyed); never in
    the future, never before the approval. With `review`, what it would post (`_review`)."""
    if getattr(actor, "role", None) not in DISBURSE_ROLES:
        raise PermissionDenied("Only a manager or a cashier disburses loans.")
    if channel not in (Channel.ACCOUNT, Channel.CASH):
        raise ValidationError({"channel": "Pay a loan out into the member's account or in cash."})
    if channel == Channel.CASH and actor.role != Role.CASHIER:
        raise PermissionDenied("Only a cashier pays a loan out in cash, from their drawer.")
    if review:
        return _review(lambda: _disburse(actor, loan, disbursement_date, channel, request))
    idempotency = Idempotency.of(idempotency_key, "loan_disburse", loan=loan.pk, channel=channel,
                                 date=str(disbursement_date or ""))
    return idempotent(actor=actor, idempotency=idempotency, model=LoanTransaction,
                      run=lambda: _disburse(actor, loan, disbursement_date, channel, request))


def _disburse(actor, loan, disbursement_date, channel, request) -> LoanTransaction:
    context = movement_context()
    business_date = _business_date(context)
    ref = context.reference
    accounts = lock_accounts([loan.account_id], reference=ref)
    loan = _lock_loan(loan)
    if loan.status != Loan.Status.APPROVED:
        if loan.status in (Loan.Status.ACTIVE, Loan.Status.CLOSED, Loan.Status.WRITTEN_OFF):
            raise LedgerError("already_disbursed", f"Loan {loan.number} was already disbursed on "
                                                   f"{loan.disbursed_on:%d %b %Y}.")
        raise LedgerError("loan_not_approved", f"Loan {loan.number} is {loan.get_status_display().lower()}: only an "
                                               "approved loan is disbursed.")
    day = disbursement_date or business_date
    if day > business_date:
        raise ValidationError({"disbursement_date": "A loan cannot be disbursed on a future date."})
    if loan.decided_on and day < loan.decided_on:
        raise ValidationError({"disbursement_date": "A loan cannot be disbursed before it was approved."})
    account = accounts[loan.account_id]
    if channel == Channel.ACCOUNT and account.status != Account.Status.ACTIVE:
        raise LedgerError("account_not_active", f"Account {account.account_number} is "
                                                f"{account.get_status_display().lower()}: it cannot receive the loan.")
    figures = disbursal_figures(loan)
    if figures.paid_out <= 0:
        raise LedgerError("fees_exceed_loan", "The loan's fees are more than the amount approved.")
    schedule = disbursal_schedule(loan, day)
    product = loan.product
    txn = Transaction(amount=figures.paid_out, business_date=business_date, initiated_by=actor,
                      reference=new_reference("TX", business_date), purpose=PURPOSE_DISBURSAL,
                      channel="cash" if channel == Channel.CASH else "admin",
                      description=f"Loan {loan.number} disbursed", status=Transaction.Status.COMPLETED,
                      completed_at=timezone.now(), counterparty_gl=_gl(ref, product.loans_receivable_account_id))
    if channel == Channel.CASH:
        txn.transaction_type = T.WITHDRAWAL
        pay_line = Line(gl=_cash_gl(actor, T.WITHDRAWAL, figures.paid_out, business_date), credit=figures.paid_out)
    else:
        txn.transaction_type, txn.to_account = T.DEPOSIT, account
        pay_line = Line(gl=account.product.control_account, account=account, credit=figures.paid_out)
    fees = figures.deducted_fees + figures.capitalised_fees
    lines = [Line(gl=_gl(ref, product.loans_receivable_account_id), debit=figures.principal_owed), pay_line]
    if fees:
        lines.append(Line(gl=_gl(ref, product.fee_income_account_id), credit=fees))
    [entry] = entry_post(entries=[Entry(lines=lines, description=txn.description, transaction=txn)], actor=actor,
                         business_date=business_date)
    LoanInstalment.objects.bulk_create([
        LoanInstalment(loan=loan, number=i.number, due_date=i.due_date, principal=i.principal, interest=i.interest,
                       fees=i.fees, from_date=(schedule.instalments[n - 1].due_date if n else day))
        for n, i in enumerate(schedule.instalments)])
    result = LoanTransaction.objects.create(
        loan=loan, kind=LoanTransaction.Kind.DISBURSAL, channel=channel, value_date=day, business_date=business_date,
        amount=figures.principal_owed, principal=figures.principal_owed, fees=fees, transaction=txn,
        journal_entry=entry, created_by=actor,
        note=f"Paid out {format_money(figures.paid_out)}" + (f"; fees {format_money(fees)}" if fees else ""))
    loan.status, loan.disbursed_on, loan.disbursed_by = Loan.Status.ACTIVE, day, actor
    loan._history_user = actor
    loan.save()
    record(actor, "loan.disburse", loan, request=request, number=loan.number, channel=channel,
           principal=str(figures.principal_owed), paid_out=str(figures.paid_out), fees=str(fees),
           date=str(day), transaction=txn.reference)
    return result


# --- repayments ------------------------------------------------------------------------------------

def _repay_amount(raw, decimals: int) -> Decimal:
    try:
        amount = parse_amount(raw)
    except InvalidAmount as exc:
        raise ValidationError({"amount": str(exc)})
    if amount <= 0:
        raise ValidationError({"amount": "The amount must be more than zero."})
    if amount != amount.quantize(Decimal(1).scaleb(-decimals)):
        raise ValidationError({"amount": f"This loan is repaid in amounts of at most {decimals} decimal places."})
    return amount


def _default_channel(actor) -> str:
    return {Role.CUSTOMER: Channel.ACCOUNT, Role.CASHIER: Channel.CASH,
            Role.MOBILE_BANKER: Channel.FIELD}.get(actor.role, Channel.ACCOUNT)


def _check_repayer(actor, loan: Loan, channel: str, from_account) -> None:
    """Who may repay how: the owner from their own account; a cashier in cash or from the member's
    account; a mobile banker in the field for an assigned member; a manager from the member's account."""
    role = getattr(actor, "role", None)
    allowed = {Role.CUSTOMER: (Channel.ACCOUNT,), Role.CASHIER: (Channel.CASH, Channel.ACCOUNT),
               Role.MOBILE_BANKER: (Channel.FIELD,), Role.MANAGER: (Channel.ACCOUNT,)}
    if role not in allowed:
        raise PermissionDenied("Your role does not take loan repayments.")
    if channel not in allowed[role]:
        raise PermissionDenied(f"A {actor.get_role_display().lower()} takes repayments "
                               f"{' or '.join(Channel(c).label.lower() for c in allowed[role])}.")
    if role == Role.CUSTOMER and loan.member.user_id != actor.pk:
        raise PermissionDenied("You can repay only your own loans.")
    if role == Role.MOBILE_BANKER and not members_visible_to(actor).filter(pk=loan.member_id).exists():
        raise PermissionDenied("This member is not assigned to you.")
    if from_account is not None and from_account.member_id != loan.member_id:
        raise ValidationError({"from_account_id": "Repay from one of the borrower's own accounts."})


@retry_on_conflict
def loan_repay(*, actor, loan: Loan, amount, channel: str | None = None, from_account=None,
               idempotency_key: str | None = None, request=None, review: bool = False) -> LoanTransaction:
    """A repayment on the open business date: cash at the teller (into the cashier's drawer), from a
    member account (the owner in the portal or API, staff at the counter), or collected in the field
    (onto the banker's field cash, so it is counted in their remittance). Allocated by
    `allocation.allocate`; more than the payoff is refused (409 `over_payoff`). With `review`, what it
    would post, its allocation included (`_review`): confirm pages show that."""
    if not isinstance(loan, Loan):
        loan = Loan.objects.select_related("member").filter(pk=loan).first()
        if loan is None:
            raise ValidationError({"loan_id": "No such loan."})
    channel = channel or _default_channel(actor)
    if channel not in (Channel.CASH, Channel.ACCOUNT, Channel.FIELD):
        raise ValidationError({"channel": "Repay in cash, from an account or in the field."})
    account = None
    if channel == Channel.ACCOUNT:
        account_pk = from_account.pk if isinstance(from_account, Account) else (from_account or loan.account_id)
        account = Account.objects.filter(pk=account_pk).first()
        if account is None:
            raise ValidationError({"from_account_id": "No such account."})
    _check_repayer(actor, loan, channel, account)
    amount = _repay_amount(amount, loan.decimals)
    if review:
        return _review(lambda: _repay(actor, loan, amount, channel, account, request))
    idempotency = Idempotency.of(idempotency_key, "loan_repay", loan=loan.pk, amount=str(amount), channel=channel,
                                 account=account.pk if account else None)
    return idempotent(actor=actor, idempotency=idempotency, model=LoanTransaction,
                      run=lambda: _repay(actor, loan, amount, channel, account, request))


def _repay(actor, loan, amount, channel, account, request) -> LoanTransaction:
    context = movement_context(lock_user_id=actor.pk if account is not None else None)
    business_date = _business_date(context)
    ref = context.reference
    accounts = lock_accounts([account.pk] if account else [], reference=ref, with_member=account is not None)
    loan = _lock_loan(loan)
    txn = Transaction(amount=amount, business_date=business_date, initiated_by=actor,
                      reference=new_reference("TX", business_date), purpose=PURPOSE_REPAYMENT,
                      description=f"Loan {loan.number} repayment", status=Transaction.Status.COMPLETED,
                      channel={Channel.ACCOUNT: "portal" if actor.role == Role.CUSTOMER else "admin",
                               Channel.CASH: "cash", Channel.FIELD: "field"}[channel],
                      counterparty_gl=_gl(ref, loan.product.loans_receivable_account_id))
    kind, allocation, instalments = _allocate_now(loan, amount, business_date)
    source_lines = _source_lines(actor, txn, channel, accounts.get(account.pk) if account else None, context)
    lines = source_lines + _allocation_lines(loan, kind, allocation, ref)
    txn.completed_at = timezone.now()
    [entry] = entry_post(entries=[Entry(lines=lines, description=txn.description, transaction=txn)], actor=actor,
                         business_date=business_date)
    result = _record_repayment(actor, loan, kind, channel, amount, allocation, instalments, txn, entry,
                               business_date, business_date)
    record(actor, f"loan.{kind}", loan, request=request, number=loan.number, amount=str(amount), channel=channel,
           transaction=txn.reference, **{c: str(getattr(allocation, c)) for c in COMPONENTS})
    return result


def _allocate_now(loan: Loan, amount: Decimal, on: date):
    """(kind, allocation, instalments) for a payment on a loan locked by the caller."""
    if loan.status == Loan.Status.CLOSED:
        raise LedgerError("loan_closed", f"Loan {loan.number} is fully repaid and closed.")
    if loan.status not in (Loan.Status.ACTIVE, Loan.Status.WRITTEN_OFF):
        raise LedgerError("loan_not_active", f"Loan {loan.number} is {loan.get_status_display().lower()}: it "
                                             "is not repaid until it is disbursed.")
    instalments = instalments_of(loan)
    try:
        allocation, updated = allocate([due_of(i) for i in instalments], amount, on=on, decimals=loan.decimals)
    except AllocationError as exc:
        if exc.code == "invalid_amount":
            raise ValidationError({"amount": str(exc)})
        raise LedgerError(exc.code, str(exc)[:1].upper() + str(exc)[1:] + ".")
    by_number = {i.number: i for i in instalments}
    for due in updated:
        inst = by_number[due.number]
        for component in COMPONENTS:
            setattr(inst, f"{component}_paid", due.paid(component))
        if inst.paid_on is None and due.is_paid:
            inst.paid_on = on
    kind = LoanTransaction.Kind.RECOVERY if loan.status == Loan.Status.WRITTEN_OFF else LoanTransaction.Kind.REPAYMENT
    return kind, allocation, instalments


def _source_lines(actor, txn: Transaction, channel: str, account: Account | None, context) -> list[Line]:
    """Where the money comes from: the member account (every ledger rule of money leaving an account,
    through the engine's `movement_check`: status, KYC, funds, daily limits) or the cash desk."""
    if channel == Channel.ACCOUNT:
        txn.transaction_type, txn.from_account = T.PAYMENT, account
        check = movement_check(actor=actor, txn=txn, accounts={account.pk: account},
                               business_date=txn.business_date, reference=context.reference,
                               user_limit=context.user_limit)
        # the engine's lines for a payment, less its credit to the counterparty: the loan's lines replace it
        return [line for line in check.lines if not (line.account is None and line.gl == txn.counterparty_gl)]
    txn.transaction_type = T.DEPOSIT
    return [Line(gl=_cash_gl(actor, T.DEPOSIT, txn.amount, txn.business_date), debit=txn.amount)]


def _allocation_lines(loan: Loan, kind: str, allocation, ref) -> list[Line]:
    """Where a payment goes, and the loan's interest accounting moved with it (module docstring)."""
    product = loan.product
    if kind == LoanTransaction.Kind.RECOVERY:
        return [Line(gl=_gl(ref, product.recoveries_account_id), credit=allocation.total)]
    to_receivable = min(allocation.interest, max(loan.interest_receivable, ZERO))
    to_income = allocation.interest - to_receivable
    loan.interest_receivable -= to_receivable
    loan.interest_recognised += to_income
    credits = [(product.loans_receivable_account_id, allocation.principal),
               (product.interest_receivable_account_id, to_receivable),
               (product.interest_income_account_id, to_income),
               (product.fee_income_account_id, allocation.fees),
               (product.penalty_income_account_id, allocation.penalties)]
    return [Line(gl=_gl(ref, gl_id), credit=value) for gl_id, value in credits if value]


def _record_repayment(actor, loan, kind, channel, amount, allocation, instalments, txn, entry, value_date,
                      business_date) -> LoanTransaction:
    LoanInstalment.objects.bulk_update(instalments, [f"{c}_paid" for c in COMPONENTS] + ["paid_on"])
    result = LoanTransaction.objects.create(
        loan=loan, kind=kind, channel=channel, value_date=value_date, business_date=business_date, amount=amount,
        **{c: getattr(allocation, c) for c in COMPONENTS},
        per_instalment=[{"number": p.number, **{c: str(getattr(p, c)) for c in COMPONENTS}}
                        for p in allocation.per_instalment],
        transaction=txn, journal_entry=entry, created_by=actor)
    if all(i.outstanding == 0 for i in instalments) and loan.status == Loan.Status.ACTIVE:
        loan.status, loan.closed_on, loan.days_in_arrears, loan.non_performing = (
            Loan.Status.CLOSED, business_date, 0, False)
        release_guarantees(actor, loan)
    loan._history_user = actor
    loan.save()
    return result



# --- standing instruction (end of day) ------------------------------------------------------------

def standing_instruction_collect(*, actor, loan: Loan, business_date: date) -> LoanTransaction | None:
    """End of day: pay what is due on or before `business_date` from the loan's account, as far as its
    available balance (balance less holds less the product's minimum) allows; None when nothing is due
    or nothing is available. The standing instruction is the member's standing order, so the ledger's
    per-user daily limits (a teller's) do not apply to it. Re-run for the same date it finds nothing
    due or nothing available, so it pays nothing twice."""
    with transaction.atomic():
        reference = movement_context().reference
        account = lock_accounts([loan.account_id], reference=reference)[loan.account_id]
        loan = _lock_loan(loan)
        if loan.status != Loan.Status.ACTIVE or not loan.standing_instruction:
            return None
        due = sum((i.outstanding for i in instalments_of(loan) if i.due_date <= business_date), ZERO)
        available = account.balance - account.held_balance - account.product.minimum_balance
        amount = min(due, available)
        if account.status != Account.Status.ACTIVE or amount <= 0:
            return None
        amount = amount.quantize(Decimal(1).scaleb(-loan.decimals), rounding="ROUND_DOWN")
        if amount <= 0:
            return None
        txn = Transaction(transaction_type=T.PAYMENT, amount=amount, from_account=account,
                          business_date=business_date, initiated_by=actor, channel="system",
                          reference=new_reference("TX", business_date), purpose=PURPOSE_REPAYMENT,
                          description=f"Loan {loan.number} instalment (standing instruction)",
                          status=Transaction.Status.COMPLETED, completed_at=timezone.now(),
                          counterparty_gl=_gl(reference, loan.product.loans_receivable_account_id))
        kind, allocation, instalments = _allocate_now(loan, amount, business_date)
        lines = [Line(gl=account.product.control_account, account=account, debit=amount)]
        lines += _allocation_lines(loan, kind, allocation, reference)
        [entry] = entry_post(entries=[Entry(lines=lines, description=txn.description, transaction=txn)],
                             actor=actor, business_date=business_date)
        return _record_repayment(actor, loan, kind, Channel.STANDING_INSTRUCTION, amount, allocation, instalments,
                                 txn, entry, business_date, business_date)


# --- acts a second manager approves ---------------------------------------------------------------

REQUEST_ROLES = {
    LoanRequest.Kind.WRITE_OFF: (Role.MANAGER,),
    LoanRequest.Kind.DISBURSAL_REVERSAL: (Role.MANAGER, Role.CASHIER),
    LoanRequest.Kind.BACKDATED_REPAYMENT: (Role.MANAGER, Role.CASHIER),
}


def _has_repayments(loan: Loan) -> bool:
    return loan.transactions.filter(kind__in=(LoanTransaction.Kind.REPAYMENT, LoanTransaction.Kind.RECOVERY),
                                    reversed=False).exists()


def _open_business_date() -> date:
    return _business_date(movement_context())


def loan_request_create(*, actor, loan: Loan, kind: str, reason: str, amount=None, value_date: date | None = None,
                        channel: str | None = None, request=None) -> LoanRequest:
    """Ask a second manager to approve a write-off, the reversal of a disbursal (only before any
    repayment) or a backdated repayment (a payment received on an earlier date and not recorded then:
    `amount`, `value_date` before today, `channel` cash or account). Nothing is posted until then."""
    if kind not in REQUEST_ROLES:
        raise ValidationError({"kind": "Ask for a write-off, a disbursal reversal or a backdated repayment."})
    if getattr(actor, "role", None) not in REQUEST_ROLES[kind]:
        raise PermissionDenied(f"Your role may not ask for a {LoanRequest.Kind(kind).label.lower()}.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason; the approving manager reads it."})
    fields = {}
    if kind == LoanRequest.Kind.BACKDATED_REPAYMENT:
        fields = _backdated_fields(actor, loan, amount, value_date, channel)
    with transaction.atomic():
        loan = _lock_loan(loan)
        if loan.status != Loan.Status.ACTIVE:
            raise LedgerError("loan_not_active", f"Loan {loan.number} is {loan.get_status_display().lower()}.")
        if kind == LoanRequest.Kind.DISBURSAL_REVERSAL and _has_repayments(loan):
            raise LedgerError("loan_has_repayments", f"Loan {loan.number} has repayments: a disbursal is reversed "
                                                     "only before any repayment.")
        if loan.requests.filter(kind=kind, status=LoanRequest.Status.PENDING).exists():
            raise LedgerError("request_pending", f"A {LoanRequest.Kind(kind).label.lower()} of {loan.number} is "
                                                 "already waiting for approval.")
        loan_request = LoanRequest(loan=loan, kind=kind, reason=reason[:255], requested_by=actor, **fields)
        loan_request._history_user = actor
        loan_request.save()
        record(actor, f"loan.{kind}_requested", loan, request=request, number=loan.number, reason=reason,
               **{k: str(v) for k, v in fields.items() if k != "from_account"})
    return loan_request


def loan_write_off(*, actor, loan: Loan, reason: str, request=None) -> LoanRequest:
    """The API's write-off (`POST /api/loans/{id}/write-off/`): a manager asks for it; a different
    manager asking for the same loan's write-off while the first request waits approves that request
    (four eyes through one endpoint). The manager who asked, asking again, is told it waits."""
    pending = loan.requests.filter(kind=LoanRequest.Kind.WRITE_OFF, status=LoanRequest.Status.PENDING).first()
    if pending is not None and pending.requested_by_id != getattr(actor, "pk", None):
        return loan_request_approve(actor=actor, loan_request=pending, request=request)
    return loan_request_create(actor=actor, loan=loan, kind=LoanRequest.Kind.WRITE_OFF, reason=reason,
                               request=request)


def _backdated_fields(actor, loan: Loan, amount, value_date, channel) -> dict:
    amount = _repay_amount(amount, loan.decimals)
    errors = {}
    today = _open_business_date()
    if not isinstance(value_date, date):
        errors["value_date"] = "Give the date the payment was received."
    elif value_date >= today:
        errors["value_date"] = "A backdated repayment is for a date before today; take today's as a repayment."
    elif loan.disbursed_on and value_date < loan.disbursed_on:
        errors["value_date"] = "The date is before the loan was disbursed."
    channel = channel or _default_channel(actor)
    if channel not in (Channel.CASH, Channel.ACCOUNT):
        errors["channel"] = "A backdated repayment was received in cash or from the member's account."
    elif channel == Channel.CASH and actor.role != Role.CASHIER:
        errors["channel"] = "Only a cashier records cash, into their drawer."
    if errors:
        raise ValidationError(errors)
    return {"amount": amount, "value_date": value_date, "channel": channel,
            "from_account": loan.account if channel == Channel.ACCOUNT else None}


def _decided_locked(actor, loan_request: LoanRequest) -> LoanRequest:
    if getattr(actor, "role", None) != Role.MANAGER:
        raise PermissionDenied("Only a manager decides loan requests.")
    found = LoanRequest.objects.select_for_update().select_related("loan", "requested_by").get(pk=loan_request.pk)
    if found.status != LoanRequest.Status.PENDING:
        raise LedgerError("request_decided", f"This request was already {found.get_status_display().lower()}.")
    return found


@retry_on_conflict
def loan_request_approve(*, actor, loan_request: LoanRequest, request=None) -> LoanRequest:
    """A manager other than the one who asked (and not the borrower) approves; the act is posted in the
    same database transaction, or nothing is if it is refused now."""
    with transaction.atomic():
        found = _decided_locked(actor, loan_request)
        if found.requested_by_id == actor.pk:
            raise PermissionDenied("You asked for this: another manager must approve it.")
        if found.loan.member.user_id == actor.pk:
            raise PermissionDenied("You cannot approve a request on your own loan.")
        run = {LoanRequest.Kind.WRITE_OFF: _write_off, LoanRequest.Kind.DISBURSAL_REVERSAL: _reverse_disbursal,
               LoanRequest.Kind.BACKDATED_REPAYMENT: _backdated_repay}[found.kind]
        found.result = run(actor, found)
        found.loan = found.result.loan  # the loan as the act left it
        found.status, found.decided_by, found.decided_at = LoanRequest.Status.APPROVED, actor, timezone.now()
        found._history_user = actor
        found.save()
        record(actor, f"loan.{found.kind}_approved", found.loan, request=request, number=found.loan.number,
               requested_by=found.requested_by.email, amount=str(found.result.amount))
    return found


def loan_request_reject(*, actor, loan_request: LoanRequest, reason: str, request=None) -> LoanRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for rejecting the request."})
    with transaction.atomic():
        found = _decided_locked(actor, loan_request)
        found.status, found.decided_by, found.decided_at = LoanRequest.Status.REJECTED, actor, timezone.now()
        found.decision_note = reason[:255]
        found._history_user = actor
        found.save()
        record(actor, f"loan.{found.kind}_rejected", found.loan, request=request, number=found.loan.number,
               reason=reason)
    return found


def _write_off(actor, loan_request: LoanRequest) -> LoanTransaction:
    """Write the loan off: its outstanding principal and the interest accrued but unpaid go to the
    write-off expense (Fineract's write-off posts principal and accrued interest to the losses account).
    Later payments are recoveries. The guarantors' pledges are released: the loan has left the books."""
    context = movement_context()
    business_date, ref = _business_date(context), context.reference
    loan = _lock_loan(loan_request.loan)
    if loan.status != Loan.Status.ACTIVE:
        raise LedgerError("loan_not_active", f"Loan {loan.number} is {loan.get_status_display().lower()}.")
    principal = loan_outstanding(loan)["principal"]
    interest = max(loan.interest_receivable, ZERO)
    product = loan.product
    lines = [Line(gl=_gl(ref, product.write_off_account_id), debit=principal + interest)]
    lines += [Line(gl=_gl(ref, gl_id), credit=value) for gl_id, value in (
        (product.loans_receivable_account_id, principal), (product.interest_receivable_account_id, interest)) if value]
    entry = None
    if principal + interest > 0:
        [entry] = entry_post(entries=[Entry(lines=lines, description=f"Loan {loan.number} written off")],
                             actor=actor, business_date=business_date)
    result = LoanTransaction.objects.create(
        loan=loan, kind=LoanTransaction.Kind.WRITE_OFF, channel=Channel.SYSTEM, value_date=business_date,
        business_date=business_date, amount=principal + interest, principal=principal, interest=interest,
        journal_entry=entry, created_by=loan_request.requested_by, approved_by=actor, note=loan_request.reason)
    loan.status, loan.written_off_on, loan.interest_receivable = Loan.Status.WRITTEN_OFF, business_date, ZERO
    loan._history_user = actor
    loan.save()
    release_guarantees(actor, loan)
    return result


def _reverse_disbursal(actor, loan_request: LoanRequest) -> LoanTransaction:
    """Undo a disbursal before any repayment: the disbursal's entry reversed (the money back from the
    member's account, or cash back into the requesting cashier's drawer), interest accrued since then
    taken back, the schedule removed; the loan is `approved` again, as Fineract's "undo disbursal"."""
    context = movement_context()
    business_date, ref = _business_date(context), context.reference
    loan = loan_request.loan
    disbursal = loan.transactions.select_related("transaction", "journal_entry").get(
        kind=LoanTransaction.Kind.DISBURSAL, reversed=False)
    original = disbursal.transaction
    accounts = lock_accounts([original.to_account_id], reference=ref)
    loan = _lock_loan(loan)
    if loan.status != Loan.Status.ACTIVE or _has_repayments(loan):
        raise LedgerError("loan_has_repayments", f"Loan {loan.number} has repayments or is no longer active: its "
                                                 "disbursal cannot be reversed.")
    product = loan.product
    if disbursal.channel == Channel.CASH:
        payer = Line(gl=_cash_gl(loan_request.requested_by, T.DEPOSIT, original.amount, business_date),
                     debit=original.amount)
    else:
        account = accounts[original.to_account_id]
        available = account.balance - account.held_balance - account.product.minimum_balance
        if account.status != Account.Status.ACTIVE or available < original.amount:
            raise LedgerError("insufficient_funds", f"Account {account.account_number} does not have the "
                                                    f"{format_money(original.amount)} paid out available to take back.")
        payer = Line(gl=account.product.control_account, account=account, debit=original.amount)
    lines = [payer, Line(gl=_gl(ref, product.loans_receivable_account_id), credit=disbursal.principal)]
    if disbursal.fees:
        lines.append(Line(gl=_gl(ref, product.fee_income_account_id), debit=disbursal.fees))
    if loan.interest_receivable > 0:
        lines += [Line(gl=_gl(ref, loan.product.interest_income_account_id), debit=loan.interest_receivable),
                  Line(gl=_gl(ref, loan.product.interest_receivable_account_id), credit=loan.interest_receivable)]
    reversal = Transaction(transaction_type=T.REVERSAL, amount=original.amount, from_account=original.to_account,
                           reverses=original, business_date=business_date, initiated_by=loan_request.requested_by,
                           approved_by=actor, channel="admin", reference=new_reference("TX", business_date),
                           description=f"Loan {loan.number} disbursal reversed", reason=loan_request.reason,
                           status=Transaction.Status.COMPLETED, completed_at=timezone.now())
    [entry] = entry_post(entries=[Entry(lines=lines, description=reversal.description, transaction=reversal,
                                        reverses=disbursal.journal_entry)], actor=actor, business_date=business_date)
    LoanPenalty.objects.filter(instalment__loan=loan).delete()
    LoanInstalment.objects.filter(loan=loan).delete()
    LoanTransaction.objects.filter(pk=disbursal.pk).update(reversed=True)
    result = LoanTransaction.objects.create(
        loan=loan, kind=LoanTransaction.Kind.DISBURSAL_REVERSAL, channel=disbursal.channel, value_date=business_date,
        business_date=business_date, amount=disbursal.amount, principal=disbursal.principal, fees=disbursal.fees,
        transaction=reversal, journal_entry=entry, created_by=loan_request.requested_by, approved_by=actor,
        note=loan_request.reason)
    loan.status, loan.disbursed_on, loan.disbursed_by = Loan.Status.APPROVED, None, None
    loan.interest_receivable = loan.interest_recognised = loan.provision = ZERO
    loan.days_in_arrears, loan.non_performing = 0, False
    loan._history_user = actor
    loan.save()
    return result


def _backdated_repay(actor, loan_request: LoanRequest) -> LoanTransaction:
    """Post a repayment received on an earlier date and re-run allocation from that date.

    Every repayment is replayed in value-date order from the schedule with nothing paid
    (`allocation.reallocate`, Fineract's reprocessing); a penalty end of day charged after the date its
    instalment turns out to have been paid is waived, and the replay is run again without it. Each
    repayment's recorded split is rewritten to the replay's. The ledger entry moves the money in today
    and books the difference the whole replay makes to what is paid on each component (a waived penalty
    already paid becomes, say, principal paid), so the books agree with the instalments."""
    context = movement_context(
        lock_user_id=loan_request.requested_by_id if loan_request.channel == Channel.ACCOUNT else None)
    business_date, ref = _business_date(context), context.reference
    account_id = loan_request.from_account_id if loan_request.channel == Channel.ACCOUNT else None
    accounts = lock_accounts([account_id] if account_id else [], reference=ref, with_member=bool(account_id))
    loan = _lock_loan(loan_request.loan)
    if loan.status != Loan.Status.ACTIVE:
        raise LedgerError("loan_not_active", f"Loan {loan.number} is {loan.get_status_display().lower()}.")
    requester, amount, value_date = loan_request.requested_by, loan_request.amount, loan_request.value_date
    instalments = instalments_of(loan)
    before = {c: sum((getattr(i, f"{c}_paid") for i in instalments), ZERO) for c in COMPONENTS}
    payments = list(loan.transactions.filter(kind=LoanTransaction.Kind.REPAYMENT, reversed=False)
                    .order_by("value_date", "pk"))
    replay = _replay(loan, instalments, [(p.value_date, p.amount) for p in payments] + [(value_date, amount)])
    allocations, final, penalties, paid_on = replay
    by_number = {i.number: i for i in instalments}
    for due in final:
        inst = by_number[due.number]
        inst.penalties, inst.paid_on = penalties[due.number], paid_on.get(due.number)
        for component in COMPONENTS:
            setattr(inst, f"{component}_paid", due.paid(component))
    after = {c: sum((getattr(i, f"{c}_paid") for i in instalments), ZERO) for c in COMPONENTS}
    delta = {c: after[c] - before[c] for c in COMPONENTS}
    txn = Transaction(amount=amount, business_date=business_date, initiated_by=requester, approved_by=actor,
                      reference=new_reference("TX", business_date), purpose=PURPOSE_REPAYMENT,
                      description=f"Loan {loan.number} repayment of {value_date:%d %b %Y}",
                      status=Transaction.Status.COMPLETED, reason=loan_request.reason[:255],
                      channel="cash" if loan_request.channel == Channel.CASH else "admin",
                      counterparty_gl=_gl(ref, loan.product.loans_receivable_account_id))
    source = _source_lines(requester, txn, loan_request.channel, accounts.get(account_id), context)
    txn.completed_at = timezone.now()
    lines = source + _delta_lines(loan, delta, ref)
    [entry] = entry_post(entries=[Entry(lines=lines, description=txn.description, transaction=txn)], actor=actor,
                         business_date=business_date)
    for payment, (_, _, allocation) in zip(payments, allocations[:-1], strict=True):
        _set_split(payment, allocation)
    LoanTransaction.objects.bulk_update(payments, [*COMPONENTS, "per_instalment"])
    LoanInstalment.objects.bulk_update(instalments, ["penalties"])
    result = _record_repayment(actor, loan, LoanTransaction.Kind.REPAYMENT, loan_request.channel, amount,
                               allocations[-1][2], instalments, txn, entry, value_date, business_date)
    result.created_by, result.approved_by = requester, actor
    result.save(update_fields=["created_by", "approved_by"])
    return result


def _set_split(payment: LoanTransaction, allocation) -> None:
    for component in COMPONENTS:
        setattr(payment, component, getattr(allocation, component))
    payment.per_instalment = [{"number": p.number, **{c: str(getattr(p, c)) for c in COMPONENTS}}
                              for p in allocation.per_instalment]


def _replay(loan: Loan, instalments: list[LoanInstalment], payments: list[tuple[date, Decimal]]):
    """(allocations in the order of `payments`, final instalments, penalties and paid-on date per
    instalment number): the payments replayed by value date. A penalty end of day charged on an
    instalment after the date the replay shows its principal and interest settled (replayed without
    any penalty, as the penalty would not have been charged) is waived first."""
    charges = list(LoanPenalty.objects.filter(instalment__loan=loan, waived=False).select_related("instalment"))
    settled_on = _run_replay(loan, instalments, payments, {})[3]
    waived = [c for c in charges if c.instalment.number in settled_on
              and c.charged_on > settled_on[c.instalment.number]]
    LoanPenalty.objects.filter(pk__in=[c.pk for c in waived]).update(waived=True)
    penalties: dict[int, Decimal] = {}
    for charge in charges:
        if charge not in waived:
            number = charge.instalment.number
            penalties[number] = penalties.get(number, ZERO) + charge.amount
    return _run_replay(loan, instalments, payments, penalties)


def _run_replay(loan, instalments, payments, penalties: dict[int, Decimal]):
    items = tuple(replace(due_of(i).unpaid(), penalties=penalties.get(i.number, ZERO)) for i in instalments)
    paid_on: dict[int, date] = {}
    allocations: list = [None] * len(payments)
    for index in sorted(range(len(payments)), key=lambda index: (payments[index][0], index)):
        paid_date, amount = payments[index]
        try:
            allocation, items = allocate(items, amount, on=paid_date, decimals=loan.decimals)
        except AllocationError as exc:
            raise LedgerError(exc.code, f"Replaying the repayments from {payments[-1][0]:%d %b %Y}: {exc}.")
        allocations[index] = (paid_date, amount, allocation)
        for due in items:
            if due.is_paid and due.number not in paid_on:
                paid_on[due.number] = paid_date
    return allocations, items, {i.number: penalties.get(i.number, ZERO) for i in instalments}, paid_on


def _delta_lines(loan: Loan, delta: dict[str, Decimal], ref) -> list[Line]:
    """Signed lines for what a replay changed on each component: more paid is a credit (as a
    repayment's), less paid a debit. Interest paid more settles receivable first (module docstring)."""
    product = loan.product
    lines = []
    interest = delta["interest"]
    if interest > 0:
        to_receivable = min(interest, max(loan.interest_receivable, ZERO))
        loan.interest_receivable -= to_receivable
        loan.interest_recognised += interest - to_receivable
        parts = [(product.interest_receivable_account_id, to_receivable),
                 (product.interest_income_account_id, interest - to_receivable)]
    else:
        loan.interest_recognised += interest
        parts = [(product.interest_income_account_id, interest)]
    parts += [(product.loans_receivable_account_id, delta["principal"]), (product.fee_income_account_id,
              delta["fees"]), (product.penalty_income_account_id, delta["penalties"])]
    for gl_id, value in parts:
        if value > 0:
            lines.append(Line(gl=_gl(ref, gl_id), credit=value))
        elif value < 0:
            lines.append(Line(gl=_gl(ref, gl_id), debit=-value))
    return lines


def loan_standing_instruction_set(*, actor, loan: Loan, on: bool, request=None) -> Loan:
    """Switch the loan's standing instruction (instalments paid from the loan's account at end of day
    on their due date) on or off: the borrower, or staff who may see the loan."""
    if not loans_visible_to(actor).filter(pk=loan.pk).exists():
        raise PermissionDenied("You may not change this loan.")
    with transaction.atomic():
        loan = _lock_loan(loan)
        if loan.standing_instruction != on:
            loan.standing_instruction = on
            loan._history_user = actor
            loan.save(update_fields=["standing_instruction", "updated_at"])
            record(actor, "loan.standing_instruction", loan, request=request, number=loan.number, on=on)
    return loan
