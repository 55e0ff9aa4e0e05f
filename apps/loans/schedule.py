"""The loan repayment schedule: a pure function from product terms to instalments.

``generate_schedule`` reproduces Apache Fineract's *cumulative* schedule generators
(``CumulativeFlatInterestLoanScheduleGenerator`` and
``CumulativeDecliningBalanceInterestLoanScheduleGenerator``, both driven by
``AbstractCumulativeLoanScheduleGenerator`` and ``LoanApplicationTerms`` in
``fineract-loan/src/main/java/org/apache/fineract/portfolio/loanaccount/loanschedule/domain/``)
figure for figure, for the settings a Coastal product has. Where Fineract leaves a choice to
configuration, the choice made here is stated on the function that makes it:

* Rounding: Fineract's default rounding mode is HALF_EVEN (global configuration
  ``rounding-mode`` = 6, ``ConfigurationDomainServiceJpa.getRoundingMode``), with a
  ``MathContext`` of 12 significant digits for rates (``MoneyHelper.PRECISION``). Every money
  amount is set to the currency's decimals with HALF_EVEN (``Money`` constructor) and, where the
  currency has a multiple, to the nearest multiple, a tie going up (``Money.roundToMultiplesOf``
  on doubles). Equal instalments (and flat principal + interest) are rounded to the instalment
  multiple with HALF_EVEN (``Money.roundToMultiplesOf(BigDecimal, Integer)``).
* The equal instalment (EMI) is ``FinanicalFunctions.pmt`` computed in binary floating point,
  exactly as Fineract does, over the periods that repay principal, at the rate of a standard
  period (30-day months for daily interest), and fixed once for the loan.
* Interest is charged from the disbursement date (Fineract's "interest charged from date same
  as disbursal date") and partial periods are prorated (the product option "allow partial
  period interest calculation"), so a short or long first period, and a period stretched by a
  holiday, is charged for the time it lasts.
* ``days_in_year == "actual"`` is 365 days, as in Fineract's cumulative generators
  (``DefaultPaymentPeriodsInOneYearCalculator``: days -> 365).
* Grace on interest is Fineract's "grace on interest payment": interest is still computed in
  the grace periods and falls due with the first period after them.
* Holidays and non-working days move a due date to the next working day; the following due
  dates are still computed from the unmoved dates (repayment rescheduling type "move to next
  working day"). Interest periods run between the moved dates, as in Fineract.

Consequences of following Fineract that a caller may meet:

* The schedule ends as soon as the principal is repaid (the generator's loop runs while the
  balance is not zero), so when every instalment's principal is rounded up -- 100 over 18
  periods with no decimals is 6 a period -- there are fewer instalments than the term.
* With daily interest the EMI is priced on a 30-day month, so at an extreme rate and term a
  31-day month's interest can exceed the instalment, giving that instalment a negative principal.

Deliberate departures, each for a case Fineract does not configure or gets visibly wrong:

* ``currency_multiple`` applies whatever the decimals (Fineract only rounds to a currency
  multiple when the currency has no decimals, which is the only case it lets one be set).
* The last instalment's principal is the exact remainder even when that is not a currency
  multiple, so that the principal column always sums to the principal.
* In a flat loan with an instalment multiple, a period of grace on principal keeps a principal
  of zero (Fineract gives it "rounded interest - interest", a few cents either way).
"""

from __future__ import annotations

import calendar
import decimal
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

__all__ = ["Instalment", "Schedule", "ScheduleTerms", "generate_schedule"]

ZERO = Decimal("0")
HUNDRED = Decimal("100")
# Fineract's MoneyHelper.getMathContext(): 12 significant digits, HALF_EVEN by default.
_MC = decimal.Context(prec=12, rounding=ROUND_HALF_EVEN)
# Exact arithmetic for products and sums (Java BigDecimal.multiply/add are exact).
_EXACT = decimal.Context(prec=100, rounding=ROUND_HALF_EVEN)

INTEREST_METHODS = ("flat", "declining_balance")
AMORTIZATIONS = ("equal_instalments", "equal_principal")
RATE_PERIODS = ("month", "year")
INTEREST_CALCULATIONS = ("period", "daily")
DAYS_IN_YEAR = ("actual", "360", "365")
FREQUENCIES = ("week", "month")


@dataclass(frozen=True)
class ScheduleTerms:
    interest_method: str  # "flat" | "declining_balance"
    amortization: str  # "equal_instalments" | "equal_principal"
    interest_rate: Decimal  # percent per interest_rate_period, e.g. Decimal("2.00")
    interest_rate_period: str  # "month" | "year"
    interest_calculation: str  # "period" | "daily"
    days_in_year: str  # "actual" | "360" | "365"
    repayment_every: int
    repayment_frequency: str  # "week" | "month"
    term: int  # number of repayments
    currency_decimals: int = 2
    currency_multiple: Decimal | None = None
    instalment_multiple: Decimal | None = None
    grace_on_principal: int = 0
    grace_on_interest: int = 0


@dataclass(frozen=True)
class Instalment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fees: Decimal
    total: Decimal
    principal_due_after: Decimal


@dataclass(frozen=True)
class Schedule:
    principal: Decimal
    total_interest: Decimal
    total_fees: Decimal
    total_repayment: Decimal
    instalments: tuple[Instalment, ...]


# --------------------------------------------------------------------------- validation


def _validate(terms: ScheduleTerms, principal, disbursement_date, first_repayment_date,
              non_working_weekdays) -> None:
    def choice(name, value, allowed):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")

    choice("interest_method", terms.interest_method, INTEREST_METHODS)
    choice("amortization", terms.amortization, AMORTIZATIONS)
    choice("interest_rate_period", terms.interest_rate_period, RATE_PERIODS)
    choice("interest_calculation", terms.interest_calculation, INTEREST_CALCULATIONS)
    choice("days_in_year", terms.days_in_year, DAYS_IN_YEAR)
    choice("repayment_frequency", terms.repayment_frequency, FREQUENCIES)
    for name in ("interest_rate",):
        value = getattr(terms, name)
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"{name} must be a finite Decimal")
    if terms.interest_rate < 0:
        raise ValueError("interest_rate must not be negative")
    if not isinstance(principal, Decimal) or not principal.is_finite():
        raise ValueError("principal must be a finite Decimal")
    if principal <= 0:
        raise ValueError("principal must be greater than zero")
    if not isinstance(terms.term, int) or terms.term < 1:
        raise ValueError("term (the number of repayments) must be at least 1")
    if not isinstance(terms.repayment_every, int) or terms.repayment_every < 1:
        raise ValueError("repayment_every must be at least 1")
    if not isinstance(terms.currency_decimals, int) or not 0 <= terms.currency_decimals <= 6:
        raise ValueError("currency_decimals must be between 0 and 6")
    for name in ("currency_multiple", "instalment_multiple"):
        value = getattr(terms, name)
        if value is not None and (not isinstance(value, Decimal) or not value.is_finite() or value <= 0):
            raise ValueError(f"{name} must be a positive Decimal or None")
    for name in ("grace_on_principal", "grace_on_interest"):
        value = getattr(terms, name)
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be zero or a positive number of periods")
        if value >= terms.term:
            raise ValueError(f"{name} ({value}) must be less than the term ({terms.term})")
    if principal != principal.quantize(Decimal(1).scaleb(-terms.currency_decimals)):
        raise ValueError(f"principal has more than {terms.currency_decimals} decimal places")
    if first_repayment_date is not None and first_repayment_date <= disbursement_date:
        raise ValueError("the first repayment date must be after the disbursement date")
    if any(day not in range(7) for day in non_working_weekdays):
        raise ValueError("non-working weekdays are date.weekday() numbers, 0 (Monday) to 6 (Sunday)")
    if len(set(non_working_weekdays)) == 7:
        raise ValueError("at least one weekday must be a working day")


# --------------------------------------------------------------------------- money


class _Money:
    """Fineract's ``Money`` rounding for one currency."""

    def __init__(self, decimals: int, multiple: Decimal | None):
        self.quantum = Decimal(1).scaleb(-decimals)
        self.multiple = multiple

    def __call__(self, amount: Decimal) -> Decimal:
        """``Money.of``: to the nearest currency multiple (a tie goes up; only positive amounts,
        as ``Money``'s constructor does), then to the currency's decimals, HALF_EVEN."""
        if self.multiple is not None and amount > 0:
            floor = (amount / self.multiple).to_integral_value(ROUND_FLOOR) * self.multiple
            if floor != amount:
                ceiling = floor + self.multiple
                amount = floor if (ceiling - amount) > (amount - floor) else ceiling
        return amount.quantize(self.quantum, rounding=ROUND_HALF_EVEN)

    def scale(self, amount: Decimal) -> Decimal:
        """``multiplyRetainScale`` / ``dividedBy``: HALF_EVEN to the decimals, then ``Money.of``."""
        return self(amount.quantize(self.quantum, rounding=ROUND_HALF_EVEN))


def _to_multiple(amount: Decimal, multiple: Decimal) -> Decimal:
    """``Money.roundToMultiplesOf(BigDecimal, Integer)``: ``divide(multiple, 0, HALF_EVEN) * multiple``."""
    return (amount / multiple).to_integral_value(ROUND_HALF_EVEN) * multiple


def _java_double(value: float) -> Decimal:
    """``BigDecimal.valueOf(double)``: the shortest decimal that reads back as the double."""
    return Decimal(repr(value))


# --------------------------------------------------------------------------- dates


def _add_months(start: date, months: int, seed_day: int) -> date:
    """``LocalDate.plusMonths`` then ``CalendarUtils.adjustDate``: the seed's day of month,
    clamped to the month's length (31 Jan -> 28 Feb -> 31 Mar -> 30 Apr)."""
    month_index = start.year * 12 + start.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    length = calendar.monthrange(year, month)[1]
    day = min(start.day, length)
    if seed_day > 28 and day >= 28:
        day = min(length, seed_day)
    return date(year, month, day)


def _months_between(start: date, end: date) -> int:
    """``ChronoUnit.MONTHS.between`` (whole months, counting the day of month)."""
    packed1 = (start.year * 12 + start.month) * 32 + start.day
    packed2 = (end.year * 12 + end.month) * 32 + end.day
    return int((packed2 - packed1) / 32)


def _due_dates(terms: ScheduleTerms, disbursement_date: date, first_repayment_date: date | None,
               holidays, non_working_weekdays) -> list[date]:
    """``DefaultScheduledDateGenerator``: every due date is computed from the unmoved previous one
    (``generateNextRepaymentDate``), so a date moved off a holiday does not shift the next ones."""
    seed = first_repayment_date or disbursement_date
    every = terms.repayment_every
    dates = []
    for k in range(terms.term):
        steps = k if first_repayment_date is not None else k + 1
        if terms.repayment_frequency == "month":
            scheduled = _add_months(seed, steps * every, seed.day)
        else:
            scheduled = seed + timedelta(weeks=steps * every)
        moved = scheduled
        while moved in holidays or moved.weekday() in non_working_weekdays:
            moved += timedelta(days=1)
        dates.append(moved)
    return dates


# --------------------------------------------------------------------------- rates


class _Rates:
    """``LoanApplicationTerms.periodicInterestRate`` and friends."""

    def __init__(self, terms: ScheduleTerms, seed: date):
        self.terms = terms
        self.seed_day = seed.day
        # The annual nominal rate: a monthly rate times 12 (Fineract's AprCalculator).
        self.annual = terms.interest_rate * (12 if terms.interest_rate_period == "month" else 1)
        if terms.interest_calculation == "daily":
            # calculatePeriodsInOneYear: the days-in-year setting, "actual" being 365.
            self.periods_in_year = 365 if terms.days_in_year == "actual" else int(terms.days_in_year)
        else:
            self.periods_in_year = 12 if terms.repayment_frequency == "month" else 52
        self.rate_per_period_unit = _MC.divide(_MC.divide(self.annual, Decimal(self.periods_in_year)), HUNDRED)

    def periods_between(self, start: date, end: date) -> Decimal:
        """``calculatePeriodsBetweenDates``: whole repayment units plus the remaining days as a
        fraction (a double, as in Fineract) of the following unit."""
        if self.terms.repayment_frequency == "week":
            days = (end - start).days
            weeks = days // 7
            return _EXACT.add(Decimal(weeks), _java_double((days - weeks * 7) / 7))
        months = _months_between(start, end)
        start_after = _add_months(start, months, self.seed_day)
        end_after = _add_months(start, months + 1, self.seed_day)
        left = (end - start_after).days
        in_period = (end_after - start_after).days
        return _EXACT.add(Decimal(months), _java_double(left / in_period))

    def for_period(self, start: date, end: date) -> Decimal:
        """The rate for one repayment period running from ``start`` to ``end``."""
        if self.terms.interest_calculation == "daily":
            return _MC.multiply(self.rate_per_period_unit, Decimal((end - start).days))
        return _EXACT.multiply(self.rate_per_period_unit, self.periods_between(start, end))

    def for_pmt(self, disbursement_date: date) -> Decimal:
        """``pmtForInstallment``: the rate of one standard period; for daily interest a month is
        30 days (``DaysInMonthType.DAYS_30``) and a week 7."""
        every = self.terms.repayment_every
        if self.terms.interest_calculation == "daily":
            days = every * 30 if self.terms.repayment_frequency == "month" else every * 7
            return _MC.multiply(self.rate_per_period_unit, Decimal(days))
        return _EXACT.multiply(self.rate_per_period_unit, Decimal(every))

    def for_term(self, disbursement_date: date, loan_end: date) -> Decimal:
        """``calculateFlatInterestRateForLoanTerm`` (with partial periods allowed)."""
        if self.terms.interest_calculation == "daily":
            periods = Decimal((loan_end - disbursement_date).days)
        else:
            periods = self.periods_between(disbursement_date, loan_end)
        return _EXACT.multiply(self.rate_per_period_unit, periods)


def _pmt(rate: Decimal, periods: int, principal: Decimal) -> float:
    """``FinanicalFunctions.pmt`` (present value = -principal, future value 0, paid in arrears)."""
    r = float(rate)
    pv = -float(principal)
    if r == 0:
        return -pv / periods
    r1 = r + 1
    return (pv * r1 ** periods) * r / (1 - r1 ** periods)


# --------------------------------------------------------------------------- generator


def generate_schedule(terms: ScheduleTerms, *, principal: Decimal, disbursement_date: date,
                      first_repayment_date: date | None = None,
                      holidays: frozenset[date] = frozenset(),
                      non_working_weekdays: frozenset[int] = frozenset(),
                      fees_per_instalment: Decimal | None = None) -> Schedule:
    """The repayment schedule Fineract's cumulative generator makes for these terms.

    ``holidays`` are dates and ``non_working_weekdays`` ``date.weekday()`` numbers (0 = Monday);
    both are empty by default, so no date moves until operations configures one, as in Fineract.
    ``fees_per_instalment`` is a flat fee due with every instalment (Fineract's flat instalment
    fee charge); disbursement fees and capitalised fees are the caller's.

    As in Fineract the schedule ends as soon as the principal is repaid, which when rounding
    makes every principal instalment larger can be before ``term`` instalments; the last
    instalment takes whatever principal (and, for flat interest, interest) rounding left over.
    """
    _validate(terms, principal, disbursement_date, first_repayment_date, non_working_weekdays)
    money = _Money(terms.currency_decimals, terms.currency_multiple)
    fee = money(ZERO) if fees_per_instalment is None else money.scale(Decimal(fees_per_instalment))
    if fee < 0:
        raise ValueError("fees_per_instalment must not be negative")
    with decimal.localcontext(_EXACT):
        return _generate(terms, money, principal, disbursement_date, first_repayment_date,
                         frozenset(holidays), frozenset(non_working_weekdays), fee)


def _generate(terms, money, principal, disbursement_date, first_repayment_date, holidays,
              non_working_weekdays, fee) -> Schedule:
    n = terms.term
    zero = money(ZERO)
    principal = principal.quantize(money.quantum)
    dates = _due_dates(terms, disbursement_date, first_repayment_date, holidays, non_working_weekdays)
    rates = _Rates(terms, first_repayment_date or disbursement_date)
    principal_periods = n - terms.grace_on_principal
    flat = terms.interest_method == "flat"
    multiple = terms.instalment_multiple

    # Flat interest: the whole term's interest, spread over the periods that pay interest.
    total_flat_interest = flat_interest_per_period = ZERO
    if flat:
        total_flat_interest = money.scale(principal * rates.for_term(disbursement_date, dates[-1]))
        if terms.amortization == "equal_instalments":
            # calculateTotalFlatInterestForInstallmentAveragingOutGracePeriods
            flat_interest_per_period = money.scale(total_flat_interest / (n - terms.grace_on_interest))
        else:
            # calculateTotalFlatInterestForPeriod: interest follows the periods, the grace
            # periods' interest being brought forward.
            flat_interest_per_period = money.scale(total_flat_interest / n)

    fixed_principal = None  # equal principal (declining) and flat: P / principal periods
    if flat or terms.amortization == "equal_principal":
        fixed_principal = money.scale(principal / principal_periods)
    emi = None  # declining balance, equal instalments

    instalments: list[Instalment] = []
    outstanding = principal
    paid_principal = paid_interest = zero
    brought_forward = zero  # interest deferred by grace on interest
    start = disbursement_date
    for number, due in enumerate(dates, start=1):
        last = number == n
        principal_grace = number <= terms.grace_on_principal
        interest_grace = number <= terms.grace_on_interest

        if flat:
            if terms.amortization == "equal_instalments":
                interest = zero if interest_grace else flat_interest_per_period
            else:
                interest = flat_interest_per_period
                if interest_grace:
                    brought_forward += interest
                    interest = zero
                elif number == terms.grace_on_interest + 1:
                    interest = brought_forward + interest
                    brought_forward = zero
            own_interest = interest
            # calculateTotalPrincipalPerPeriodWithoutGrace
            period_principal = zero if principal_grace else fixed_principal
            if multiple is not None and not principal_grace:
                # 416.67 -> 417 and 12.50 -> 13: principal 417 + 13 - 12.50 = 417.50, so that
                # principal + interest is a multiple. (Fineract also does this in principal
                # grace periods, giving them a principal of +-rounding; here they stay at 0.)
                period_principal = money(_to_multiple(period_principal, multiple)
                                         + money(_to_multiple(interest, multiple)) - interest)
        else:
            own_interest = money.scale(outstanding * rates.for_period(start, due))
            if interest_grace:
                brought_forward += own_interest
                interest = zero
            elif own_interest > 0:
                interest = brought_forward + own_interest
                brought_forward = zero
            else:
                interest = zero
            if terms.amortization == "equal_instalments":
                if emi is None:
                    value = _java_double(_pmt(rates.for_pmt(disbursement_date), principal_periods, outstanding))
                    if multiple is not None:
                        value = _to_multiple(value, multiple)
                    emi = money(value)
                # The instalment less this period's own interest (not interest brought forward).
                period_principal = zero if principal_grace else money(emi - own_interest)
                if period_principal < 0 and multiple is not None and terms.interest_calculation == "period":
                    # Fineract would schedule a negative principal here (the instalment rounded to
                    # the multiple is below the period's interest); Coastal refuses such terms.
                    raise ValueError(
                        f"An instalment rounded to a multiple of {multiple} ({emi}) does not cover the "
                        f"interest of instalment {number} ({own_interest}): lend more, or use a smaller "
                        "instalment multiple.")
            else:
                period_principal = zero if principal_grace else fixed_principal

        # adjustPrincipalIfLastRepaymentPeriod
        if paid_principal + period_principal > principal:
            period_principal = principal - paid_principal
        elif last:
            period_principal = principal - paid_principal
        if flat:
            # adjustInterestIfLastRepaymentPeriod
            if paid_interest + interest > total_flat_interest:
                interest = total_flat_interest - paid_interest
            elif last:
                interest = total_flat_interest - paid_interest

        paid_principal += period_principal
        paid_interest += interest
        outstanding = principal - paid_principal
        instalments.append(Instalment(
            number=number, due_date=due, principal=period_principal, interest=interest, fees=fee,
            total=period_principal + interest + fee, principal_due_after=outstanding,
        ))
        start = due
        if outstanding == 0:
            break

    total_interest = sum((i.interest for i in instalments), zero)
    total_fees = sum((i.fees for i in instalments), zero)
    return Schedule(
        principal=principal, total_interest=total_interest, total_fees=total_fees,
        total_repayment=principal + total_interest + total_fees, instalments=tuple(instalments),
    )
