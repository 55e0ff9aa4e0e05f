"""Loans: schedules generated per second, and loans end of day for 20,000 active loans on PostgreSQL.

Run from the repository root:

    python bench/loans.py [seconds-per-shape]
    python bench/loans.py --eod [--loans 20000]

Without ``--eod`` a plain script (no database, no Django): it times
``apps.loans.schedule.generate_schedule``.

``--eod`` uses DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/coastal_bench_loans
(dropped and recreated), migrates it, makes the loans set-based (bulk_create of members, accounts,
loans on two products and their instalments, disbursed on twelve dates over the past year; most
instalments due so far paid, about one loan in six behind by 1 to 8 instalments, so every bucket
has loans), then times each loans end-of-day step (apps/loans/eod.py: ageing, accrual, penalties,
provisions; each in its own database transaction, as the end-of-day runner runs it) three times: the
first day (accrual catches up on everything earned since disbursal, every penalty period so far is
charged, the first provisions are posted), a re-run of the same date (must change nothing) and the
next day. Standing instructions are left out: they move money loan by loan under the engine's
locks, by design. It prints figures; it is not a test.
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/coastal_bench_loans"

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


def schedules(seconds: float) -> None:
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


# --- loans end of day --------------------------------------------------------------------------------

BUSINESS_DATE = date(2026, 10, 15)
EOD_STEPS = ("loan_arrears_ageing", "loan_interest_accrual", "loan_penalties", "loan_provisions")


def fresh_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)


def _plus_months(day: date, months: int) -> date:
    import calendar

    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def make_loans(count: int):
    """`count` active loans, set-based: bulk inserts only, no service, no journal entry."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    from apps.core.models import BusinessDay
    from apps.ledger.models import Account, GLAccount, Product
    from apps.loans import chart
    from apps.loans.applications import _terms_snapshot
    from apps.loans.models import Loan, LoanInstalment, LoanProduct
    from apps.loans.schedule import generate_schedule
    from apps.loans.servicing import loan_schedule_terms
    from apps.members.models import Member

    started = time.perf_counter()
    ops = get_user_model().objects.create_user("ops-bench@coastal.test", "x", role="operations_manager")
    gls = {field: GLAccount.objects.get(code=code) for field, code in chart.PRODUCT_DEFAULTS.items()}
    common = dict(interest_method="declining_balance", amortization="equal_instalments",
                  interest_rate_period="month", interest_calculation="period", days_in_year="actual",
                  repayment_every=1, repayment_frequency="month", min_term=3, max_term=24,
                  min_amount=Decimal("100"), max_amount=Decimal("100000"), penalty_grace_days=3, **gls)
    products = [LoanProduct.objects.create(code="SALARY", name="Salary loan", interest_rate=Decimal("2"),
                                           penalty_rate=Decimal("1.5"), **common),
                LoanProduct.objects.create(code="SME", name="Small business loan", interest_rate=Decimal("3"),
                                           penalty_rate=Decimal("2"), **common)]
    savings = Product.objects.get(kind="monthly_contribution")
    disbursals = [_plus_months(date(2025, 10, 15), k) for k in range(12)]  # 15 Oct 2025 .. 15 Sep 2026
    schedules_by = {}  # (product, disbursal date) -> instalment rows of one loan of 8,000 over 12 months
    with transaction.atomic():
        BusinessDay.objects.create(date=BUSINESS_DATE, status=BusinessDay.Status.OPEN)
        members = Member.objects.bulk_create([
            Member(member_number=f"L{i:07d}", first_name="Bench", last_name=f"Borrower {i}", phone="0240000000",
                   kyc_status="verified") for i in range(count)], batch_size=5000)
        accounts = Account.objects.bulk_create([
            Account(account_number=f"8{i:09d}", member=members[i], product=savings, opened_on=disbursals[0])
            for i in range(count)], batch_size=5000)
        loans = []
        for i in range(count):
            product, disbursed = products[i % 2], disbursals[i % 12]
            loan = Loan(number=f"LN{i:08d}", member=members[i], product=product, account=accounts[i],
                        status=Loan.Status.ACTIVE, amount=Decimal("8000.00"), approved_amount=Decimal("8000.00"),
                        term=12, purpose="Bench", interest_rate=product.interest_rate, interest_rate_period="month",
                        terms=_terms_snapshot(product), created_by=ops, disbursed_on=disbursed,
                        standing_instruction=False)
            loans.append(loan)
            if (product.pk, disbursed) not in schedules_by:
                schedule = generate_schedule(loan_schedule_terms(loan), principal=Decimal("8000.00"),
                                             disbursement_date=disbursed)
                dates = [disbursed] + [i.due_date for i in schedule.instalments]
                schedules_by[(product.pk, disbursed)] = [(i.number, dates[n], i.due_date, i.principal, i.interest)
                                                         for n, i in enumerate(schedule.instalments)]
        Loan.objects.bulk_create(loans, batch_size=5000)
        instalments, behind_loans = [], 0
        for n, loan in enumerate(loans):
            # one loan in six is behind by 1 to 8 instalments (every bucket), the rest paid what was due,
            # up to the instalment due on the business date itself (all loans fall due on the 15th)
            behind = (n // 6) % 8 + 1 if n % 6 == 5 else 0
            behind_loans += bool(behind)
            rows = schedules_by[(loan.product_id, loan.disbursed_on)]
            due_so_far = [r for r in rows if r[2] <= BUSINESS_DATE]
            unpaid_from = len(due_so_far) - behind
            for number, from_date, due_date, principal, interest in rows:
                paid = number <= unpaid_from and due_date <= BUSINESS_DATE
                instalments.append(LoanInstalment(
                    loan=loan, number=number, from_date=from_date, due_date=due_date, principal=principal,
                    interest=interest, principal_paid=principal if paid else 0, interest_paid=interest if paid else 0,
                    paid_on=due_date if paid else None))
        LoanInstalment.objects.bulk_create(instalments, batch_size=10000)
        # interest paid so far counts as recognised (paid when due, before any accrual)
        paid = (LoanInstalment.objects.filter(loan=OuterRef("pk")).values("loan").annotate(s=Sum("interest_paid"))
                .values("s"))
        Loan.objects.update(interest_recognised=Coalesce(Subquery(paid), Decimal("0.00")))
    print(f"setup: {count:,} active loans, {len(instalments):,} instalments, {behind_loans:,} behind, "
          f"{len(products)} products, in {time.perf_counter() - started:.1f} s")
    return ops


def time_steps(day: date, actor, title: str) -> float:
    from django.db import transaction

    from apps.core import eod

    print(f"{title} ({day:%d %b %Y}):")
    total = 0.0
    for name in EOD_STEPS:
        step = eod.STEPS[name]
        started = time.perf_counter()
        with transaction.atomic():
            result = step.func(business_date=day, actor=actor)
        elapsed = time.perf_counter() - started
        total += elapsed
        print(f"  {name:<24} {elapsed:7.2f} s  {result}")
    print(f"  {'total':<24} {total:7.2f} s  (target < 30 s)")
    return total


def end_of_day(count: int) -> None:
    url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    if "DATABASE_URL" not in os.environ:
        fresh_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coastal_site.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        print(f"note: running on {connection.vendor}, not PostgreSQL")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")
    actor = make_loans(count)
    from apps.core.models import BusinessDay
    from apps.ledger.management.commands.verify_ledger import find_differences
    from apps.ledger.models import JournalEntry

    time_steps(BUSINESS_DATE, actor, "first day")
    entries = JournalEntry.objects.count()
    time_steps(BUSINESS_DATE, actor, "re-run of the same date")
    print(f"  journal entries posted by the re-run: {JournalEntry.objects.count() - entries}")
    BusinessDay.objects.filter(date=BUSINESS_DATE).update(status=BusinessDay.Status.CLOSED)
    BusinessDay.objects.create(date=BUSINESS_DATE + timedelta(days=1), status=BusinessDay.Status.OPEN)
    time_steps(BUSINESS_DATE + timedelta(days=1), actor, "next day")
    problems = find_differences()
    print(f"verify_ledger: {'ok' if not problems else problems[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("seconds", nargs="?", type=float, default=1.0, help="seconds per schedule shape")
    parser.add_argument("--eod", action="store_true", help="time loans end of day on PostgreSQL")
    parser.add_argument("--loans", type=int, default=20_000, help="active loans for --eod")
    args = parser.parse_args()
    if args.eod:
        end_of_day(args.loans)
    else:
        schedules(args.seconds)


if __name__ == "__main__":
    main()
