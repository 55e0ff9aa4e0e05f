"""Arrears ageing, delinquency buckets, provisioning and portfolio at risk: pure functions.

* **Days in arrears** follow Fineract's arrears ageing (``LoanArrearsAgingServiceImpl`` in
  ``fineract-loan/src/main/java/org/apache/fineract/portfolio/loanaccount/service/``, apache/fineract
  commit 4198b0bcf9a94e1c7aa0f386317ba71f40ceb1d9): a loan is overdue since the earliest due
  date, before the business date, of an instalment not fully paid off
  (``overdue_since_date_derived``), and its days in arrears are the days from that date to the
  business date. An instalment is not overdue on its own due date
  (``LoanRepaymentScheduleInstallment.isOverdueOn``: the date is after the due date).
* **Buckets** are Fineract-style delinquency ranges (``DelinquencyRange``: minimum and maximum age
  in days, both inclusive) with these codes, in this order:

  ============  =================
  code          days in arrears
  ============  =================
  ``current``   0
  ``1-30``      1 to 30
  ``31-60``     31 to 60
  ``61-90``     61 to 90
  ``91-180``    91 to 180
  ``over-180``  181 and more
  ============  =================

* **Non-performing** after 90 days: more than 90 days in arrears (buckets ``91-180`` and
  ``over-180``).
* **Provision** for a bucket is the outstanding principal times the bucket's percentage,
  rounded to cents HALF_EVEN (Fineract's default rounding mode). A bucket missing from the rates
  is provisioned at 0 %.
* **PARn** is the outstanding principal of loans with an instalment *more than* n days overdue
  (days in arrears > n) divided by the gross outstanding principal, for n in 1, 30, 60 and 90
  (the API's definition, applied literally to every n, so PAR1 leaves out a loan exactly one
  day late). Ratios are decimal strings with four places, HALF_EVEN (``"0.0625"``), and
  ``"0.0000"`` for an empty portfolio.

Money is ``Decimal`` throughout, never float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from apps.loans.allocation import InstalmentDue

__all__ = [
    "BUCKETS", "NON_PERFORMING_AFTER_DAYS", "PAR_DAYS", "LoanPosition", "days_in_arrears", "delinquency_bucket",
    "is_non_performing", "portfolio_at_risk", "provision_for",
]

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
HUNDRED = Decimal("100")

#: (code, minimum days, maximum days or None), both bounds inclusive, in ageing order.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", 0, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-180", 91, 180),
    ("over-180", 181, None),
)
BUCKET_CODES = tuple(code for code, _, _ in BUCKETS)
NON_PERFORMING_AFTER_DAYS = 90
PAR_DAYS = (1, 30, 60, 90)


def _check_days(days) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"days in arrears must be a whole number of zero or more, not {days!r}")


def _check_money(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a Decimal of zero or more, not {value!r}")


def days_in_arrears(instalments: Iterable[InstalmentDue], on: date) -> int:
    """Days from the due date of the oldest instalment that is overdue on ``on`` (due before
    ``on``) and not fully paid, to ``on``; 0 when none is."""
    if not isinstance(on, date):
        raise ValueError("the ageing date must be a date")
    overdue = [i.due_date for i in instalments if i.due_date < on and not i.is_paid]
    return (on - min(overdue)).days if overdue else 0


def delinquency_bucket(days: int) -> str:
    """The bucket code for a number of days in arrears (table in the module docstring)."""
    _check_days(days)
    for code, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return code
    raise AssertionError("the buckets cover every day")  # pragma: no cover


def is_non_performing(days: int) -> bool:
    """Non-performing after 90 days: more than 90 days in arrears."""
    _check_days(days)
    return days > NON_PERFORMING_AFTER_DAYS


def provision_for(bucket: str, outstanding_principal: Decimal, rates: Mapping[str, Decimal]) -> Decimal:
    """The provision for ``outstanding_principal`` in ``bucket``: principal x rate %, to cents,
    HALF_EVEN. ``rates`` maps bucket codes to percentages (``Decimal("25")`` = 25 %, 0 to 100);
    a bucket missing from it is provisioned at 0 %."""
    if bucket not in BUCKET_CODES:
        raise ValueError(f"unknown delinquency bucket {bucket!r}; expected one of {', '.join(BUCKET_CODES)}")
    _check_money(outstanding_principal, "outstanding principal")
    for code, rate in rates.items():
        if code not in BUCKET_CODES:
            raise ValueError(f"unknown delinquency bucket {code!r} in the provisioning rates")
        if isinstance(rate, bool) or not isinstance(rate, Decimal) or not rate.is_finite() or not 0 <= rate <= 100:
            raise ValueError(f"the provisioning rate for {code} must be a Decimal percentage from 0 to 100")
    rate = rates.get(bucket, Decimal("0"))
    return (outstanding_principal * rate / HUNDRED).quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class LoanPosition:
    """One active loan as the portfolio report sees it."""

    loan_id: int
    officer: str | None
    product: str
    outstanding_principal: Decimal
    days_in_arrears: int


def _ratio(part: Decimal, whole: Decimal) -> str:
    if whole == 0:
        return "0.0000"
    return str((part / whole).quantize(RATIO, rounding=ROUND_HALF_EVEN))


def _par(positions: list[LoanPosition]) -> tuple[Decimal, dict[str, str]]:
    gross = sum((p.outstanding_principal for p in positions), ZERO)
    par = {
        str(n): _ratio(sum((p.outstanding_principal for p in positions if p.days_in_arrears > n), ZERO), gross)
        for n in PAR_DAYS
    }
    return gross.quantize(CENT), par


def _grouped(positions: list[LoanPosition], key: str) -> list[dict]:
    groups: dict = {}
    for position in positions:
        groups.setdefault(getattr(position, key), []).append(position)
    rows = []
    for name in sorted(groups, key=lambda value: (value is None, str(value))):
        members = groups[name]
        gross, par = _par(members)
        rows.append({key: name, "loans": len(members), "outstanding_principal": gross, "par": par})
    return rows


def portfolio_at_risk(loans: Iterable[LoanPosition], on: date) -> dict:
    """The portfolio-at-risk report on ``on`` over loan positions (days in arrears already aged
    to ``on``): ``{date, gross_portfolio, par: {"1", "30", "60", "90"}, buckets: [{name, loans,
    outstanding_principal}] (all six, in ageing order), by_officer: [{officer, loans,
    outstanding_principal, par}], by_product: [{product, ...}]}``. Money is Decimal to cents;
    ratios are strings with four places. Groups are sorted by name, a loan without an officer
    last (``officer: None``)."""
    positions = list(loans)
    for p in positions:
        _check_money(p.outstanding_principal, f"loan {p.loan_id}: outstanding principal")
        _check_days(p.days_in_arrears)
    gross, par = _par(positions)
    buckets = []
    for code, _, _ in BUCKETS:
        members = [p for p in positions if delinquency_bucket(p.days_in_arrears) == code]
        buckets.append({
            "name": code, "loans": len(members),
            "outstanding_principal": sum((p.outstanding_principal for p in members), ZERO).quantize(CENT),
        })
    return {
        "date": on, "gross_portfolio": gross, "par": par, "buckets": buckets,
        "by_officer": _grouped(positions, "officer"), "by_product": _grouped(positions, "product"),
    }
