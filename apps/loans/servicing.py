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

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
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
from .applications import release_guarantees
from .models import Loan, LoanInstalment, LoanProductFee, LoanTransaction
from .schedule import Schedule, ScheduleTerms, generate_schedule

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
    fees: tuple  # ((name, when, amount), ...)

    @property
    def principal_owed(self) -> Decimal:
        return self.approved + self.capitalised_fees

    @property
    def paid_out(self) -> Decimal:
        return self.approved - self.deducted_fees


def disbursal_figures(loan: Loan) -> DisbursalFigures:
    """The fees of the loan's terms on its approved amount: flat as they are, a percent of the approved
    amount rounded half-up to the cent."""
    approved = loan.principal
    fees = []
    for fee in loan.terms.get("fees", []):
        amount = Decimal(fee["amount"])
        if fee["kind"] == LoanProductFee.Kind.PERCENT:
            amount = (approved * amount / 100).quantize(Decimal("0.01"))
        fees.append((fee["name"], fee["when"], amount))
    deducted = sum((a for _, when, a in fees if when == LoanProductFee.When.DISBURSEMENT), ZERO)
    capitalised = sum((a for _, when, a in fees if when == LoanProductFee.When.CAPITALISED), ZERO)
    return DisbursalFigures(approved, deducted, capitalised, tuple(fees))


def disbursal_schedule(loan: Loan, disbursement_date: date) -> Schedule:
    days = working_calendar()
    return generate_schedule(loan_schedule_terms(loan), principal=disbursal_figures(loan).principal_owed,
                             disbursement_date=disbursement_date, holidays=days.holidays,
                             non_working_weekdays=days.non_working_weekdays)


# --- disbursal -------------------------------------------------------------------------------------

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
                  idempotency_key: str | None = None, request=None) -> LoanTransaction:
    """Pay out an approved loan: one journal entry (see the module docstring), the schedule fixed as
    instalment rows, the loan `active`. Into the member's account (`channel="account"`) by a manager or
    a cashier, or in cash from the cashier's drawer (`channel="cash"`). The disbursal date is the open
    business date unless an earlier one is given (a loan paid out on a day not yet keyed); never in
    the future, never before the approval."""
    if getattr(actor, "role", None) not in DISBURSE_ROLES:
        raise PermissionDenied("Only a manager or a cashier disburses loans.")
    if channel not in (Channel.ACCOUNT, Channel.CASH):
        raise ValidationError({"channel": "Pay a loan out into the member's account or in cash."})
    if channel == Channel.CASH and actor.role != Role.CASHIER:
        raise PermissionDenied("Only a cashier pays a loan out in cash, from their drawer.")
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
    if loan.decided_at and day < timezone.localdate(loan.decided_at):
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
               idempotency_key: str | None = None, request=None) -> LoanTransaction:
    """A repayment on the open business date: cash at the teller (into the cashier's drawer), from a
    member account (the owner in the portal or API, staff at the counter), or collected in the field
    (onto the banker's field cash, so it is counted in their remittance). Allocated by
    `allocation.allocate`; more than the payoff is refused (409 `over_payoff`)."""
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

