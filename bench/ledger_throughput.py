"""Ledger throughput on PostgreSQL: transfers per second through the service layer and the HTTP
API, next to pgbench's TPC-B-like figure on the same server. Prints figures; it is not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coastal_bench .venv/bin/python bench/ledger_throughput.py

The API servers lend requests PostgreSQL connections from a pool of DB_POOL_MAX_SIZE (default 10,
as deploy/entrypoint.sh runs web processes); DB_POOL_MAX_SIZE=0 opens a connection per request.
`--per-movement N` measures one transfer and one deposit at a time instead.

What it does, in order:

1. Drops and recreates the bench database (default coastal_bench), migrates it, and sets up
   members with accounts through the services: a vault, a cashier's drawer and one cash deposit
   per account give every account its balance, so the books are real books.
2. Service layer: `transfer_create` from 1 and then 8 worker processes (each its own database
   connection), each worker signed in as its own customers, transferring small random amounts
   from their accounts to random accounts (random directions, so the pk lock order matters).
3. HTTP API: a few daphne processes sharing one listening socket on 127.0.0.1 (production
   settings), driven by 1 and then 8 client threads over keep-alive connections, each request a
   POST /api/transactions/transfer/ with a Bearer token and a fresh Idempotency-Key.
4. pgbench: `pgbench -i -s 8` into its own database on the same server, then `-c 1` and
   `-c 8 -j 2` for the same number of seconds.
5. verify_ledger's find_differences() on the bench database.

Each measured phase runs on a business date of its own (the bench closes the open date and opens
the next, as a day would): every outgoing movement sums its user's transactions of the business
date for the daily limit, and a customer makes a few transfers a day, not the hundreds a bench
run would pile onto one date (which would make each later phase pay for the earlier ones).

Where the time goes, per phase: the CPU of the clients (service workers, or daphne for the API),
of PostgreSQL's processes (every database on this server: keep other work off it), the machine's
CPU use, and what the bench database's backends were doing, sampled from pg_stat_activity every
20 ms — running, waiting for a lock, for I/O (the WAL flush at COMMIT) or for the application (idle
in a transaction or between them). The summary turns the CPU per transfer into the rate two fully
busy CPUs could sustain.

Every loop is bounded by a count and a deadline, and everything talks to 127.0.0.1 only.
"""

import argparse
import base64
import hashlib
import http.client
import json
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/coastal_bench"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

SERVICE_TARGET = 0.5  # service layer at 8 workers >= half of pgbench's tps
HTTP_TARGET = 0.2  # HTTP API >= a fifth of pgbench's tps


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=400, help="member accounts to set up (two per member)")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each measured phase")
    parser.add_argument("--max-ops", type=int, default=20000, help="most operations per worker or client")
    # A daphne process runs one Django request at a time (sync views share one thread), and a request
    # spends part of its time waiting for PostgreSQL: two per CPU keep the CPUs busy, like a pre-fork
    # server's usual 2 × cores.
    parser.add_argument("--servers", type=int, default=max(2, min(8, 2 * (os.cpu_count() or 1))),
                        help="daphne processes sharing the listening socket")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--skip-service", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-pgbench", action="store_true")
    parser.add_argument("--pgbench-scale", type=int, default=8)
    parser.add_argument("--per-movement", type=int, metavar="N", default=0,
                        help="only measure one movement at a time: N transfers and N deposits in this process, "
                             "with the statements each sends and its Python, PostgreSQL and wall time; then stop")
    return parser.parse_args()


# --- environment ----------------------------------------------------------------------------------

def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or (parts.hostname or "") not in LOCAL_HOSTS:
        sys.exit(f"DATABASE_URL must point at PostgreSQL on 127.0.0.1 (got {url!r}).")
    return url


def with_database(url: str, name: str) -> str:
    """The URL of another database on the same server, for the bench's own connections: without the
    query string, which may carry Django's OPTIONS (e.g. ?pool=true) that libpq does not know."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def production_env(url: str) -> dict:
    """Production settings, as deploy/ runs them, on plain HTTP at 127.0.0.1."""
    # Fixed keys: the bench database holds made-up people, and a fixed key lets you inspect it afterwards.
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "coastal_site.settings.production",
        "DATABASE_URL": url,
        "SECRET_KEY": "coastal-bench-" + hashlib.sha256(b"coastal-bench-secret").hexdigest(),
        "FIELD_ENCRYPTION_KEY": base64.urlsafe_b64encode(hashlib.sha256(b"coastal-bench-field").digest()).decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",  # no TLS in front of daphne here
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        "DB_CONN_MAX_AGE": os.environ.get("DB_CONN_MAX_AGE", "0"),  # deploy/k8s/configmap.yaml keeps 0 under ASGI
        "DB_POOL_MAX_SIZE": os.environ.get("DB_POOL_MAX_SIZE", "10"),  # as deploy/entrypoint.sh starts web
        "LOG_LEVEL": "WARNING",
    })
    return env


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"Refusing to drop a database named {name!r}.")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- set-up ------------------------------------------------------------------------------------------

def setup_books(n_accounts: int, n_customers_min: int) -> dict:
    """Members, accounts with balances (posted through the services), and customers to act as."""
    from django.core.management import call_command
    from django.test import RequestFactory

    from apps.cash import services as cash
    from apps.ledger import services as ledger
    from apps.ledger.models import Product
    from apps.members import services as members
    from apps.users.models import User
    from apps.users.tokens import issue_pair

    call_command("migrate", verbosity=0)
    staff = {role: User.objects.create_user(f"bench-{role}@coastal.test", None, role=role,
                                            daily_transaction_limit=Decimal("100000000.00"))
             for role in ("cashier", "manager", "operations_manager")}
    cashier, manager, operations = staff["cashier"], staff["manager"], staff["operations_manager"]
    products = [Product.objects.get(kind="daily_susu"), Product.objects.get(kind="monthly_contribution")]
    n_members = max(n_customers_min, (n_accounts + 1) // 2)
    opening = Decimal("5000.00")
    cash.vault_receive(actor=manager, amount="10000.00", note="Bench opening cash")
    cash.float_issue(actor=manager, cashier=cashier, amount="1000.00")
    cash.drawer_open(actor=cashier, denominations={"200.00": 5})  # GH₵ 1,000.00
    request = RequestFactory().post("/api/users/auth/login/", HTTP_USER_AGENT="coastal-bench")
    customers = []
    for i in range(n_members):
        user = User.objects.create_user(f"bench-customer-{i:04d}@coastal.test", None, role="customer",
                                        first_name="Bench", last_name=f"Customer {i}")
        member = members.member_register(actor=cashier, first_name="Bench", last_name=f"Member {i}",
                                         phone=f"024{i:07d}", national_id=f"GHA-{700000000 + i}-{i % 10}")
        members.member_kyc_verify(actor=operations, member=member)
        members.member_link_user(actor=operations, member=member, user=user)
        accounts = []
        for product in products:
            account = ledger.account_open(actor=cashier, member=member, product=product)
            ledger.deposit_create(actor=cashier, account=account, amount=opening, description="Bench opening")
            accounts.append((account.pk, account.account_number))
        customers.append({"user_id": user.pk, "accounts": accounts,
                          "access": issue_pair(user=user, request=request).access})
    return {"customers": customers, "numbers": [n for c in customers for _, n in c["accounts"]]}


# --- where the time goes ---------------------------------------------------------------------------------

def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class Probe:
    """Measures one phase. A thread with its own connection samples pg_stat_activity every 20 ms:
    what the measured database's backends are doing, and the CPU (from /proc) of every PostgreSQL
    process it lists, plus the postmaster. A backend's CPU counts up to its last sample (a backend
    that lives for one request, DB_CONN_MAX_AGE=0, is mostly missed: see `rest_ms`, the machine's
    CPU not used by the clients). Also the machine's CPU use, and the CPU of child processes."""

    STATES = ("running", "lock wait", "LWLock wait", "I/O wait (WAL)", "other wait",
              "idle in transaction (waiting for the app)", "idle (between transactions)")

    def __init__(self, url: str):
        self.url, self.dbname = url, urlsplit(url).path.lstrip("/")
        self.samples: Counter = Counter()
        self.stop_event = threading.Event()
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def _activity(self, conn):
        return conn.execute("SELECT pid, datname, state, wait_event_type, backend_type FROM pg_stat_activity "
                            "WHERE pid <> pg_backend_pid()").fetchall()

    def _cpu(self, pids, *, baseline: bool):
        for pid in pids:
            cpu = _proc_cpu(pid)
            if cpu:
                self.first.setdefault(pid, cpu if baseline else 0.0)
                self.last[pid] = max(self.last.get(pid, 0.0), cpu)

    def _sample(self, conn):
        while not self.stop_event.wait(0.02):
            rows = self._activity(conn)
            self._cpu([row[0] for row in rows] + [self.postmaster], baseline=False)
            for _, datname, state, wait, backend_type in rows:
                if datname != self.dbname or backend_type != "client backend":
                    continue
                if state == "active":
                    key = {None: "running", "Lock": "lock wait", "LWLock": "LWLock wait",
                           "IO": "I/O wait (WAL)"}.get(wait, "other wait")
                elif state and state.startswith("idle in transaction"):
                    key = "idle in transaction (waiting for the app)"
                else:
                    key = "idle (between transactions)"
                self.samples[key] += 1
        conn.close()

    def __enter__(self):
        import psycopg

        conn = psycopg.connect(with_database(self.url, "postgres"), autocommit=True)
        own = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        self.postmaster = int(Path(f"/proc/{own}/stat").read_text().rsplit(")", 1)[1].split()[1])
        self._cpu([row[0] for row in self._activity(conn)] + [self.postmaster], baseline=True)
        self.machine = machine_cpu()
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.thread = threading.Thread(target=self._sample, args=(conn,), daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(timeout=5)
        busy, total = machine_cpu()
        self.machine_busy = (busy - self.machine[0]) / max(total - self.machine[1], 1)
        self.machine_cpu = (busy - self.machine[0]) / os.sysconf("SC_CLK_TCK")
        self.pg_cpu = sum(self.last[pid] - self.first[pid] for pid in self.last)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.children_cpu = (children.ru_utime + children.ru_stime) - (self.children.ru_utime + self.children.ru_stime)

    def report(self, ops: int) -> dict:
        total = sum(self.samples.values()) or 1
        return {"pg_ms": self.pg_cpu / max(ops, 1) * 1000, "machine_busy": self.machine_busy,
                "machine_ms": self.machine_cpu / max(ops, 1) * 1000,
                "states": {key: self.samples[key] / total for key in self.STATES if self.samples[key]}}


def describe(r: dict) -> str:
    states = ", ".join(f"{key} {share:.0%}" for key, share in r["states"].items())
    app = r["cpu_ms"] + r.get("client_ms", 0)
    return (f"      PostgreSQL CPU {r['pg_ms']:.2f} ms per transaction; the machine's CPU {r['machine_ms']:.2f} ms per "
            f"transaction ({r['machine_busy']:.0%} busy), of which {max(r['machine_ms'] - app, 0):.2f} ms not the "
            f"clients'\n      bench database's backends: {states}")


def next_business_day() -> None:
    """Close the open business date and open the next one (directly: the bench runs no end of day)."""
    from django.db import transaction

    from apps.core.models import BusinessDay

    with transaction.atomic():
        last = BusinessDay.objects.select_for_update().order_by("-date").first()
        BusinessDay.objects.exclude(status=BusinessDay.Status.CLOSED).update(status=BusinessDay.Status.CLOSED)
        BusinessDay.objects.create(date=last.date + timedelta(days=1), status=BusinessDay.Status.OPEN)


# --- one movement at a time -------------------------------------------------------------------------------

def run_per_movement(books, count: int) -> None:
    """Transfers (by customers, as the API makes them) and cash deposits (by the cashier), one after
    another on one connection: statements per movement (BEGIN and COMMIT included), and per movement
    the wall time, this process's CPU and its PostgreSQL backend's CPU."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.ledger.services import deposit_create, transfer_create
    from apps.users.models import User

    next_business_day()
    users = {u.pk: u for u in User.objects.filter(pk__in=[c["user_id"] for c in books["customers"]])}
    cashier = User.objects.get(email="bench-cashier@coastal.test")
    rng = random.Random(7)

    def transfer():
        customer = rng.choice(books["customers"])
        source_pk, source_number = rng.choice(customer["accounts"])
        target = rng.choice([n for n in books["numbers"] if n != source_number])
        transfer_create(actor=users[customer["user_id"]], from_account=source_pk, to_account_number=target,
                        amount="1.00", description="bench", channel="api", idempotency_key=uuid.uuid4().hex)

    def deposit():
        source_pk, _ = rng.choice(rng.choice(books["customers"])["accounts"])
        deposit_create(actor=cashier, account=source_pk, amount="5.00", description="bench",
                       idempotency_key=uuid.uuid4().hex)

    backend = connection.cursor().connection.info.backend_pid
    for label, movement in (("transfer", transfer), ("deposit", deposit)):
        for _ in range(50):  # warm up: caches, prepared statements
            movement()
        with CaptureQueriesContext(connection) as queries:
            movement()
        wall, cpu, pg_cpu = time.perf_counter(), time.process_time(), _proc_cpu(backend)
        for _ in range(count):
            movement()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        pg_cpu = _proc_cpu(backend) - pg_cpu
        print(f"  {label}: {len(queries.captured_queries)} statements; per {label} {wall / count * 1000:.2f} ms wall, "
              f"{cpu / count * 1000:.2f} ms Python CPU, {pg_cpu / count * 1000:.2f} ms PostgreSQL backend CPU")


# --- service layer -------------------------------------------------------------------------------------

def _service_worker(index, workers, books, seconds, max_ops, start, results):
    from django.db import connection

    from apps.ledger.errors import LedgerError
    from apps.ledger.services import transfer_create
    from apps.users.models import User

    mine = [c for i, c in enumerate(books["customers"]) if i % workers == index]
    users = {u.pk: u for u in User.objects.filter(pk__in=[c["user_id"] for c in mine])}
    rng = random.Random(index)
    done = refused = 0
    start.wait()
    cpu_started = time.process_time()
    deadline = time.monotonic() + seconds
    while done + refused < max_ops and time.monotonic() < deadline:
        customer = rng.choice(mine)
        source_pk, source_number = rng.choice(customer["accounts"])
        target = rng.choice(books["numbers"])
        if target == source_number:
            continue
        try:
            transfer_create(actor=users[customer["user_id"]], from_account=source_pk, to_account_number=target,
                            amount=f"{rng.randint(100, 2000) / 100:.2f}", description="bench",
                            channel="api", idempotency_key=uuid.uuid4().hex)
            done += 1
        except LedgerError:
            refused += 1
    cpu = time.process_time() - cpu_started
    connection.close()
    results.put((done, refused, cpu))


def run_service(books, workers: int, seconds: float, max_ops: int, url: str) -> dict:
    from django.db import connections

    next_business_day()
    connections.close_all()  # the children open their own
    ctx = mp.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_service_worker, args=(i, workers, books, seconds, max_ops, start, results))
             for i in range(workers)]
    for proc in procs:
        proc.start()
    time.sleep(1.0)  # let every worker import and connect before the clock starts
    with Probe(url) as probe:
        began = time.monotonic()
        start.set()
        outcomes = [results.get(timeout=seconds + 120) for _ in procs]
        wall = time.monotonic() - began
    for proc in procs:
        proc.join(timeout=30)
    done = sum(o[0] for o in outcomes)
    cpu = sum(o[2] for o in outcomes)
    return {"ops": done, "refused": sum(o[1] for o in outcomes), "seconds": wall, "tps": done / wall,
            "cpu_ms": cpu / max(done, 1) * 1000, **probe.report(done)}


# --- HTTP API ----------------------------------------------------------------------------------------

class Servers:
    """`count` daphne processes accepting on one listening socket (like a pre-fork server)."""

    def __init__(self, env: dict, count: int):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.sock.set_inheritable(True)
        self.port = self.sock.getsockname()[1]
        daphne = shutil.which("daphne", path=str(Path(sys.executable).parent)) or "daphne"
        # The servers' logs (errors included) go to a file: a pipe nobody reads would fill and stall them.
        self.log = tempfile.NamedTemporaryFile(prefix="coastal-bench-daphne-", suffix=".log", delete=False)
        self.procs = [
            subprocess.Popen([daphne, "--fd", str(self.sock.fileno()), "-v", "0", "--access-log", os.devnull,
                              "coastal_site.asgi:application"],
                             cwd=ROOT, env=env, pass_fds=[self.sock.fileno()], start_new_session=True,
                             stdout=self.log, stderr=self.log)
            for _ in range(count)
        ]

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"daphne exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/health/")
                if conn.getresponse().status < 500:
                    conn.close()
                    # every process imports Django on its first request: warm them all up
                    for _ in range(len(self.procs) * 4):
                        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                        c.request("GET", "/api/health/")
                        c.getresponse().read()
                        c.close()
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("daphne did not answer on 127.0.0.1 in time")

    def cpu_seconds(self) -> float:
        """CPU time the server processes have used so far (from /proc)."""
        total = 0.0
        for proc in self.procs:
            try:
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
        return total

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.sock.close()
        self.log.close()


def _http_client(index, clients, books, port, seconds, max_ops, start, results):
    mine = [c for i, c in enumerate(books["customers"]) if i % clients == index]
    rng = random.Random(1000 + index)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done = refused = failed = 0
    statuses: dict[int, int] = {}
    start.wait()
    deadline = time.monotonic() + seconds
    while done + refused + failed < max_ops and time.monotonic() < deadline:
        customer = rng.choice(mine)
        source_pk, source_number = rng.choice(customer["accounts"])
        target = rng.choice(books["numbers"])
        if target == source_number:
            continue
        body = json.dumps({"from_account_id": source_pk, "to_account_number": target,
                           "amount": f"{rng.randint(100, 2000) / 100:.2f}", "description": "bench"})
        headers = {"Authorization": f"Bearer {customer['access']}", "Idempotency-Key": uuid.uuid4().hex,
                   "Content-Type": "application/json", "User-Agent": "coastal-bench"}
        try:
            conn.request("POST", "/api/transactions/transfer/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            failed += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status == 201:
            done += 1
        elif response.status == 409:
            refused += 1
        else:
            failed += 1
    conn.close()
    results.append((done, refused, failed, statuses))


def run_http(books, port: int, clients: int, seconds: float, max_ops: int, url: str) -> dict:
    from django.db import connections

    next_business_day()
    connections.close_all()
    start, results = threading.Event(), []
    threads = [threading.Thread(target=_http_client, args=(i, clients, books, port, seconds, max_ops, start, results))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    with Probe(url) as probe:
        began = time.monotonic()
        start.set()
        for thread in threads:
            thread.join(timeout=seconds + 120)
        wall = time.monotonic() - began
    done = sum(r[0] for r in results)
    statuses: dict[int, int] = {}
    for r in results:
        for code, count in r[3].items():
            statuses[code] = statuses.get(code, 0) + count
    return {"ops": done, "refused": sum(r[1] for r in results), "failed": sum(r[2] for r in results),
            "statuses": statuses, "seconds": wall, "tps": done / wall, **probe.report(done)}


# --- pgbench ---------------------------------------------------------------------------------------------

def run_pgbench(url: str, scale: int, clients_list: list[int], seconds: float) -> dict[int, dict]:
    pgbench = shutil.which("pgbench") or "/usr/bin/pgbench"
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_pgbench"
    recreate_database(with_database(url, name))
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
    base = [pgbench, "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
            "-U", parts.username or "postgres"]
    subprocess.run([*base, "-i", "-s", str(scale), "-q", name], check=True, env=env, capture_output=True,
                   timeout=600)
    tps = {}
    for clients in clients_list:
        jobs = min(clients, 2)
        with Probe(with_database(url, name)) as probe:
            out = subprocess.run([*base, "-c", str(clients), "-j", str(jobs), "-T", str(int(seconds)), name],
                                 check=True, env=env, capture_output=True, text=True, timeout=seconds + 120).stdout
        found = re.search(r"tps = ([\d.]+) \((?:without initial connection time|excluding connections)", out)
        rate = float(found.group(1)) if found else float("nan")
        count = re.search(r"number of transactions actually processed: (\d+)", out)
        ops = int(count.group(1)) if count else int(rate * seconds)
        tps[clients] = {"tps": rate, "ops": ops, "cpu_ms": probe.children_cpu / max(ops, 1) * 1000,
                        **probe.report(ops)}
    with __import__("psycopg").connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return tps


# --- main ------------------------------------------------------------------------------------------------

def main():
    args = parse_args()
    url = database_url()
    env = production_env(url)
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY",
                                           "FIELD_ENCRYPTION_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT",
                                           "REDIS_URL", "DB_CONN_MAX_AGE", "LOG_LEVEL")})
    os.environ["DB_POOL_MAX_SIZE"] = "0"  # service workers are forked: each keeps its own connection
    sys.path.insert(0, str(ROOT))
    print(f"Database: {url} (recreated); settings: production; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f} at start")
    recreate_database(url)

    import django

    django.setup()
    from django.db import connection

    started = time.monotonic()
    books = setup_books(args.accounts, n_customers_min=max(args.concurrency) * 2)
    print(f"Set up {len(books['numbers'])} accounts of {len(books['customers'])} members with balances "
          f"through the services in {time.monotonic() - started:.1f}s "
          f"(PostgreSQL {connection.cursor().connection.info.server_version})")

    if args.per_movement:
        run_per_movement(books, args.per_movement)
        return

    service = {}
    for workers in [] if args.skip_service else args.concurrency:
        service[workers] = run_service(books, workers, args.seconds, args.max_ops, url)
        r = service[workers]
        print(f"  service layer, {workers} worker process(es): {r['ops']} transfers in {r['seconds']:.1f}s "
              f"= {r['tps']:.1f}/s, {r['cpu_ms']:.2f} ms of Python CPU per transfer ({r['refused']} refused)")
        print(describe(r))

    http_results = {}
    if not args.skip_http:
        servers = Servers(env, args.servers)
        try:
            servers.wait_ready()
            for clients in args.concurrency:
                cpu_before, client_before = servers.cpu_seconds(), time.process_time()
                http_results[clients] = run_http(books, servers.port, clients, args.seconds, args.max_ops, url)
                r = http_results[clients]
                r["cpu_ms"] = (servers.cpu_seconds() - cpu_before) / max(r["ops"], 1) * 1000
                r["client_ms"] = (time.process_time() - client_before) / max(r["ops"], 1) * 1000
                print(f"  HTTP API ({args.servers} daphne processes, DB_POOL_MAX_SIZE={env['DB_POOL_MAX_SIZE']}), "
                      f"{clients} client(s): {r['ops']} transfers in {r['seconds']:.1f}s = {r['tps']:.1f}/s, "
                      f"daphne CPU {r['cpu_ms']:.2f} ms per transfer, bench client {r['client_ms']:.2f} ms "
                      f"(statuses {r['statuses']}, {r['failed']} failed)")
                print(describe(r))
        finally:
            servers.stop()
        if any(r["statuses"].keys() - {201, 409} or r["failed"] for r in http_results.values()):
            print(f"  (some requests failed: the servers' log is {servers.log.name})")

    pg = {}
    if not args.skip_pgbench:
        pg = run_pgbench(url, args.pgbench_scale, args.concurrency, args.seconds)
        for clients, r in pg.items():
            print(f"  pgbench TPC-B-like -s {args.pgbench_scale}, -c {clients}: {r['tps']:.1f} tps, "
                  f"pgbench client CPU {r['cpu_ms']:.2f} ms per transaction")
            print(describe(r))

    from django.db import connections

    connections.close_all()
    from apps.ledger.management.commands.verify_ledger import find_differences

    problems = find_differences()

    print("\nLedger throughput on PostgreSQL (transfers per second; fraction of pgbench at the same client count)")
    print(f"  {'':<28}" + "".join(f"{f'{c} client(s)':>22}" for c in args.concurrency))

    def row(label, results, target=None):
        cells = []
        for c in args.concurrency:
            if c not in results:
                cells.append(f"{'—':>22}")
                continue
            tps = results[c]["tps"]
            frac = f" ({tps / pg[c]['tps']:.2f}×)" if c in pg and results is not pg else ""
            cells.append(f"{f'{tps:.1f}{frac}':>22}")
        print(f"  {label:<28}" + "".join(cells) + (f"   target ≥ {target}× pgbench" if target else ""))

    row("pgbench (TPC-B-like)", pg)
    row("service layer", service, SERVICE_TARGET)
    row("HTTP API (daphne)", http_results, HTTP_TARGET)
    top = max(args.concurrency)
    if top in pg:
        for label, results, target in (("service layer", service, SERVICE_TARGET),
                                       ("HTTP API", http_results, HTTP_TARGET)):
            if top in results:
                frac = results[top]["tps"] / pg[top]["tps"]
                verdict = "met" if frac >= target else "MISSED"
                print(f"  {label} at {top}: {frac:.2f}× pgbench — target {target}× {verdict}")
    cpus = os.cpu_count() or 1
    print(f"\nWhere the CPU goes, per transaction at {top} clients ({cpus} CPUs; the machine's CPU time per "
          "transaction, split into the clients', PostgreSQL's and the rest: kernel, sampler, backends missed)")
    base = pg[top]["machine_ms"] if top in pg else None
    for label, results, client in (("pgbench", pg, "pgbench"), ("service layer", service, "Python"),
                                   ("HTTP API", http_results, "daphne+client")):
        if top in results:
            r = results[top]
            app = r["cpu_ms"] + r.get("client_ms", 0)
            rest = max(r["machine_ms"] - app - r["pg_ms"], 0)
            times = f", {r['machine_ms'] / base:.1f}× pgbench's" if base and results is not pg else ""
            print(f"  {label:<14} {client} {app:.2f} + PostgreSQL {r['pg_ms']:.2f} + rest {rest:.2f} = "
                  f"{r['machine_ms']:.2f} ms{times} (machine {r['machine_busy']:.0%} busy, {r['tps']:.0f}/s)")
    print(f"  (load average {os.getloadavg()[0]:.1f} at the end: other work on this machine skews every figure)")
    if top in service and top in pg:
        # What PostgreSQL alone allows: its CPU per transfer on every CPU, with clients that cost nothing.
        ceiling = cpus / (service[top]["pg_ms"] / 1000)
        print(f"  PostgreSQL's own work for one transfer ({service[top]['pg_ms']:.2f} ms of CPU) caps {cpus} CPUs at "
              f"{ceiling:.0f}/s = {ceiling / pg[top]['tps']:.2f}× pgbench, even with clients that cost nothing")
    if problems:
        print(f"\nverify_ledger: {len(problems)} difference(s):")
        for line in problems[:20]:
            print(f"  {line}")
        sys.exit(1)
    print("\nverify_ledger: every balance equals its postings, every entry balances, trial balance is zero.")


if __name__ == "__main__":
    main()
