"""A 12-month statement PDF of about 500 lines: time and memory. Prints figures; it is not a test.

    .venv/bin/python bench/statement.py [--movements 440] [--repeat 3]

Uses DATABASE_URL if set (it adds a bench member, accounts and a year of business days to that
database: point it at a scratch database), else a fresh SQLite file under /tmp, removed at the end.

1. Migrates, then builds one member's Daily Susu account with a year of history through the
   services, on business dates spread over the last 12 months (Monday to Saturday): cash deposits,
   withdrawals with a 1.00 service charge (two statement lines each), transfers out to the
   member's monthly account and transfers in from another member. About 500 statement lines.
2. In a fresh Python process (so memory is the statement's, not the set-up's), renders the
   12-month statement the way the API does (statement_build + statement_pdf):
   - the first statement in the process (cold: WeasyPrint's import and font loading included);
   - then --repeat warm runs (best and median), wall clock and CPU time;
   - peak memory: resource.getrusage maxrss growth over the whole run, and tracemalloc's peak of
     Python allocations during one more (untimed) statement.
Targets (issue 5): under 3 s, under 300 MB.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TIME_TARGET = 3.0  # seconds
MEMORY_TARGET = 300  # MB


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coastal_site.settings.test")
    import django

    django.setup()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # no per-step progress lines


# --- 1. set-up ----------------------------------------------------------------------------------

def business_dates(end, days: int = 365) -> list:
    start = end - timedelta(days=days - 1)
    return [start + timedelta(days=i) for i in range(days) if (start + timedelta(days=i)).weekday() != 6]


def open_day(day) -> None:
    from apps.core.models import BusinessDay

    BusinessDay.objects.filter(status=BusinessDay.Status.OPEN).update(status=BusinessDay.Status.CLOSED)
    BusinessDay.objects.create(date=day)


def build_history(movements: int, seed: int = 20260101) -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from apps.cash import services as cash
    from apps.ledger import services
    from apps.ledger.models import Product, ServiceCharge
    from apps.members.services import member_kyc_verify, member_register

    rng = random.Random(seed)
    today = timezone.localdate()
    dates = business_dates(today)
    open_day(dates[0])
    User = get_user_model()
    tag = f"{os.getpid()}-{int(time.time())}"
    cashier = User.objects.create_user(f"bench-cashier-{tag}@coastal.test", "x", role="cashier")
    manager = User.objects.create_user(f"bench-manager-{tag}@coastal.test", "x", role="manager")
    ops = User.objects.create_user(f"bench-ops-{tag}@coastal.test", "x", role="operations_manager")
    cash.vault_receive(actor=manager, amount=Decimal("2000000.00"), note="Bench funding")
    cash.float_issue(actor=manager, cashier=cashier, amount=Decimal("1000000.00"))
    cash.drawer_open(actor=cashier, denominations={"200.00": 5000})

    def member(first, last, card):
        found = member_register(actor=cashier, first_name=first, last_name=last, phone="0244123456",
                                national_id=card, address="House 12, Castle Road\nCape Coast")
        return member_kyc_verify(actor=ops, member=found)

    suffix = int(time.time()) % 10_000_000
    owner = member("Adwoa", "Mensah", f"GHA-{suffix:09d}-1")
    other = member("Kojo", "Asante", f"GHA-{suffix + 1:09d}-2")
    products = {p.kind: p for p in Product.objects.filter(is_active=True)}
    susu = services.account_open(actor=cashier, member=owner, product=products["daily_susu"])
    monthly = services.account_open(actor=cashier, member=owner, product=products["monthly_contribution"])
    source = services.account_open(actor=cashier, member=other, product=products["daily_susu"])
    services.deposit_create(actor=cashier, account=source, amount="100000.00")
    ServiceCharge.objects.create(name=f"Bench withdrawal fee {tag}", transaction_type="withdrawal",
                                 product=products["daily_susu"], amount=Decimal("1.00"))

    # Spread the movements over the year's business dates, a few per day.
    days = sorted(rng.choices(range(len(dates)), k=movements))
    started, current, done = time.perf_counter(), 0, 0
    for index in days:
        if index != current:
            open_day(dates[index])
            current = index
        kind = rng.choices(["deposit", "withdrawal", "out", "in"], weights=[50, 15, 15, 20])[0]
        amount = Decimal(rng.randrange(500, 30000)) / 100
        susu.refresh_from_db(fields=["balance"])
        if kind in ("withdrawal", "out") and susu.balance < amount + 50:
            kind = "deposit"
        if kind == "deposit":
            services.deposit_create(actor=cashier, account=susu, amount=amount, description="Susu contribution")
        elif kind == "withdrawal":
            services.withdrawal_create(actor=cashier, account=susu, amount=amount)
        elif kind == "out":
            services.transfer_create(actor=cashier, from_account=susu, to_account_number=monthly.account_number,
                                     amount=amount, description="Monthly saving")
        else:
            services.transfer_create(actor=cashier, from_account=source, to_account_number=susu.account_number,
                                     amount=amount, description="Family support")
        done += 1
    if current != len(dates) - 1:
        open_day(dates[-1])
    return {"account_id": susu.pk, "start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat(),
            "movements": done, "setup_seconds": time.perf_counter() - started}


# --- 2. measuring (in a fresh process) ---------------------------------------------------------------

def maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def measure(account_id: int, start: str, end: str, repeat: int) -> dict:
    from datetime import date

    django_setup()
    import gc
    import io
    import tracemalloc

    from pypdf import PdfReader

    from apps.ledger.models import Account
    from apps.reports.statements import statement_build, statement_pdf

    account = Account.objects.get(pk=account_id)
    period = {"start": date.fromisoformat(start), "end": date.fromisoformat(end)}
    Account.objects.count()  # the connection is open before the baseline
    baseline = maxrss_mb()

    def one():
        wall, cpu = time.perf_counter(), time.process_time()
        statement = statement_build(account=account, **period)
        built = time.perf_counter() - wall
        pdf = statement_pdf(statement)
        timing = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "build": built}
        return {**timing, "lines": len(statement.lines), "bytes": len(pdf),
                "pages": len(PdfReader(io.BytesIO(pdf)).pages)}

    cold = one()
    warm = [one() for _ in range(repeat)]
    gc.collect()
    tracemalloc.start()
    statement_pdf(statement_build(account=account, **period))
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"baseline_mb": baseline, "peak_mb": maxrss_mb(), "traced_peak_mb": traced_peak / 2**20,
            "cold": cold, "warm": warm}


# --- main ---------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movements", type=int, default=440,
                        help="service calls (withdrawals add a service-charge line: ~500 lines)")
    parser.add_argument("--repeat", type=int, default=3, help="warm statements to time")
    parser.add_argument("--measure", nargs=3, metavar=("ACCOUNT_ID", "START", "END"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(int(args.measure[0]), args.measure[1], args.measure[2], args.repeat)))
        return

    scratch = None
    if "DATABASE_URL" not in os.environ:
        scratch = Path(f"/tmp/coastal-bench-statement-{os.getpid()}.sqlite3")
        for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
            leftover.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    try:
        run(args)
    finally:
        if scratch is not None:
            for path in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
                path.unlink(missing_ok=True)


def run(args) -> None:
    django_setup()
    from django.conf import settings
    from django.core.management import call_command

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[1]
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"database: {engine} ({settings.DATABASES['default']['NAME']}); migrated in "
          f"{time.perf_counter() - started:.1f} s")
    history = build_history(args.movements)
    print(f"history: {history['movements']} movements through the services over 12 months in "
          f"{history['setup_seconds']:.1f} s")

    from django.db import connections

    connections.close_all()
    child = subprocess.run([sys.executable, __file__, "--repeat", str(args.repeat), "--measure",
                            str(history["account_id"]), history["start"], history["end"]],
                           capture_output=True, text=True, env=os.environ.copy(), check=False)
    if child.returncode:
        sys.stderr.write(child.stderr)
        raise SystemExit("the measuring process failed")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    cold, warm = figures["cold"], figures["warm"]
    walls = sorted(run["wall"] for run in warm)
    cpus = sorted(run["cpu"] for run in warm)
    median = walls[len(walls) // 2]
    rss_growth = figures["peak_mb"] - figures["baseline_mb"]
    ok = "OK" if median < TIME_TARGET else "OVER"
    print(f"statement {history['start']} to {history['end']}: {cold['lines']} lines, {cold['pages']} pages, "
          f"{cold['bytes'] / 1024:.0f} KB PDF")
    print(f"  first in a fresh process (cold): {cold['wall']:.2f} s wall, {cold['cpu']:.2f} s CPU "
          f"(statement_build {cold['build']:.2f} s)")
    print(f"  warm, {len(warm)} runs: median {median:.2f} s wall (best {walls[0]:.2f} s), "
          f"CPU best {cpus[0]:.2f} s, statement_build {min(r['build'] for r in warm):.2f} s"
          f"   target < {TIME_TARGET:.0f} s: {ok}")
    print(f"  memory: process peak RSS {figures['peak_mb']:.0f} MB (Django loaded: {figures['baseline_mb']:.0f} MB;"
          f" growth for statements {rss_growth:.0f} MB), tracemalloc peak {figures['traced_peak_mb']:.0f} MB"
          f"   target < {MEMORY_TARGET} MB: {'OK' if figures['peak_mb'] < MEMORY_TARGET else 'OVER'}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  machine: {os.cpu_count()} CPUs, load average {load:.1f} (wall time above CPU time is waiting for "
          f"a CPU)")


if __name__ == "__main__":
    main()
