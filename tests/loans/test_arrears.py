"""Arrears ageing, delinquency buckets, provisioning and portfolio at risk. Pure: no database."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.loans.allocation import InstalmentDue, allocate
from apps.loans.arrears import (
    BUCKETS,
    LoanPosition,
    days_in_arrears,
    delinquency_bucket,
    is_non_performing,
    portfolio_at_risk,
    provision_for,
)

D = Decimal


def instalments():
    return (
        InstalmentDue(1, date(2026, 1, 31), D("100.00"), D("6.00")),
        InstalmentDue(2, date(2026, 2, 28), D("100.00"), D("4.00")),
        InstalmentDue(3, date(2026, 3, 31), D("100.00"), D("2.00")),
    )


def test_days_in_arrears_counts_from_the_oldest_unpaid_overdue_instalment():
    schedule = instalments()
    assert days_in_arrears(schedule, date(2026, 1, 30)) == 0
    assert days_in_arrears(schedule, date(2026, 1, 31)) == 0  # not overdue on its due date
    assert days_in_arrears(schedule, date(2026, 2, 1)) == 1
    assert days_in_arrears(schedule, date(2026, 3, 15)) == 43  # since 31 January
    # Instalment 1 fully paid, instalment 2 partly: ageing starts at 28 February.
    _, paid = allocate(schedule, D("150.00"), on=date(2026, 2, 10))
    assert days_in_arrears(paid, date(2026, 3, 15)) == 15
    assert days_in_arrears(paid, date(2026, 2, 28)) == 0
    # Everything paid: never in arrears.
    _, closed = allocate(schedule, D("312.00"), on=date(2026, 2, 10))
    assert days_in_arrears(closed, date(2027, 1, 1)) == 0
    assert days_in_arrears((), date(2027, 1, 1)) == 0
    with pytest.raises(ValueError):
        days_in_arrears(schedule, "2026-03-15")


@pytest.mark.parametrize(("days", "bucket", "non_performing"), [
    (0, "current", False), (1, "1-30", False), (30, "1-30", False), (31, "31-60", False),
    (60, "31-60", False), (61, "61-90", False), (90, "61-90", False), (91, "91-180", True),
    (180, "91-180", True), (181, "over-180", True), (5000, "over-180", True),
])
def test_buckets_and_non_performing_at_each_boundary(days, bucket, non_performing):
    assert delinquency_bucket(days) == bucket
    assert is_non_performing(days) is non_performing


@pytest.mark.parametrize("days", [-1, 1.0, "3", None, True])
def test_bucket_refuses_what_is_not_a_day_count(days):
    with pytest.raises(ValueError):
        delinquency_bucket(days)
    with pytest.raises(ValueError):
        is_non_performing(days)


@given(st.integers(min_value=0, max_value=100_000))
def test_every_day_count_is_in_exactly_one_bucket(days):
    matching = [code for code, low, high in BUCKETS if low <= days and (high is None or days <= high)]
    assert matching == [delinquency_bucket(days)]


RATES = {"current": D("1"), "1-30": D("5"), "31-60": D("25"), "61-90": D("50"), "91-180": D("75"),
         "over-180": D("100")}


def test_provision_is_principal_times_the_bucket_rate_to_cents_half_even():
    assert provision_for("31-60", D("1234.57"), RATES) == D("308.64")  # 308.6425
    assert provision_for("over-180", D("250.00"), RATES) == D("250.00")
    assert provision_for("current", D("100.50"), RATES) == D("1.00")  # 1.005 -> 1.00 (half even)
    assert provision_for("current", D("101.50"), RATES) == D("1.02")  # 1.015 -> 1.02 (half even)
    assert provision_for("1-30", D("0.00"), RATES) == D("0.00")
    assert provision_for("61-90", D("500.00"), {}) == D("0.00")  # no rate configured: 0 %


def test_provision_refuses_bad_input():
    with pytest.raises(ValueError, match="unknown delinquency bucket"):
        provision_for("30-60", D("1.00"), RATES)
    with pytest.raises(ValueError, match="unknown delinquency bucket"):
        provision_for("current", D("1.00"), {"late": D("5")})
    with pytest.raises(ValueError, match="from 0 to 100"):
        provision_for("current", D("1.00"), {"current": D("101")})
    with pytest.raises(ValueError, match="from 0 to 100"):
        provision_for("current", D("1.00"), {"current": 5.0})
    with pytest.raises(ValueError):
        provision_for("current", D("-1.00"), RATES)


def test_portfolio_at_risk_against_a_hand_built_portfolio():
    loans = [
        LoanPosition(1, "ama", "SUSU", D("1000.00"), 0),
        LoanPosition(2, "ama", "SUSU", D("500.00"), 1),
        LoanPosition(3, "kofi", "SALARY", D("2000.00"), 15),
        LoanPosition(4, "kofi", "SALARY", D("1500.00"), 45),
        LoanPosition(5, "ama", "SALARY", D("750.00"), 95),
        LoanPosition(6, None, "EMERGENCY", D("250.00"), 200),
        LoanPosition(7, "kofi", "SUSU", D("500.00"), 70),
    ]
    report = portfolio_at_risk(loans, date(2026, 6, 30))
    # Gross: 1000 + 500 + 2000 + 1500 + 750 + 250 + 500 = 6500.00
    # PAR1  (> 1 day;  loan 2 at exactly 1 day is out): 2000 + 1500 + 750 + 250 + 500 = 5000 / 6500 = 0.76923 -> 0.7692
    # PAR30 (> 30): 1500 + 750 + 250 + 500 = 3000 / 6500 = 0.461538 -> 0.4615
    # PAR60 (> 60): 750 + 250 + 500 = 1500 / 6500 = 0.230769 -> 0.2308
    # PAR90 (> 90): 750 + 250 = 1000 / 6500 = 0.153846 -> 0.1538
    assert report["date"] == date(2026, 6, 30)
    assert report["gross_portfolio"] == D("6500.00")
    assert report["par"] == {"1": "0.7692", "30": "0.4615", "60": "0.2308", "90": "0.1538"}
    assert report["buckets"] == [
        {"name": "current", "loans": 1, "outstanding_principal": D("1000.00")},
        {"name": "1-30", "loans": 2, "outstanding_principal": D("2500.00")},
        {"name": "31-60", "loans": 1, "outstanding_principal": D("1500.00")},
        {"name": "61-90", "loans": 1, "outstanding_principal": D("500.00")},
        {"name": "91-180", "loans": 1, "outstanding_principal": D("750.00")},
        {"name": "over-180", "loans": 1, "outstanding_principal": D("250.00")},
    ]
    # ama: 1000 + 500 + 750 = 2250; only loan 5 (750) is late beyond 1, 30, 60 and 90 days: 0.3333.
    # kofi: 2000 + 1500 + 500 = 4000; PAR1 4000/4000, PAR30 2000/4000, PAR60 500/4000, PAR90 0.
    # no officer: loan 6 alone, 200 days late: 1.0000 everywhere.
    assert report["by_officer"] == [
        {"officer": "ama", "loans": 3, "outstanding_principal": D("2250.00"),
         "par": {"1": "0.3333", "30": "0.3333", "60": "0.3333", "90": "0.3333"}},
        {"officer": "kofi", "loans": 3, "outstanding_principal": D("4000.00"),
         "par": {"1": "1.0000", "30": "0.5000", "60": "0.1250", "90": "0.0000"}},
        {"officer": None, "loans": 1, "outstanding_principal": D("250.00"),
         "par": {"1": "1.0000", "30": "1.0000", "60": "1.0000", "90": "1.0000"}},
    ]
    # SALARY: 2000 + 1500 + 750 = 4250; PAR30 2250/4250 = 0.529411 -> 0.5294; PAR60 = PAR90 =
    # 750/4250 = 0.176470 -> 0.1765. SUSU: 1000 + 500 + 500 = 2000; PAR1 = PAR30 = PAR60 =
    # 500/2000 = 0.2500, PAR90 0.
    assert report["by_product"] == [
        {"product": "EMERGENCY", "loans": 1, "outstanding_principal": D("250.00"),
         "par": {"1": "1.0000", "30": "1.0000", "60": "1.0000", "90": "1.0000"}},
        {"product": "SALARY", "loans": 3, "outstanding_principal": D("4250.00"),
         "par": {"1": "1.0000", "30": "0.5294", "60": "0.1765", "90": "0.1765"}},
        {"product": "SUSU", "loans": 3, "outstanding_principal": D("2000.00"),
         "par": {"1": "0.2500", "30": "0.2500", "60": "0.2500", "90": "0.0000"}},
    ]


def test_par_ratio_rounds_half_even_to_four_places():
    # 12.49 of 200.00 late: 0.06245 exactly -> 0.0624 (half even); 12.51 -> 0.06255 -> 0.0626.
    report = portfolio_at_risk([LoanPosition(1, "a", "P", D("12.49"), 40),
                                LoanPosition(2, "a", "P", D("187.51"), 0)], date(2026, 1, 1))
    assert report["par"]["30"] == "0.0624"
    report = portfolio_at_risk([LoanPosition(1, "a", "P", D("12.51"), 40),
                                LoanPosition(2, "a", "P", D("187.49"), 0)], date(2026, 1, 1))
    assert report["par"]["30"] == "0.0626"


def test_empty_and_fully_repaid_portfolios():
    for loans in ([], [LoanPosition(1, "a", "P", D("0.00"), 0)]):
        report = portfolio_at_risk(loans, date(2026, 1, 1))
        assert report["gross_portfolio"] == D("0.00")
        assert report["par"] == {"1": "0.0000", "30": "0.0000", "60": "0.0000", "90": "0.0000"}
        assert [b["name"] for b in report["buckets"]] == [code for code, _, _ in BUCKETS]
    assert portfolio_at_risk([], date(2026, 1, 1))["by_officer"] == []


def test_portfolio_refuses_bad_positions():
    with pytest.raises(ValueError):
        portfolio_at_risk([LoanPosition(1, "a", "P", D("-1.00"), 0)], date(2026, 1, 1))
    with pytest.raises(ValueError):
        portfolio_at_risk([LoanPosition(1, "a", "P", D("1.00"), -3)], date(2026, 1, 1))


@given(st.lists(st.tuples(st.integers(0, 10_000_000), st.integers(0, 400)), max_size=30))
def test_par_properties(raw):
    loans = [LoanPosition(n, "o", "p", Decimal(c).scaleb(-2), d) for n, (c, d) in enumerate(raw)]
    report = portfolio_at_risk(loans, date(2026, 1, 1))
    ratios = [D(report["par"][n]) for n in ("1", "30", "60", "90")]
    assert all(D(0) <= r <= D(1) for r in ratios)
    assert ratios == sorted(ratios, reverse=True)  # PAR1 >= PAR30 >= PAR60 >= PAR90
    assert all(len(report["par"][n].split(".")[1]) == 4 for n in report["par"])
    assert sum(b["outstanding_principal"] for b in report["buckets"]) == report["gross_portfolio"]
    assert sum(b["loans"] for b in report["buckets"]) == len(loans)
