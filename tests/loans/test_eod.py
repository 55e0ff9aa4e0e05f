"""End of day for loans (apps/loans/eod.py): standing instructions, ageing, accrual, penalties, provisions.

The loan is the `approved_loan` fixture (8,000 over 12 months at 2 % a month, declining balance)
disbursed on 31 Dec 2025, so every due date is a month end: 31 Jan (596.48 + 160.00), 28 Feb
(608.41 + 148.07), 31 Mar (620.58 + 135.90), ... The business date is moved with `on_day`.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.core import eod as core_eod
from apps.core.closing import open_items
from apps.core.models import BusinessDay, EndOfDayRun
from apps.ledger.business_days import business_day_close, close_item_override
from apps.ledger.management.commands.verify_ledger import find_differences
from apps.ledger.models import Account, JournalEntry, Posting
from apps.loans import eod, servicing
from apps.loans.models import Loan, LoanInstalment, LoanPenalty, LoanProvision, LoansPolicy, LoanTransaction
from tests.ledger.factories import on_day

pytestmark = pytest.mark.django_db
D = Decimal
DISBURSED = date(2025, 12, 31)
RECEIVABLE, INCOME, PROVISION, PROVISION_EXPENSE = "1110", "4000", "2300", "5110"


def gl(code: str) -> Decimal:
    """Debits less credits on a GL account."""
    rows = Posting.objects.filter(gl_account__code=code)
    return sum((p.debit - p.credit for p in rows), D("0"))


@pytest.fixture
def loan(approved_loan, manager):
    """The approved loan disbursed on 31 Dec 2025 (approved the day before), no standing instruction."""
    on_day(DISBURSED)
    Loan.objects.filter(pk=approved_loan.pk).update(decided_on=date(2025, 12, 30),
                                                    standing_instruction=False)
    approved_loan.refresh_from_db()
    servicing.loan_disburse(actor=manager, loan=approved_loan)
    approved_loan.refresh_from_db()
    return approved_loan


def step(func, day, actor):
    on_day(day)
    return func(business_date=day, actor=actor)


def snapshot(loan):
    """Everything end of day may change, to compare a re-run with."""
    loan.refresh_from_db()
    return (JournalEntry.objects.count(), LoanPenalty.objects.count(),
            list(LoanProvision.objects.values_list("business_date", "bucket", "loans", "amount")),
            list(LoanInstalment.objects.filter(loan=loan).values_list("penalties", flat=True)),
            loan.days_in_arrears, loan.non_performing, loan.interest_recognised, loan.interest_receivable,
            loan.provision)


def repay(loan, amount, manager):
    return servicing.loan_repay(actor=manager, loan=loan, amount=amount, channel="account")


# --- registration ----------------------------------------------------------------------------------

def test_the_loan_steps_run_in_order_before_the_ledger_check():
    names = [s.name for s in core_eod.ordered_steps()]
    loan_steps = ["loan_standing_instructions", "loan_arrears_ageing", "loan_interest_accrual", "loan_penalties",
                  "loan_provisions"]
    assert [n for n in names if n.startswith("loan_")] == loan_steps
    assert names.index("loan_provisions") < names.index("verify_ledger")
    words = dict(core_eod.describe_result({"loan_interest_accrued": "77.42"}))
    assert "Loan interest accrued" in words


# --- accrual ---------------------------------------------------------------------------------------

def test_accrual_posts_the_interest_earned_to_date_and_a_rerun_posts_nothing(loan, manager):
    result = step(eod.interest_accrual, date(2026, 1, 15), manager)
    # 15 of the first period's 31 days: 160.00 x 15 / 31 = 77.419... -> 77.42
    assert result == {"loan_interest_loans": 1, "loan_interest_accrued": "77.42"}
    loan.refresh_from_db()
    assert (loan.interest_recognised, loan.interest_receivable) == (D("77.42"), D("77.42"))
    assert gl(RECEIVABLE) == D("77.42") and gl(INCOME) == D("-77.42")
    entry = JournalEntry.objects.get(description__startswith="Loan interest accrued")
    assert entry.business_date == date(2026, 1, 15) and entry.postings.count() == 2
    before = snapshot(loan)
    assert step(eod.interest_accrual, date(2026, 1, 15), manager) == {"loan_interest_loans": 0,
                                                                      "loan_interest_accrued": "0.00"}
    assert snapshot(loan) == before


def test_accrual_across_a_month_end_rounds_half_even(loan, manager):
    step(eod.interest_accrual, date(2026, 1, 15), manager)
    # through 14 Feb: all of January's 160.00 + 148.07 x 14 / 28 = 74.035 -> 234.035 -> 234.04 (half-even)
    result = step(eod.interest_accrual, date(2026, 2, 14), manager)
    assert result["loan_interest_accrued"] == "156.62"  # 234.04 - 77.42
    loan.refresh_from_db()
    assert loan.interest_recognised == D("234.04") == loan.interest_receivable
    # on the due date the whole period is earned
    step(eod.interest_accrual, date(2026, 2, 28), manager)
    loan.refresh_from_db()
    assert loan.interest_recognised == D("308.07")  # 160.00 + 148.07
    assert gl(RECEIVABLE) == D("308.07")


def test_interest_paid_ahead_is_not_accrued_again(loan, manager):
    step(eod.interest_accrual, date(2026, 1, 15), manager)
    repay(loan, "756.48", manager)  # the whole first instalment on 15 Jan: 160.00 of interest
    loan.refresh_from_db()
    # 77.42 settles the receivable, 82.58 is paid ahead of accrual and goes straight to income
    assert (loan.interest_recognised, loan.interest_receivable) == (D("160.00"), D("0.00"))
    entries = JournalEntry.objects.count()
    for day in (date(2026, 1, 15), date(2026, 1, 20), date(2026, 1, 31)):
        assert step(eod.interest_accrual, day, manager)["loan_interest_loans"] == 0
    assert JournalEntry.objects.count() == entries
    # 7 Feb: 160.00 + 148.07 x 7 / 28 = 197.0175 -> 197.02; only 37.02 is new
    assert step(eod.interest_accrual, date(2026, 2, 7), manager)["loan_interest_accrued"] == "37.02"
    assert gl(INCOME) == D("-197.02") and gl(RECEIVABLE) == D("37.02")


def test_interest_earned_counts_elapsed_days_of_each_period(loan):
    [(product, recognised, target)] = eod.interest_earned(date(2026, 3, 10)).values()
    assert product == loan.product_id and recognised == D("0.00")
    # 160.00 + 148.07 + 135.90 x 10 / 31 = 351.9083... -> 351.91
    assert target == D("351.91")


# --- ageing and non-performing ---------------------------------------------------------------------

@pytest.mark.parametrize("day, days, bucket, npl", [
    (date(2026, 1, 31), 0, "current", False),       # not overdue on its due date
    (date(2026, 2, 1), 1, "1-30", False),
    (date(2026, 3, 2), 30, "1-30", False),
    (date(2026, 3, 3), 31, "31-60", False),
    (date(2026, 5, 1), 90, "61-90", False),
    (date(2026, 5, 2), 91, "91-180", True),
    (date(2026, 8, 1), 182, "over-180", True),
])
def test_ageing_into_buckets(loan, manager, day, days, bucket, npl):
    step(eod.arrears_ageing, day, manager)
    loan.refresh_from_db()
    assert (loan.days_in_arrears, loan.delinquency_bucket, loan.non_performing) == (days, bucket, npl)
    assert step(eod.arrears_ageing, day, manager)["loan_ageing_changed"] == 0


def test_paying_the_arrears_brings_the_loan_back_to_current(loan, manager):
    step(eod.arrears_ageing, date(2026, 2, 10), manager)
    loan.refresh_from_db()
    assert loan.days_in_arrears == 10
    repay(loan, "756.48", manager)
    result = step(eod.arrears_ageing, date(2026, 2, 10), manager)
    loan.refresh_from_db()
    assert loan.days_in_arrears == 0 and result["loan_in_arrears"] == 0 and result["loan_ageing_changed"] == 1


def test_a_non_performing_loan_accrues_nothing(loan, manager):
    day = date(2026, 5, 2)  # 91 days after the first due date, nothing paid
    result = step(eod.arrears_ageing, day, manager)
    assert result["loan_non_performing"] == 1
    entries = JournalEntry.objects.count()
    assert step(eod.interest_accrual, day, manager) == {"loan_interest_loans": 0, "loan_interest_accrued": "0.00"}
    loan.refresh_from_db()
    assert loan.interest_recognised == D("0.00") and JournalEntry.objects.count() == entries
    # one day earlier it was still performing and accrued everything earned to date
    Loan.objects.filter(pk=loan.pk).update(non_performing=False)
    assert step(eod.interest_accrual, date(2026, 5, 1), manager)["loan_interest_loans"] == 1


# --- penalties -------------------------------------------------------------------------------------

def penalties_of(loan):
    return {(p.instalment.number, p.period): (p.charged_on, p.amount)
            for p in LoanPenalty.objects.filter(instalment__loan=loan).select_related("instalment")}


def test_penalty_once_per_instalment_and_period_never_twice_on_a_rerun(loan, manager):
    # due 31 Jan, 3 days' grace: nothing on 3 Feb, charged on 4 Feb
    assert step(eod.penalties_charge, date(2026, 2, 3), manager)["loan_penalties_charged"] == 0
    result = step(eod.penalties_charge, date(2026, 2, 4), manager)
    # 1.5 % of the 756.48 of principal and interest overdue = 11.3472 -> 11.35
    assert result == {"loan_penalties_charged": 1, "loan_penalties_amount": "11.35"}
    before = snapshot(loan)
    assert step(eod.penalties_charge, date(2026, 2, 4), manager)["loan_penalties_charged"] == 0
    assert snapshot(loan) == before
    assert step(eod.penalties_charge, date(2026, 2, 20), manager)["loan_penalties_charged"] == 0
    # 4 Mar: the first instalment's second period (31 Jan + 1 month = 28 Feb, + 4 days) and the
    # second instalment's first (due 28 Feb)
    assert step(eod.penalties_charge, date(2026, 3, 4), manager)["loan_penalties_charged"] == 2
    assert step(eod.penalties_charge, date(2026, 3, 4), manager)["loan_penalties_charged"] == 0
    assert penalties_of(loan) == {(1, 0): (date(2026, 2, 4), D("11.35")), (1, 1): (date(2026, 3, 4), D("11.35")),
                                  (2, 0): (date(2026, 3, 4), D("11.35"))}
    first, second = LoanInstalment.objects.filter(loan=loan).order_by("number")[:2]
    assert (first.penalties, second.penalties) == (D("22.70"), D("11.35"))
    # third period of the first instalment: 31 Mar + 4 days (the month end does not drift to the 28th)
    assert step(eod.penalties_charge, date(2026, 4, 3), manager)["loan_penalties_charged"] == 1  # inst 2, period 1
    assert (1, 2) not in penalties_of(loan)
    step(eod.penalties_charge, date(2026, 4, 4), manager)
    assert penalties_of(loan)[(1, 2)] == (date(2026, 4, 4), D("11.35"))
    assert gl(INCOME) == 0 and gl("4030") == 0  # cash basis: nothing posted when charged


def test_penalty_is_on_what_is_still_overdue_and_waived_charges_drop_out(loan, manager):
    step(eod.penalties_charge, date(2026, 2, 4), manager)
    repay(loan, "511.35", manager)  # 11.35 penalty, 160.00 interest, 340.00 principal: 256.48 still owed
    assert step(eod.penalties_charge, date(2026, 3, 4), manager)["loan_penalties_amount"] == "15.20"
    # 3.85 (1.5 % of 256.48 = 3.8472) on the first, 11.35 on the second
    assert penalties_of(loan)[(1, 1)][1] == D("3.85")
    LoanPenalty.objects.filter(instalment__loan=loan, instalment__number=1, period=1).update(waived=True)
    step(eod.penalties_charge, date(2026, 3, 4), manager)
    first = LoanInstalment.objects.get(loan=loan, number=1)
    assert first.penalties == D("11.35") and LoanPenalty.objects.count() == 3


def test_a_paid_instalment_and_a_product_without_penalties_are_not_charged(loan, manager):
    repay(loan, "756.48", manager)
    assert step(eod.penalties_charge, date(2026, 2, 10), manager)["loan_penalties_charged"] == 0
    terms = {**loan.terms, "penalty_rate": "0"}
    Loan.objects.filter(pk=loan.pk).update(terms=terms)
    assert step(eod.penalties_charge, date(2026, 3, 10), manager)["loan_penalties_charged"] == 0


def test_weekly_penalty_periods():
    due = date(2026, 1, 5)
    assert eod.penalty_dates(due, grace_days=0, every=2, frequency="week", until=date(2026, 2, 2)) == [
        date(2026, 1, 6), date(2026, 1, 20)]
    assert eod.penalty_dates(due, grace_days=0, every=2, frequency="week", until=date(2026, 1, 5)) == []
    assert eod.penalty_dates(date(2026, 1, 31), grace_days=3, every=1, frequency="month",
                             until=date(2026, 5, 4)) == [date(2026, 2, 4), date(2026, 3, 4), date(2026, 4, 4),
                                                         date(2026, 5, 4)]


# --- provisions ------------------------------------------------------------------------------------

def provision_rows(day):
    return {row.bucket: (row.loans, row.outstanding_principal, row.rate, row.amount)
            for row in LoanProvision.objects.filter(business_date=day)}


def test_provisions_per_bucket_posted_once_and_released_when_the_loan_recovers(loan, manager):
    result = step(eod.provisions_set, date(2026, 1, 15), manager)
    # current: 1 % of 8,000.00
    assert provision_rows(date(2026, 1, 15)) == {"current": (1, D("8000.00"), D("1"), D("80.00"))}
    assert result == {"loan_provision_loans": 1, "loan_provision_total": "80.00", "loan_provision_change": "80.00"}
    assert gl(PROVISION_EXPENSE) == D("80.00") and gl(PROVISION) == D("-80.00")
    before = snapshot(loan)
    assert step(eod.provisions_set, date(2026, 1, 15), manager)["loan_provision_change"] == "0.00"
    assert snapshot(loan) == before
    # 3 Mar: 31 days in arrears, bucket 31-60 at 25 % of 8,000.00 = 2,000.00: 1,920.00 more
    step(eod.arrears_ageing, date(2026, 3, 3), manager)
    result = step(eod.provisions_set, date(2026, 3, 3), manager)
    # the bucket held before and empty now is reported as nothing
    assert provision_rows(date(2026, 3, 3)) == {"31-60": (1, D("8000.00"), D("25"), D("2000.00")),
                                                "current": (0, D("0.00"), D("1"), D("0.00"))}
    assert result["loan_provision_change"] == "1920.00"
    loan.refresh_from_db()
    assert loan.provision == D("2000.00") and gl(PROVISION) == D("-2000.00")
    assert step(eod.provisions_set, date(2026, 3, 3), manager)["loan_provision_change"] == "0.00"
    # the two overdue instalments paid the same day: current again, 1 % of 8,000.00 - 596.48 - 608.41 = 67.9511
    repay(loan, "1512.96", manager)
    step(eod.arrears_ageing, date(2026, 3, 3), manager)
    result = step(eod.provisions_set, date(2026, 3, 3), manager)
    assert provision_rows(date(2026, 3, 3)) == {"31-60": (0, D("0.00"), D("25"), D("0.00")),
                                                "current": (1, D("6795.11"), D("1"), D("67.95"))}
    assert result["loan_provision_change"] == "-1932.05"
    assert gl(PROVISION) == D("-67.95") and gl(PROVISION_EXPENSE) == D("67.95")
    loan.refresh_from_db()
    assert loan.provision == D("67.95")


def test_provision_rates_come_from_the_loans_policy(loan, manager):
    policy = LoansPolicy.current()
    policy.provision_current = D("2.5")
    policy.save()
    step(eod.provisions_set, date(2026, 1, 15), manager)
    assert provision_rows(date(2026, 1, 15))["current"][3] == D("200.00")


def test_a_loan_that_leaves_the_book_has_its_provision_released(loan, manager):
    step(eod.provisions_set, date(2026, 1, 15), manager)
    Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.CLOSED)  # e.g. closed or written off
    result = step(eod.provisions_set, date(2026, 1, 16), manager)
    assert result["loan_provision_change"] == "-80.00" and gl(PROVISION) == 0
    loan.refresh_from_db()
    assert loan.provision == 0
    assert provision_rows(date(2026, 1, 16)) == {"current": (0, D("0.00"), D("1"), D("0.00"))}
    # the day after, nothing is held and nothing is reported
    assert step(eod.provisions_set, date(2026, 1, 17), manager)["loan_provision_change"] == "0.00"
    assert provision_rows(date(2026, 1, 17)) == {}


def test_a_bucket_is_shared_over_its_loans_to_the_cent():
    # 5 % of 0.10 three times: 0.015 in all -> 0.02 (half-even), the two cents to the lower pks
    shares = eod._share(D("0.02"), [(3, D("0.10")), (1, D("0.10")), (2, D("0.10"))], D("5"))
    assert shares == {1: D("0.01"), 2: D("0.01"), 3: D("0.00")}
    shares = eod._share(D("33.34"), [(1, D("1000.00")), (2, D("2333.33"))], D("1"))
    assert sum(shares.values()) == D("33.34") and shares == {1: D("10.00"), 2: D("23.34")}


# --- standing instructions -------------------------------------------------------------------------

def test_standing_instruction_pays_what_is_due_once(loan, manager, world):
    Loan.objects.filter(pk=loan.pk).update(standing_instruction=True)
    account = Account.objects.get(pk=loan.account_id)
    assert step(eod.standing_instructions, date(2026, 1, 30), manager)["loan_si_paid"] == 0  # nothing due yet
    result = step(eod.standing_instructions, date(2026, 1, 31), manager)
    assert result["loan_si_paid"] == 1 and result["loan_si_amount"] == "756.48"
    account.refresh_from_db()
    first = LoanInstalment.objects.get(loan=loan, number=1)
    assert first.outstanding == 0 and first.paid_on == date(2026, 1, 31)
    assert LoanTransaction.objects.filter(loan=loan, channel="standing_instruction").count() == 1
    entries = JournalEntry.objects.count()
    assert step(eod.standing_instructions, date(2026, 1, 31), manager) == {
        "loan_si_paid": 0, "loan_si_amount": "0.00", "loan_si_no_funds": 0, "loan_si_refused": 0}
    assert JournalEntry.objects.count() == entries


def test_standing_instruction_without_funds_pays_nothing(loan, manager):
    Loan.objects.filter(pk=loan.pk).update(standing_instruction=True)
    account = Account.objects.get(pk=loan.account_id)
    Account.objects.filter(pk=account.pk).update(held_balance=account.balance)  # nothing available
    result = step(eod.standing_instructions, date(2026, 1, 31), manager)
    assert result["loan_si_paid"] == 0 and result["loan_si_no_funds"] == 1


# --- the whole chain -------------------------------------------------------------------------------

def accept_open_items(actor) -> None:
    day = BusinessDay.objects.get(status=BusinessDay.Status.OPEN)
    for item in open_items(day.date):
        close_item_override(actor=actor, item_key=item.key, reason="Test: accepted for this close")


def test_closing_the_day_runs_the_loan_steps_and_the_books_balance(loan, manager, operations_manager,
                                                                   django_capture_on_commit_callbacks):
    day = date(2026, 3, 4)
    on_day(day)
    accept_open_items(operations_manager)
    with django_capture_on_commit_callbacks(execute=True):
        run = business_day_close(actor=operations_manager)
    run.refresh_from_db()
    assert run.status == EndOfDayRun.Status.COMPLETED, run.steps.filter(status="failed").values_list("error")
    summary = run.summary
    assert summary["verify_ledger"] == {"verify_ledger": "ok"}
    assert summary["loan_arrears_ageing"]["loan_in_arrears"] == 1
    # January's 160.00 and February's 148.07, and 4 of March's 31 days of 135.90: 325.6055 -> 325.61
    assert summary["loan_interest_accrual"]["loan_interest_accrued"] == "325.61"
    assert summary["loan_penalties"]["loan_penalties_charged"] == 3
    loan.refresh_from_db()
    assert loan.days_in_arrears == 32 and loan.delinquency_bucket == "31-60"
    assert LoanProvision.objects.get(business_date=day).amount == D("2000.00")
    # re-running every loan step for the date changes nothing, and the books still balance
    before = snapshot(loan)
    for name in ("loan_standing_instructions", "loan_arrears_ageing", "loan_interest_accrual", "loan_penalties",
                 "loan_provisions"):
        core_eod.STEPS[name].func(business_date=day, actor=operations_manager)
    assert snapshot(loan) == before
    assert find_differences() == []
    call_command("verify_ledger")
    assert sum((p.debit - p.credit for p in Posting.objects.all()), D("0")) == 0


def test_standing_instruction_in_the_chain_pays_before_ageing(loan, manager, operations_manager,
                                                              django_capture_on_commit_callbacks):
    Loan.objects.filter(pk=loan.pk).update(standing_instruction=True)
    on_day(date(2026, 1, 31))
    accept_open_items(operations_manager)
    with django_capture_on_commit_callbacks(execute=True):
        run = business_day_close(actor=operations_manager)
    run.refresh_from_db()
    assert run.status == EndOfDayRun.Status.COMPLETED
    assert run.summary["loan_standing_instructions"]["loan_si_paid"] == 1
    assert run.summary["loan_arrears_ageing"]["loan_in_arrears"] == 0
    loan.refresh_from_db()
    # the instalment's 160.00 of interest: accrued to date by nothing before, so paid to income directly
    assert loan.interest_recognised == D("160.00") and loan.interest_receivable == D("0.00")
    assert run.summary["loan_interest_accrual"]["loan_interest_loans"] == 0
    assert find_differences() == []
