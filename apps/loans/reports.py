"""Portfolio at risk and the loan officer's portfolio, read from the database set-based.

The figures are worked out as they stood on a date ``on`` (the report's date), from the fixed schedule
and the loan transactions, never from the end-of-day fields on the loan (``Loan.days_in_arrears``), so a
report for a past date shows that date's portfolio:

* **In the portfolio on ``on``**: a loan disbursed on or before ``on`` and neither closed nor written off
  on or before ``on`` (a loan closed or written off later was still owed on ``on``). Loans never disbursed
  (submitted, approved, rejected) are not in it.
* **Outstanding principal** on ``on``: the principal owed at disbursal (the sum of its instalments'
  principal, capitalised fees included) less the principal of the repayments with a value date on or
  before ``on`` that were not reversed (a backdated repayment counts from its own date, as in Fineract).
* **Days in arrears** on ``on``: from the due date of the oldest instalment due before ``on`` and not fully
  paid by ``on`` (``paid_on`` empty or after ``on``) to ``on``: Fineract's arrears ageing, as in
  ``arrears.days_in_arrears``.

Three or four queries whatever the number of loans (the loans, their instalments grouped by loan, their
repayments grouped by loan): no query per loan. `portfolio_report` hands the positions to the pure
`arrears.portfolio_at_risk` for PAR, buckets and the groupings.

Who sees what: managers and operations managers the whole portfolio (`REPORT_ROLES`); a mobile banker
only the loans they are the officer of (`loans_for_officer_page`).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import DecimalField, F, Min, Q, QuerySet, Sum

from apps.core.roles import Role

from .arrears import LoanPosition, delinquency_bucket, portfolio_at_risk
from .models import Loan, LoanInstalment, LoanTransaction

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=18, decimal_places=2)

#: Who sees the portfolio-at-risk report (console and API) and picks any officer's portfolio.
REPORT_ROLES = (Role.MANAGER, Role.OPERATIONS_MANAGER)
#: Who opens the loan officer's portfolio page: a mobile banker (their own loans) and REPORT_ROLES.
PORTFOLIO_ROLES = (Role.MOBILE_BANKER, *REPORT_ROLES)
DISBURSED = (Loan.Status.ACTIVE, Loan.Status.CLOSED, Loan.Status.WRITTEN_OFF)


def officer_label(first_name: str | None, last_name: str | None, email: str | None) -> str | None:
    """An officer as the report names them: their full name, else their e-mail; None without an officer."""
    if email is None:
        return None
    name = f"{first_name or ''} {last_name or ''}".strip()
    return name or email


def active_on(on: date, loans: QuerySet | None = None) -> QuerySet:
    """The loans (of ``loans``, default all) that were in the portfolio on ``on`` (module docstring)."""
    base = Loan.objects.all() if loans is None else loans
    return (base.filter(status__in=DISBURSED, disbursed_on__lte=on)
            .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on))
            .filter(Q(written_off_on__isnull=True) | Q(written_off_on__gt=on)))


@dataclass(frozen=True)
class LoanFigures:
    """One loan's figures on a date, from its schedule and transactions."""

    principal_owed: Decimal
    principal_repaid: Decimal
    oldest_overdue: date | None  # due date of the oldest instalment overdue and unpaid on the date
    next_due: date | None  # due date of the oldest instalment not fully paid on the date
    overdue_amount: Decimal  # what is owed now on the instalments due before the date

    @property
    def outstanding_principal(self) -> Decimal:
        return max(self.principal_owed - self.principal_repaid, ZERO).quantize(CENT)

    def days_in_arrears(self, on: date) -> int:
        return (on - self.oldest_overdue).days if self.oldest_overdue else 0


def loan_figures(loans: QuerySet, on: date) -> dict[int, LoanFigures]:
    """{loan id: LoanFigures on ``on``} for the loans of a queryset, in two grouped queries.

    ``overdue_amount`` is what is still owed *now* on the instalments due before ``on`` (penalties
    included): what a banker chases on the current business date (the paid amounts are today's)."""
    ids = loans.order_by().values("pk")
    unpaid_on = Q(paid_on__isnull=True) | Q(paid_on__gt=on)
    owed_now = (F("principal") + F("interest") + F("fees") + F("penalties")
                - F("principal_paid") - F("interest_paid") - F("fees_paid") - F("penalties_paid"))
    instalments = (LoanInstalment.objects.filter(loan__in=ids).order_by().values("loan_id").annotate(
        owed=Sum("principal"),
        oldest=Min("due_date", filter=Q(due_date__lt=on) & unpaid_on),
        next_due=Min("due_date", filter=unpaid_on),
        overdue=Sum(owed_now, filter=Q(due_date__lt=on, paid_on__isnull=True), output_field=MONEY)))
    repaid = dict(LoanTransaction.objects.filter(
        loan__in=ids, kind=LoanTransaction.Kind.REPAYMENT, reversed=False, value_date__lte=on)
        .order_by().values("loan_id").annotate(principal_repaid=Sum("principal"))
        .values_list("loan_id", "principal_repaid"))
    return {row["loan_id"]: LoanFigures(
        principal_owed=row["owed"] or ZERO, principal_repaid=repaid.get(row["loan_id"]) or ZERO,
        oldest_overdue=row["oldest"], next_due=row["next_due"],
        overdue_amount=max(row["overdue"] or ZERO, ZERO).quantize(CENT)) for row in instalments}


POSITION_FIELDS = ("pk", "product__name", "officer__first_name", "officer__last_name", "officer__email")


def portfolio_positions(on: date, loans: QuerySet | None = None) -> list[LoanPosition]:
    """The positions of the loans in the portfolio on ``on`` (of ``loans``, default all), by loan id:
    outstanding principal and days in arrears on ``on``, officer and product names."""
    portfolio = active_on(on, loans)
    figures = loan_figures(portfolio, on)
    empty = LoanFigures(ZERO, ZERO, None, None, ZERO)
    positions = []
    for row in portfolio.order_by("pk").values(*POSITION_FIELDS):
        f = figures.get(row["pk"], empty)
        positions.append(LoanPosition(
            loan_id=row["pk"], product=row["product__name"],
            officer=officer_label(row["officer__first_name"], row["officer__last_name"], row["officer__email"]),
            outstanding_principal=f.outstanding_principal, days_in_arrears=f.days_in_arrears(on)))
    return positions


def portfolio_report(on: date, loans: QuerySet | None = None) -> dict:
    """Portfolio at risk on ``on``: `arrears.portfolio_at_risk` over `portfolio_positions`."""
    return portfolio_at_risk(portfolio_positions(on, loans), on)


def report_json(report: dict) -> dict:
    """`portfolio_report`'s figures as the API and the console show them: money as strings of two places."""
    def group(row):
        return {**row, "outstanding_principal": f"{row['outstanding_principal']:.2f}"}

    return {"date": report["date"], "gross_portfolio": f"{report['gross_portfolio']:.2f}", "par": report["par"],
            "buckets": [group(row) for row in report["buckets"]],
            "by_officer": [group(row) for row in report["by_officer"]],
            "by_product": [group(row) for row in report["by_product"]]}


# --- the loan officer's portfolio ---------------------------------------------------------------------

def officer_choices():
    """Whose portfolio a manager may open: mobile bankers and anyone who is the officer of a loan."""
    User = get_user_model()
    return (User.objects.filter(Q(role=Role.MOBILE_BANKER) | Q(loans_officered__isnull=False))
            .distinct().order_by("first_name", "last_name", "email"))


def loans_for_officer_page(user, officer=None) -> QuerySet:
    """The loans whose portfolio ``user`` may see: a mobile banker their own (officer = them, whatever
    ``officer`` says); a manager or operations manager ``officer``'s; nobody else any."""
    role = getattr(user, "role", None)
    if role == Role.MOBILE_BANKER:
        return Loan.objects.filter(officer=user)
    if role in REPORT_ROLES and officer is not None:
        return Loan.objects.filter(officer=officer)
    return Loan.objects.none()


@dataclass(frozen=True)
class PortfolioRow:
    loan_id: int
    number: str
    member: str
    member_number: str
    phone: str
    product: str
    outstanding_principal: Decimal
    next_due: date | None
    days_in_arrears: int
    bucket: str
    overdue_amount: Decimal


def officer_portfolio(loans: QuerySet, on: date) -> dict:
    """A loan officer's book on ``on``: ``{date, loans: [PortfolioRow] by member name, arrears:
    [PortfolioRow] overdue loans, most days in arrears first (then most overdue), outstanding_principal,
    overdue_amount}``."""
    portfolio = active_on(on, loans)
    figures = loan_figures(portfolio, on)
    empty = LoanFigures(ZERO, ZERO, None, None, ZERO)
    rows = []
    for loan in portfolio.select_related("member", "product").order_by(
            "member__last_name", "member__first_name", "number"):
        f = figures.get(loan.pk, empty)
        days = f.days_in_arrears(on)
        rows.append(PortfolioRow(
            loan_id=loan.pk, number=loan.number, member=loan.member.full_name,
            member_number=loan.member.member_number, phone=loan.member.phone, product=loan.product.name,
            outstanding_principal=f.outstanding_principal, next_due=f.next_due, days_in_arrears=days,
            bucket=delinquency_bucket(days), overdue_amount=f.overdue_amount if days else ZERO))
    arrears = sorted((r for r in rows if r.days_in_arrears > 0),
                     key=lambda r: (-r.days_in_arrears, -r.overdue_amount, r.number))
    return {"date": on, "loans": rows, "arrears": arrears,
            "outstanding_principal": sum((r.outstanding_principal for r in rows), ZERO),
            "overdue_amount": sum((r.overdue_amount for r in arrears), ZERO)}
