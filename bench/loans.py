"""Loan schedules generated per second, for a few product shapes.

Run from the repository root:

    python bench/loans.py [seconds-per-shape]

A plain script (no database, no Django): it times ``apps.loans.schedule.generate_schedule``.
"""

import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apps.loans.schedule import ScheduleTerms, generate_schedule  # noqa: E402

SHAPES = {
    "12-month declining, equal instalments": ScheduleTerms(
        interest_method="declining_balance", amortization="equal_instalments", interest_rate=Decimal("2.00"),
        interest_rate_period="month", interest_calculation="period", days_in_year="actual",
        repayment_every=1, repayment_frequency="month", term=12, instalment_multiple=Decimal("1")),
    "52-week flat, instalment multiple 5": ScheduleTerms(
        interest_method="flat", amortization="equal_instalments", interest_rate=Decimal("24"),
        interest_rate_period="year", interest_calculation="period", days_in_year="actual",
        repayment_every=1, repayment_frequency="week", term=52, instalment_multiple=Decimal("5")),
    "36-month declining, daily interest (365)": ScheduleTerms(
        interest_method="declining_balance", amortization="equal_instalments", interest_rate=Decimal("18"),
        interest_rate_period="year", interest_calculation="daily", days_in_year="365",
        repayment_every=1, repayment_frequency="month", term=36),
    "24-month equal principal, 2 months' grace, weekends": ScheduleTerms(
        interest_method="declining_balance", amortization="equal_principal", interest_rate=Decimal("1.5"),
        interest_rate_period="month", interest_calculation="period", days_in_year="actual",
        repayment_every=1, repayment_frequency="month", term=24, grace_on_principal=2),
}


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    print(f"{'product shape':<55} {'schedules/s':>12} {'instalments/s':>14}")
    for name, terms in SHAPES.items():
        weekend = frozenset({5, 6}) if "weekends" in name else frozenset()
        count = instalments = 0
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            schedule = generate_schedule(terms, principal=Decimal("150000.00"), disbursement_date=date(2026, 1, 31),
                                         non_working_weekdays=weekend)
            count += 1
            instalments += len(schedule.instalments)
        print(f"{name:<55} {count / elapsed:>12,.0f} {instalments / elapsed:>14,.0f}")


if __name__ == "__main__":
    main()
