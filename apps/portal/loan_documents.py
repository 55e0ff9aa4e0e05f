"""A member's loan as documents: the schedule and the loan statement, as HTML and as PDF.

Pure rendering: every figure comes from the loans app (`servicing.loan_schedule`, `loan_outstanding`,
the loan's `LoanTransaction` rows); nothing is written. The PDFs are drawn with the account statement's
WeasyPrint document class and its stylesheet (read from `reports/statement.html`, so a change to the
statement's look carries over), under the same masthead, so a loan paper looks like a statement.

The statement's running figure is the **principal outstanding** after each movement, as Apache
Fineract's loan transactions show it ("outstanding loan balance"): a disbursal adds the principal owed,
a repayment takes off its principal portion, a write-off or an undone disbursal takes off what it
cleared; interest, fees and penalties are dues of the schedule, so they are totalled beside it and in
the summary (everything outstanding, from the schedule) rather than carried in that column.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.institution import institution
from apps.loans import servicing
from apps.loans.models import Loan, LoanTransaction

ZERO = Decimal("0.00")
K = LoanTransaction.Kind
#: What each kind of loan movement does to the principal outstanding (see the module docstring).
PRINCIPAL_SIGN = {K.DISBURSAL: 1, K.REPAYMENT: -1, K.WRITE_OFF: -1, K.DISBURSAL_REVERSAL: -1}
#: The movements a member reads as payments on the loan.
PAYMENT_KINDS = (K.REPAYMENT, K.RECOVERY)
SCHEDULE_STATUS = {"paid": "Paid", "partly_paid": "Partly paid", "pending": "Pending", "overdue": "Overdue"}


@dataclass(frozen=True)
class StatementLine:
    date: date
    reference: str
    description: str
    amount: Decimal
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalties: Decimal
    principal_outstanding: Decimal


@dataclass
class LoanStatement:
    loan: Loan
    lines: list[StatementLine]
    outstanding: dict  # servicing.loan_outstanding: {principal, interest, fees, penalties, total}
    total_paid: Decimal
    as_of: date
    generated_at: datetime = field(default_factory=timezone.now)


def describe(txn: LoanTransaction) -> str:
    label = txn.get_kind_display()
    if txn.kind in PAYMENT_KINDS or txn.kind == K.DISBURSAL:
        label = f"{label} · {txn.get_channel_display().lower()}"
    if txn.reversed:
        label = f"{label} (reversed)"
    return label


def loan_statement_build(loan: Loan, *, as_of: date) -> LoanStatement:
    """Every movement on the loan, oldest first, with the principal outstanding after each."""
    transactions = (LoanTransaction.objects.filter(loan=loan).select_related("transaction", "journal_entry")
                    .order_by("value_date", "pk"))
    lines, running, paid = [], ZERO, ZERO
    for txn in transactions:
        running += PRINCIPAL_SIGN.get(txn.kind, 0) * txn.principal
        if txn.kind in PAYMENT_KINDS:
            paid += txn.amount
        reference = (txn.transaction.reference if txn.transaction_id else
                     txn.journal_entry.reference if txn.journal_entry_id else "")
        lines.append(StatementLine(date=txn.value_date, reference=reference, description=describe(txn),
                                   amount=txn.amount, principal=txn.principal, interest=txn.interest, fees=txn.fees,
                                   penalties=txn.penalties, principal_outstanding=running))
    return LoanStatement(loan=loan, lines=lines, outstanding=servicing.loan_outstanding(loan), total_paid=paid,
                         as_of=as_of)


def schedule_rows(loan: Loan, *, on: date) -> dict | None:
    """The loan's fixed schedule with each instalment marked (`servicing.loan_schedule`), or None for a
    loan that was never paid out (its schedule is fixed at disbursal)."""
    if not loan.instalments.exists():
        return None
    schedule = servicing.loan_schedule(loan, on)
    for row in schedule["instalments"]:
        row["status_label"] = SCHEDULE_STATUS.get(row["status"], row["status"])
        row["outstanding"] = row["total"] - row["paid"]
    return schedule


def _context(loan: Loan, **extra) -> dict:
    return {"loan": loan, "member": loan.member, "institution": institution(), "currency": settings.CURRENCY_NAME,
            "generated_at": timezone.localtime(), **extra}


def expected_schedule(loan: Loan, *, on: date):
    """The schedule a loan not yet paid out would have if paid out on `on` (the disbursal's own
    generator on the loan's copied terms), or None when it cannot be drawn."""
    if loan.status not in (Loan.Status.SUBMITTED, Loan.Status.APPROVED):
        return None
    try:
        return servicing.disbursal_schedule(loan, on)
    except (ValueError, ArithmeticError, KeyError):
        return None


def loan_schedule_html(loan: Loan, *, on: date) -> str:
    schedule = schedule_rows(loan, on=on)
    return render_to_string("portal/loans/pdf/schedule.html", _context(
        loan, on=on, schedule=schedule, expected=None if schedule else expected_schedule(loan, on=on),
        outstanding=servicing.loan_outstanding(loan) if schedule else None))


def loan_statement_html(statement: LoanStatement) -> str:
    return render_to_string("portal/loans/pdf/statement.html", _context(
        statement.loan, statement=statement, on=statement.as_of))


def html_to_pdf(html: str) -> bytes:
    """HTML to an A4 PDF, as account statements are made."""
    from apps.reports.statements import html_to_pdf as render  # noqa: PLC0415 (loads WeasyPrint only when used)

    return render(html)
