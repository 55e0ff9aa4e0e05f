"""Repayment allocation: a pure function from a loan's instalments and a payment to what it pays.

Coastal follows Apache Fineract's default repayment strategy, "Penalties, Fees, Interest,
Principal order" (strategy code ``mifos-standard-strategy``,
``FineractStyleLoanRepaymentScheduleTransactionProcessor`` in
``fineract-loan/src/main/java/org/apache/fineract/portfolio/loanaccount/domain/transactionprocessor/impl/``,
apache/fineract commit 4198b0bcf9a94e1c7aa0f386317ba71f40ceb1d9). Read there:

* **Instalment by instalment, not component first.**
  ``AbstractLoanRepaymentScheduleTransactionProcessor.processTransaction`` walks the instalments
  sorted by due date (``reprocessLoanTransactions`` sorts them ``Comparator.comparing(getDueDate)``)
  and hands what is left of the payment to each instalment that is not fully paid off; within
  that one instalment ``handleTransactionThatIsOnTimePaymentOfInstallment`` pays
  ``payPenaltyChargesComponent``, then ``payFeeChargesComponent``, then ``payInterestComponent``,
  then ``payPrincipalComponent``, each taking the smaller of what is outstanding and what is
  left. Only then does the rest move to the next instalment. So a payment that clears
  instalment 1 pays instalment 2's interest before instalment 3's penalties.
* **Whether due yet or not.** The strategy's late (``handleTransactionThatIsALateRepaymentOfInstallment``)
  and in-advance (``handleTransactionThatIsPaymentInAdvanceOfInstallment``) handlers both
  delegate to the on-time one, so the payment date never changes the split: paying ahead
  settles the next instalments in order, each with its scheduled interest.
* **Backdated payments** are handled by re-processing every repayment in date order from the
  schedule with nothing paid (``reprocessLoanTransactions``: ``resetDerivedComponents`` on every
  instalment, then each transaction through ``processTransaction``); :func:`reallocate` does
  that. Payments on the same date keep the order they are given in (Fineract's
  ``LoanTransactionComparator`` orders by date, then by creation).
* **The payoff** of a loan without interest recalculation is everything outstanding on the
  schedule, future instalments' scheduled interest included: ``Loan.fetchPrepaymentDetail``
  returns ``getTotalOutstandingOnLoan()`` (principal, interest, fee and penalty outstanding
  summed over every instalment) unless interest recalculation is enabled, and that is what the
  "prepay loan" template (``LoanReadPlatformServiceImpl.retrieveLoanPrePaymentTemplate``) quotes.
  Coastal's products have no interest recalculation, so :func:`payoff_quote` is that sum, and it
  is exactly the amount :func:`allocate` accepts at most -- paying it closes every instalment.
  (Fineract's separate *foreclosure* transaction, ``Loan.fetchLoanForeclosureDetail``, prorates
  the current period's interest and waives the rest; Coastal does not offer foreclosure.)

Money: amounts are ``Decimal`` with at most ``decimals`` places (2 by default); allocation only
subtracts and compares, so nothing is rounded and no remainder is created. Penalties are taken
as the instalments carry them (end of day charges them); a replay does not invent or drop any.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

__all__ = [
    "COMPONENTS", "Allocation", "AllocationError", "InstalmentAllocation", "InstalmentDue", "allocate",
    "instalment_status", "outstanding", "payoff_quote", "reallocate",
]

ZERO = Decimal("0.00")
#: The order in which one instalment's dues are paid (Fineract's default strategy).
COMPONENTS = ("penalties", "fees", "interest", "principal")


class AllocationError(ValueError):
    """A repayment that cannot be allocated. ``code`` is machine readable: ``invalid_amount``
    (zero, negative, not a Decimal, too many places: a 422), ``over_payoff`` (more than the
    payoff) and ``loan_closed`` (nothing left to pay), both business refusals (409)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class InstalmentDue:
    """One instalment's dues and what has been paid against each component."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fees: Decimal = ZERO
    penalties: Decimal = ZERO
    principal_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    fees_paid: Decimal = ZERO
    penalties_paid: Decimal = ZERO

    @classmethod
    def from_instalment(cls, instalment, *, penalties: Decimal = ZERO) -> InstalmentDue:
        """An unpaid instalment of a generated schedule (``apps.loans.schedule.Instalment``:
        number, due_date, principal, interest, fees) with the penalties charged on it."""
        return cls(number=instalment.number, due_date=instalment.due_date, principal=instalment.principal,
                   interest=instalment.interest, fees=instalment.fees, penalties=penalties)

    def due(self, component: str) -> Decimal:
        return getattr(self, component)

    def paid(self, component: str) -> Decimal:
        return getattr(self, f"{component}_paid")

    def outstanding(self, component: str) -> Decimal:
        return self.due(component) - self.paid(component)

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalties

    @property
    def total_paid(self) -> Decimal:
        return self.principal_paid + self.interest_paid + self.fees_paid + self.penalties_paid

    @property
    def total_outstanding(self) -> Decimal:
        return self.total - self.total_paid

    @property
    def is_paid(self) -> bool:
        """Fineract's ``isNotFullyPaidOff`` negated: nothing outstanding on any component."""
        return self.total_outstanding == 0

    def unpaid(self) -> InstalmentDue:
        """The same instalment with nothing paid (Fineract's ``resetDerivedComponents``)."""
        return replace(self, principal_paid=ZERO, interest_paid=ZERO, fees_paid=ZERO, penalties_paid=ZERO)


@dataclass(frozen=True)
class InstalmentAllocation:
    """What one payment paid on one instalment (Fineract's ``LoanTransactionToRepaymentScheduleMapping``)."""

    number: int
    penalties: Decimal
    fees: Decimal
    interest: Decimal
    principal: Decimal

    @property
    def total(self) -> Decimal:
        return self.penalties + self.fees + self.interest + self.principal


@dataclass(frozen=True)
class Allocation:
    """What one payment paid, by component, and on which instalments (only those it touched)."""

    penalties: Decimal
    fees: Decimal
    interest: Decimal
    principal: Decimal
    per_instalment: tuple[InstalmentAllocation, ...] = field(default=())

    @property
    def total(self) -> Decimal:
        return self.penalties + self.fees + self.interest + self.principal


# --------------------------------------------------------------------------- validation


def _check_money(value, name: str, decimals: int, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise AllocationError(f"{name} must be a finite Decimal amount", "invalid_amount")
    if value < 0 or (value == 0 and not allow_zero):
        raise AllocationError(f"{name} must be greater than zero, not {value}", "invalid_amount")
    if value != value.quantize(Decimal(1).scaleb(-decimals)):
        raise AllocationError(f"{name} has more than {decimals} decimal places: {value}", "invalid_amount")


def _sorted_checked(instalments: Iterable[InstalmentDue], decimals: int) -> list[InstalmentDue]:
    """The instalments by due date (then number), each checked: no negative due or paid amount,
    nothing paid beyond its due, no two instalments with one number."""
    items = list(instalments)
    numbers = [i.number for i in items]
    if len(set(numbers)) != len(numbers):
        raise ValueError("two instalments have the same number")
    for inst in items:
        for component in COMPONENTS:
            for name, value in ((component, inst.due(component)), (f"{component}_paid", inst.paid(component))):
                if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                    raise ValueError(f"instalment {inst.number}: {name} must be a Decimal of zero or more")
                if value != value.quantize(Decimal(1).scaleb(-decimals)):
                    raise ValueError(f"instalment {inst.number}: {name} has more than {decimals} decimal places")
            if inst.paid(component) > inst.due(component):
                raise ValueError(f"instalment {inst.number}: more {component} paid than due")
    return sorted(items, key=lambda i: (i.due_date, i.number))


def _q(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals))


# --------------------------------------------------------------------------- outstanding and payoff


def outstanding(instalments: Iterable[InstalmentDue], *, decimals: int = 2) -> dict[str, Decimal]:
    """Everything outstanding on the schedule: ``{principal, interest, fees, penalties, total}``
    (Fineract's ``Loan.getTotalOutstandingOnLoan``)."""
    items = _sorted_checked(instalments, decimals)
    result = {c: _q(sum((i.outstanding(c) for i in items), ZERO), decimals) for c in reversed(COMPONENTS)}
    result["total"] = _q(sum(result.values(), ZERO), decimals)
    return result


def payoff_quote(instalments: Iterable[InstalmentDue], on: date, *, decimals: int = 2) -> dict[str, Decimal]:
    """What closes the loan on ``on``: ``{principal, interest, fees, penalties, total}``.

    Fineract's prepayment amount for a loan without interest recalculation
    (``Loan.fetchPrepaymentDetail`` -> ``getTotalOutstandingOnLoan``): all unpaid principal and
    every instalment's unpaid interest, fees and penalties, future instalments' scheduled
    interest included (this strategy settles future instalments "with their scheduled
    interest"). The date does not change the figures of a fixed schedule; it is checked and
    named so a quote is always for a date. Penalties that end of day will charge after ``on``
    are not in it. Paying exactly ``total`` with :func:`allocate` closes every instalment.
    """
    if not isinstance(on, date):
        raise ValueError("the quote date must be a date")
    return outstanding(instalments, decimals=decimals)


# --------------------------------------------------------------------------- allocation


def allocate(instalments: Iterable[InstalmentDue], amount: Decimal, *, on: date,
             decimals: int = 2) -> tuple[Allocation, tuple[InstalmentDue, ...]]:
    """Allocate a repayment of ``amount`` made on ``on``; returns the allocation and the
    instalments (sorted by due date) with the payment applied. Nothing is changed in place.

    Order (Fineract's default strategy, see the module docstring): **instalment by
    instalment**, oldest unpaid due date first, whether due yet or not; within each instalment
    penalties, then fees, then interest, then principal, each paid as far as the money goes,
    before anything of the next instalment is paid. The payment date does not change the split.

    Refused with :class:`AllocationError` (a ``ValueError``): an amount that is not a positive
    Decimal of at most ``decimals`` places (``invalid_amount``), a loan with nothing left to pay
    (``loan_closed``), and an amount above the payoff (``over_payoff``).
    """
    if not isinstance(on, date):
        raise ValueError("the repayment date must be a date")
    _check_money(amount, "the repayment amount", decimals, allow_zero=False)
    items = _sorted_checked(instalments, decimals)
    payoff = sum((i.total_outstanding for i in items), ZERO)
    if payoff == 0:
        raise AllocationError("the loan is fully repaid: there is nothing left to pay", "loan_closed")
    if amount > payoff:
        raise AllocationError(
            f"the repayment of {_q(amount, decimals)} is more than the payoff of {_q(payoff, decimals)} "
            f"on {on.isoformat()}", "over_payoff")

    remaining = amount
    totals = dict.fromkeys(COMPONENTS, ZERO)
    per_instalment: list[InstalmentAllocation] = []
    updated: list[InstalmentDue] = []
    for inst in items:
        if remaining == 0 or inst.is_paid:
            updated.append(inst)
            continue
        portions = {}
        for component in COMPONENTS:
            portion = min(inst.outstanding(component), remaining)
            portions[component] = portion
            remaining -= portion
        totals = {c: totals[c] + portions[c] for c in COMPONENTS}
        per_instalment.append(InstalmentAllocation(
            number=inst.number, **{c: _q(portions[c], decimals) for c in COMPONENTS}))
        updated.append(replace(inst, **{f"{c}_paid": _q(inst.paid(c) + portions[c], decimals) for c in COMPONENTS}))
    if remaining != 0:  # pragma: no cover - amount <= payoff makes this impossible
        raise AssertionError("allocation left money unallocated")
    allocation = Allocation(**{c: _q(totals[c], decimals) for c in COMPONENTS}, per_instalment=tuple(per_instalment))
    return allocation, tuple(updated)


def reallocate(instalments_original: Iterable[InstalmentDue], payments: Sequence[tuple[date, Decimal]], *,
               decimals: int = 2) -> tuple[list[tuple[date, Decimal, Allocation]], tuple[InstalmentDue, ...]]:
    """Replay every payment from the schedule with nothing paid, in date order (payments on one
    date in the order given), as Fineract's ``reprocessLoanTransactions`` does when a backdated
    repayment arrives. Whatever is already marked paid on ``instalments_original`` is ignored.

    Returns ``[(date, amount, Allocation), ...]`` in the order the payments were applied and
    the final instalments. A payment that no longer fits (above what is left to pay at its
    turn) raises :class:`AllocationError` naming it, and nothing is returned.
    """
    items = tuple(inst.unpaid() for inst in _sorted_checked(instalments_original, decimals))
    ordered = sorted(enumerate(payments), key=lambda pair: (pair[1][0], pair[0]))
    results: list[tuple[date, Decimal, Allocation]] = []
    for position, (paid_on, amount) in ordered:
        try:
            allocation, items = allocate(items, amount, on=paid_on, decimals=decimals)
        except AllocationError as error:
            raise AllocationError(f"payment {position + 1} ({amount} on {paid_on}): {error}", error.code) from error
        results.append((paid_on, amount, allocation))
    return results, items


# --------------------------------------------------------------------------- status


def instalment_status(instalment: InstalmentDue, on: date) -> str:
    """The API's instalment ``status`` on ``on``: ``paid`` when nothing is outstanding;
    ``overdue`` when something is outstanding and the due date is before ``on`` (Fineract's
    ``isOverdueOn``: the date is after the due date, so an instalment is not overdue on its due
    date); otherwise ``partly_paid`` when something has been paid, else ``pending``."""
    if instalment.is_paid:
        return "paid"
    if on > instalment.due_date:
        return "overdue"
    if instalment.total_paid > 0:
        return "partly_paid"
    return "pending"
