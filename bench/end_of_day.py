"""End of day for 10,000 accounts on PostgreSQL (the heaviest day: a month end).

Run:  .venv/bin/python bench/end_of_day.py [--accounts 10000]
Uses DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/coastal_bench_eod (dropped and
recreated). Prints the time of each end-of-day step and the total against the 60 s target.
It prints figures; it is not a test.
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/coastal_bench_eod"


def fresh_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    if "DATABASE_URL" not in os.environ:
        fresh_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coastal_site.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    setup_and_run(args.accounts)


def setup_and_run(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from apps.core import eod
    from apps.core.models import BusinessDay, EndOfDayRun
    from apps.ledger import chart
    from apps.ledger.models import Account, GLAccount, Product, ScheduledFee
    from apps.ledger.posting import Entry, Line, entry_post
    from apps.members.models import Member

    month_end = date(2026, 10, 31)
    User = get_user_model()
    ops = User.objects.create_user("ops-bench@coastal.test", "x", role="operations_manager")
    started = time.perf_counter()
    products = {p.kind: p for p in Product.objects.all()}
    kinds = ["daily_susu"] * 4 + ["monthly_contribution"] * 4 + ["shares"] * 2
    with transaction.atomic():
        members = Member.objects.bulk_create([
            Member(member_number=f"B{i:07d}", first_name="Bench", last_name=f"Member {i}", phone="0240000000")
            for i in range(count)])
        opened_at = timezone.make_aware(datetime(2026, 10, 1, 9))
        # cycles started 1 Oct: the 31-day cycle ends 31 Oct
        accounts = Account.objects.bulk_create([
            Account(account_number=f"9{i:09d}", member=members[i], product=products[kinds[i % 10]],
                    opened_on=opened_at.date(),
                    contribution_amount=Decimal("10.00") if kinds[i % 10] == "daily_susu" else None)
            for i in range(count)])
        BusinessDay.objects.create(date=month_end, status=BusinessDay.Status.OPEN)
        vault = GLAccount.objects.get(code=chart.CASH_VAULT)
        lines = [Line(gl=vault, debit=Decimal("250.00") * count)]
        lines += [Line(gl=a.product.control_account, account=a, credit=Decimal("250.00")) for a in accounts]
        entry_post(entries=[Entry(lines=lines, description="Opening balances")], actor=ops, business_date=month_end)
        ScheduledFee.objects.create(name="Monthly maintenance", amount=Decimal("1.00"),
                                    product=products["monthly_contribution"])
    print(f"setup: {count} accounts with balances in {time.perf_counter() - started:.1f} s")

    run = EndOfDayRun.objects.create(business_date=month_end, started_by=ops)
    BusinessDay.objects.filter(date=month_end).update(status=BusinessDay.Status.CLOSING)
    timings = {}
    original = dict(eod.STEPS)
    for name, step in original.items():
        def timed(step=step, **kwargs):
            t0 = time.perf_counter()
            try:
                return step.func(**kwargs)
            finally:
                timings[step.name] = time.perf_counter() - t0
        eod.STEPS[name] = eod.Step(step.name, step.position, timed, step.label)
    t0 = time.perf_counter()
    eod.run_chain(run.pk)
    total = time.perf_counter() - t0
    run.refresh_from_db()
    for step in eod.ordered_steps():
        print(f"  {step.name:<18} {timings.get(step.name, 0):7.2f} s  {run.summary.get(step.name, '')}")
    print(f"end of day for {count} accounts: {total:.1f} s (target < 60 s) — status {run.status}")


if __name__ == "__main__":
    main()
