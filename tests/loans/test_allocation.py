"""Repayment allocation (Fineract's "Penalties, Fees, Interest, Principal order" strategy), payoff
quotes, backdated replay and instalment statuses. Pure: no database."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.loans.allocation import (
    COMPONENTS,
    AllocationError,
    InstalmentDue,
    allocate,
    instalment_status,
    outstanding,
    payoff_quote,
    reallocate,
)

D = Decimal


def schedule(penalty_on_first="0.00") -> tuple[InstalmentDue, ...]:
    """Three monthly instalments of a 300.00 loan: 100.00 principal, interest 6.00 / 4.00 / 2.00,
    a 1.50 fee each; the first may carry a penalty."""
    return (
        InstalmentDue(1, date(2026, 1, 31), D("100.00"), D("6.00"), D("1.50"), D(penalty_on_first)),
        InstalmentDue(2, date(2026, 2, 28), D("100.00"), D("4.00"), D("1.50")),
        InstalmentDue(3, date(2026, 3, 31), D("100.00"), D("2.00"), D("1.50")),
    )


def test_partial_payment_pays_penalties_then_fees_then_part_of_interest():
    instalments = schedule(penalty_on_first="3.00")
    # 7.00 = penalty 3.00 + fee 1.50 + 2.50 of the 6.00 interest; no principal.
    allocation, after = allocate(instalments, D("7.00"), on=date(2026, 2, 5))
    assert (allocation.penalties, allocation.fees, allocation.interest, allocation.principal) == (
        D("3.00"), D("1.50"), D("2.50"), D("0.00"))
    assert allocation.total == D("7.00")
    assert [(a.number, a.total) for a in allocation.per_instalment] == [(1, D("7.00"))]
    first = after[0]
    assert (first.penalties_paid, first.fees_paid, first.interest_paid, first.principal_paid) == (
        D("3.00"), D("1.50"), D("2.50"), D("0.00"))
    assert first.outstanding("interest") == D("3.50")
    assert after[1:] == instalments[1:]


def test_order_is_instalment_by_instalment_not_component_first():
    # Instalment 2 already carries a penalty (overdue); instalment 1 is overdue too. 110.00 clears
    # instalment 1 (3.00 + 1.50 + 6.00 + 100.00 = 110.50 would be needed; 110.00 leaves 0.50 of
    # its principal) -- instalment 2's penalty is NOT paid first, as a component-first order would.
    instalments = list(schedule(penalty_on_first="3.00"))
    instalments[1] = InstalmentDue(2, date(2026, 2, 28), D("100.00"), D("4.00"), D("1.50"), D("2.00"))
    allocation, after = allocate(instalments, D("110.00"), on=date(2026, 3, 10))
    assert [a.number for a in allocation.per_instalment] == [1]
    assert after[0].outstanding("principal") == D("0.50")
    assert after[1].penalties_paid == D("0.00")
    # 1.00 more: 0.50 closes instalment 1, then instalment 2's penalty gets 0.50.
    allocation, after = allocate(after, D("1.00"), on=date(2026, 3, 10))
    assert [(a.number, a.principal, a.penalties) for a in allocation.per_instalment] == [
        (1, D("0.50"), D("0.00")), (2, D("0.00"), D("0.50"))]
    assert after[0].is_paid


def test_paying_ahead_settles_next_instalments_with_their_scheduled_interest():
    # Paid on 10 January, before any due date: 107.50 closes instalment 1 and 60.00 goes to
    # instalment 2: fee 1.50, its full scheduled interest 4.00, then 54.50 principal.
    allocation, after = allocate(schedule(), D("167.50"), on=date(2026, 1, 10))
    assert [(a.number, a.fees, a.interest, a.principal) for a in allocation.per_instalment] == [
        (1, D("1.50"), D("6.00"), D("100.00")), (2, D("1.50"), D("4.00"), D("54.50"))]
    assert (allocation.fees, allocation.interest, allocation.principal) == (D("3.00"), D("10.00"), D("154.50"))
    assert after[0].is_paid and not after[1].is_paid
    assert after[2] == schedule()[2]
    assert instalment_status(after[1], date(2026, 1, 10)) == "partly_paid"


def test_the_payment_date_does_not_change_the_split():
    late, _ = allocate(schedule(), D("50.00"), on=date(2026, 6, 1))
    early, _ = allocate(schedule(), D("50.00"), on=date(2026, 1, 1))
    assert late == early


def test_exact_payoff_closes_everything():
    instalments = schedule(penalty_on_first="3.00")
    quote = payoff_quote(instalments, date(2026, 2, 1))
    # principal 300.00, interest 6 + 4 + 2 = 12.00, fees 3 x 1.50 = 4.50, penalties 3.00.
    assert quote == {"principal": D("300.00"), "interest": D("12.00"), "fees": D("4.50"),
                     "penalties": D("3.00"), "total": D("319.50")}
    allocation, after = allocate(instalments, quote["total"], on=date(2026, 2, 1))
    assert all(i.is_paid for i in after)
    assert (allocation.principal, allocation.interest, allocation.fees, allocation.penalties) == (
        D("300.00"), D("12.00"), D("4.50"), D("3.00"))
    assert outstanding(after)["total"] == D("0.00")
    with pytest.raises(AllocationError) as closed:
        allocate(after, D("0.01"), on=date(2026, 2, 1))
    assert closed.value.code == "loan_closed"


def test_more_than_the_payoff_is_refused():
    with pytest.raises(AllocationError, match=r"more than the payoff of 316\.50 on 2026-02-01") as error:
        allocate(schedule(), D("316.51"), on=date(2026, 2, 1))
    assert error.value.code == "over_payoff"
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize("amount", [D("0"), D("0.00"), D("-5.00"), D("1.001"), D("NaN"), D("Infinity"), 5, 5.0, True])
def test_zero_negative_over_precise_and_non_decimal_amounts_are_refused(amount):
    with pytest.raises(AllocationError) as error:
        allocate(schedule(), amount, on=date(2026, 2, 1))
    assert error.value.code == "invalid_amount"


def test_inconsistent_instalments_are_refused():
    bad = InstalmentDue(1, date(2026, 1, 31), D("100.00"), D("6.00"), interest_paid=D("7.00"))
    with pytest.raises(ValueError, match="more interest paid than due"):
        allocate([bad], D("1.00"), on=date(2026, 1, 1))
    with pytest.raises(ValueError, match="same number"):
        allocate([schedule()[0], schedule()[0]], D("1.00"), on=date(2026, 1, 1))
    with pytest.raises(ValueError, match="decimal places"):
        payoff_quote([InstalmentDue(1, date(2026, 1, 31), D("100.001"), D("6.00"))], date(2026, 1, 1))


def test_instalments_are_taken_by_due_date_whatever_order_they_come_in():
    allocation, after = allocate(tuple(reversed(schedule())), D("110.00"), on=date(2026, 1, 31))
    assert [i.number for i in after] == [1, 2, 3]
    assert [(a.number, a.total) for a in allocation.per_instalment] == [(1, D("107.50")), (2, D("2.50"))]


def test_backdated_payment_changes_what_later_payments_paid():
    instalments = schedule()
    # First recorded: 107.50 on 31 January closes instalment 1.
    [(_, _, first)], state = reallocate(instalments, [(date(2026, 1, 31), D("107.50"))])
    assert [(a.number, a.principal) for a in first.per_instalment] == [(1, D("100.00"))]
    # A backdated 50.00 on 15 January goes first: it pays instalment 1's fee 1.50, interest
    # 6.00 and 42.50 principal; the 31 January payment then pays instalment 1's last 57.50 of
    # principal and 50.00 of instalment 2 (fee 1.50, interest 4.00, principal 44.50).
    results, state = reallocate(state, [(date(2026, 1, 31), D("107.50")), (date(2026, 1, 15), D("50.00"))])
    assert [(d, a) for d, a, _ in results] == [(date(2026, 1, 15), D("50.00")), (date(2026, 1, 31), D("107.50"))]
    backdated, later = results[0][2], results[1][2]
    assert (backdated.fees, backdated.interest, backdated.principal) == (D("1.50"), D("6.00"), D("42.50"))
    assert [(a.number, a.fees, a.interest, a.principal) for a in later.per_instalment] == [
        (1, D("0.00"), D("0.00"), D("57.50")), (2, D("1.50"), D("4.00"), D("44.50"))]
    assert later != first
    assert state[0].is_paid and state[1].principal_paid == D("44.50")


def test_replay_starts_from_nothing_paid_and_keeps_same_day_order():
    paid = allocate(schedule(), D("100.00"), on=date(2026, 1, 5))[1]
    results, state = reallocate(paid, [(date(2026, 1, 5), D("7.50")), (date(2026, 1, 5), D("1.00"))])
    assert [r[1] for r in results] == [D("7.50"), D("1.00")]
    assert (results[0][2].fees, results[0][2].interest) == (D("1.50"), D("6.00"))
    assert results[1][2].principal == D("1.00")
    assert state[0].principal_paid == D("1.00")


def test_replay_refuses_a_payment_that_no_longer_fits():
    # The backdated 300.00 of 20 January goes first and fits (payoff 316.50); the 20.00 of
    # 1 February, given first, no longer does (16.50 left). Payments are named in given order.
    with pytest.raises(AllocationError, match=r"payment 1 \(20\.00 on 2026-02-01\).*payoff of 16\.50") as error:
        reallocate(schedule(), [(date(2026, 2, 1), D("20.00")), (date(2026, 1, 20), D("300.00"))])
    assert error.value.code == "over_payoff"


def test_payoff_quote_after_partial_payments_and_the_date_is_named():
    _, after = allocate(schedule(penalty_on_first="3.00"), D("160.00"), on=date(2026, 2, 10))
    # 160.00 = instalment 1 (3.00 + 1.50 + 6.00 + 100.00 = 110.50) + instalment 2's fee 1.50,
    # interest 4.00 and 44.00 principal. Left: principal 56.00 + 100.00, interest 2.00, fee 1.50.
    assert payoff_quote(after, date(2026, 2, 10)) == {
        "principal": D("156.00"), "interest": D("2.00"), "fees": D("1.50"), "penalties": D("0.00"),
        "total": D("159.50")}
    with pytest.raises(ValueError):
        payoff_quote(after, "2026-02-10")


def test_statuses():
    first = schedule()[0]  # due 31 January 2026
    assert instalment_status(first, date(2026, 1, 30)) == "pending"
    assert instalment_status(first, date(2026, 1, 31)) == "pending"  # not overdue on its due date
    assert instalment_status(first, date(2026, 2, 1)) == "overdue"
    _, after = allocate([first], D("10.00"), on=date(2026, 1, 20))
    assert instalment_status(after[0], date(2026, 1, 31)) == "partly_paid"
    assert instalment_status(after[0], date(2026, 2, 1)) == "overdue"
    _, after = allocate(after, after[0].total_outstanding, on=date(2026, 2, 3))
    assert instalment_status(after[0], date(2026, 2, 3)) == "paid"
    assert instalment_status(after[0], date(2026, 1, 1)) == "paid"


# --------------------------------------------------------------------------- properties

cents = st.integers(min_value=0, max_value=500_000).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def loans(draw):
    count = draw(st.integers(min_value=1, max_value=8))
    start = date(2026, 1, 1)
    instalments = []
    for number in range(1, count + 1):
        dues = {c: draw(cents) for c in COMPONENTS}
        paid = {f"{c}_paid": draw(st.integers(0, int(dues[c] * 100)).map(lambda n: Decimal(n).scaleb(-2)))
                for c in COMPONENTS}
        instalments.append(InstalmentDue(number, start + timedelta(days=30 * number), **dues, **paid))
    return draw(st.permutations(instalments))


@settings(max_examples=200, deadline=None)
@given(loans(), st.data())
def test_allocation_properties(instalments, data):
    payoff = payoff_quote(instalments, date(2026, 6, 1))["total"]
    if payoff == 0:
        with pytest.raises(AllocationError):
            allocate(instalments, D("0.01"), on=date(2026, 6, 1))
        return
    amount = data.draw(st.integers(1, int(payoff * 100)).map(lambda n: Decimal(n).scaleb(-2)))
    allocation, after = allocate(instalments, amount, on=date(2026, 6, 1))
    # The components add up to exactly the amount paid, per payment and per instalment.
    assert allocation.total == amount
    assert sum(a.total for a in allocation.per_instalment) == amount
    for component in COMPONENTS:
        assert getattr(allocation, component) == sum(getattr(a, component) for a in allocation.per_instalment)
    before = {i.number: i for i in instalments}
    for inst in after:
        for component in COMPONENTS:
            # Never more than due, never a negative outstanding, never less paid than before.
            assert D(0) <= inst.outstanding(component) <= inst.due(component)
            assert inst.paid(component) >= before[inst.number].paid(component)
    assert outstanding(after)["total"] == payoff - amount
    # Oldest first: every instalment before the last one touched is fully paid.
    touched = [a.number for a in allocation.per_instalment]
    order = [i.number for i in after]
    for number in order[: order.index(touched[-1])]:
        assert next(i for i in after if i.number == number).is_paid
    # Anything above what is left is refused.
    with pytest.raises(AllocationError):
        allocate(after, payoff - amount + D("0.01"), on=date(2026, 6, 1))


@settings(max_examples=100, deadline=None)
@given(loans(), st.lists(st.tuples(st.integers(0, 200), st.integers(1, 50_000)), min_size=1, max_size=6))
def test_replay_properties(instalments, raw_payments):
    payments = [(date(2026, 1, 1) + timedelta(days=d), Decimal(c).scaleb(-2)) for d, c in raw_payments]
    total_due = sum(i.total for i in instalments)
    if sum(a for _, a in payments) > total_due:
        with pytest.raises(AllocationError):
            reallocate(instalments, payments)
        return
    results, state = reallocate(instalments, payments)
    assert [d for d, _, _ in results] == sorted(d for d, _ in payments)
    assert all(allocation.total == amount for _, amount, allocation in results)
    assert sum(i.total_paid for i in state) == sum(a for _, a in payments)
    assert all(i.outstanding(c) >= 0 for i in state for c in COMPONENTS)


def test_a_generated_schedule_is_paid_off_by_its_total_repayment():
    from apps.loans.schedule import ScheduleTerms, generate_schedule

    terms = ScheduleTerms(
        interest_method="declining_balance", amortization="equal_instalments", interest_rate=D("2"),
        interest_rate_period="month", interest_calculation="period", days_in_year="actual", repayment_every=1,
        repayment_frequency="month", term=6)
    generated = generate_schedule(terms, principal=D("5000.00"), disbursement_date=date(2026, 1, 15),
                                  fees_per_instalment=D("5.00"))
    instalments = [InstalmentDue.from_instalment(i) for i in generated.instalments]
    assert [(i.number, i.due_date, i.principal, i.interest, i.fees, i.total_paid) for i in instalments] == [
        (i.number, i.due_date, i.principal, i.interest, i.fees, D("0.00")) for i in generated.instalments]
    quote = payoff_quote(instalments, date(2026, 1, 20))
    assert quote["total"] == generated.total_repayment
    assert (quote["principal"], quote["interest"], quote["fees"]) == (
        D("5000.00"), generated.total_interest, generated.total_fees)
    _, after = allocate(instalments, generated.total_repayment, on=date(2026, 1, 20))
    assert all(instalment_status(i, date(2026, 1, 20)) == "paid" for i in after)
