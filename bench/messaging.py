"""Websocket fan-out on the Redis channel layer: how many `/ws/` connections one ASGI process holds,
and how fast events reach them. Prints figures; it is not a test.

    .venv/bin/python bench/messaging.py [--clients 1000] [--rounds 5] [--redis-url redis://127.0.0.1:6379/12]

What it does, in order:

1. Drops and recreates a PostgreSQL database (DATABASE_URL, default coastal_bench_messaging on
   127.0.0.1), migrates it, creates N cashiers (`create_user`) and one signed-in session each,
   written straight into the session store, as a sign-in would leave it.
2. Starts ONE daphne process (production settings, as deploy/entrypoint.sh runs web, with
   REDIS_URL so the Redis channel layer is used) on a port of 127.0.0.1.
3. This process opens N websockets to `/ws/`, one per cashier, authenticated by the session cookie
   and with an Origin the AllowedHostsOriginValidator accepts; at most --connect-concurrency
   handshakes at a time. It reports how many the server accepted and still holds, how long the
   handshakes took, and the server's RSS and open sockets. The client is a minimal websocket client
   over asyncio streams (RFC 6455: handshake, masked frames out, pings answered).
4. A separate publisher process (a sync Django process, like a django-q2 worker) sends events:
   (a) `messaging.services.notify("cashier", ...)`, the real path: it writes N Notification rows and
       after the commit sends `notification.new` to every cashier's `user-<id>` group. Per round, each
       client's latency from the notify() call (and from the commit) to the event's arrival, and the
       time until the last client had it;
   (b) `message.new` events to single `user-<id>` groups through `channel_layer.group_send` at a
       steady --rate, each carrying its send time: the layer, server and socket path alone.
   Every event must reach its clients: a lost one makes the bench exit with status 1.
5. Closes the sockets, stops daphne and the publisher, drops the database and empties the Redis
   database (which must be empty at the start: the bench refuses to use one that holds keys).

The settings as shipped (coastal_site/settings/base.py) give the Redis layer a socket timeout of
15 s, above channels_redis's 5 s BZPOPMIN (with redis-py 8's default of 5 s, consumers died with
"Timeout reading from 127.0.0.1:6379", close code 1011), and a capacity of 5,000 for the one inbox all
of a server process's sockets share (the default of 100 dropped part of a fan-out to a role).
`--capacity N` overrides the publisher's capacity (the sender enforces it), e.g. 100 to see the drops.

Publisher and clients run on the same machine, so the wall clock (time.time()) is shared. The client
process's own CPU is part of every latency: it is printed next to the figures.
"""

import argparse
import asyncio
import base64
import hashlib
import http.client
import json
import multiprocessing as mp
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/coastal_bench_messaging"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
ROLE = "cashier"
KIND = "service_desk.thread_new"  # what the service desk's staff are told when a member writes
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000, help="users, one websocket each")
    parser.add_argument("--rounds", type=int, default=5, help="notify() rounds to the role of all clients")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
                        help="Redis database for the channel layer and cache (must be empty)")
    parser.add_argument("--messages", type=int, default=2000, help="single-user message.new events to send")
    parser.add_argument("--rate", type=float, default=200.0, help="message.new events per second")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="handshakes in flight at once")
    parser.add_argument("--capacity", type=int, default=0,
                        help="the publisher's channel-layer capacity (the sender enforces it; default: the "
                             "settings', i.e. channels_redis's 100)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an event before it is lost")
    return parser.parse_args()


# --- environment ----------------------------------------------------------------------------------

def local_url(url: str, schemes: tuple[str, ...], what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes or (parts.hostname or "") not in LOCAL_HOSTS:
        sys.exit(f"{what} must point at 127.0.0.1 ({'/'.join(schemes)}); got {url!r}.")
    return url


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def recreate_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        sys.exit(f"Refusing to drop a database named {name!r}.")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(database: str, redis_url: str) -> dict:
    """Production settings, as deploy/ runs web, on plain HTTP at 127.0.0.1 (fixed made-up keys)."""
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "coastal_site.settings.production",
        "DATABASE_URL": database,
        "SECRET_KEY": "coastal-bench-" + hashlib.sha256(b"coastal-bench-secret").hexdigest(),
        "FIELD_ENCRYPTION_KEY": base64.urlsafe_b64encode(hashlib.sha256(b"coastal-bench-field").digest()).decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",
        "REDIS_URL": redis_url,
        "DB_CONN_MAX_AGE": "0",
        "DB_POOL_MAX_SIZE": "10",  # as deploy/entrypoint.sh starts web
        "LOG_LEVEL": "WARNING",
    })
    return env


def raise_fd_limit(needed: int) -> tuple[int, int]:
    """Raise this process's soft limit on open files (its children inherit it) up to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < needed:
        sys.exit(f"Open-file limit {soft} (hard {hard}) is below the {needed} this run needs: lower --clients.")
    return soft, hard


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url)


# --- set-up ------------------------------------------------------------------------------------------

def setup_users(count: int) -> list[tuple[int, str]]:
    """N cashiers and a signed-in session each: [(user id, session key)]."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command

    from apps.users.models import User

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"Migrated in {time.monotonic() - started:.1f} s")
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    out = []
    for i in range(count):
        user = User.objects.create_user(f"bench-ws-{i:05d}@coastal.test", None, role=ROLE,
                                        first_name="Bench", last_name=f"Cashier {i}")
        store = store_class(user_agent="coastal-bench", ip="127.0.0.1")
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.save()
        out.append((user.pk, store.session_key))
    return out


# --- the server --------------------------------------------------------------------------------------

class Server:
    """One daphne process on a listening socket of 127.0.0.1 (backlog 4096), its log in a file."""

    def __init__(self, env: dict):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.sock.set_inheritable(True)
        self.port = self.sock.getsockname()[1]
        daphne = shutil.which("daphne", path=str(Path(sys.executable).parent)) or "daphne"
        self.log = tempfile.NamedTemporaryFile(prefix="coastal-bench-ws-daphne-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [daphne, "--fd", str(self.sock.fileno()), "-v", "1", "--access-log", os.devnull,
             "--proxy-headers", "coastal_site.asgi:application"],
            cwd=ROOT, env=env, pass_fds=[self.sock.fileno()], start_new_session=True,
            stdout=self.log, stderr=self.log)

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daphne exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", "/api/health/")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
                raise RuntimeError(f"/api/health/ answered {status}: {Path(self.log.name).read_text()[-2000:]}")
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("daphne did not answer on 127.0.0.1 in time")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def sockets(self) -> int:
        count = 0
        for fd in Path(f"/proc/{self.proc.pid}/fd").iterdir():
            try:
                count += os.readlink(fd).startswith("socket:")
            except OSError:
                pass
        return count

    def errors(self) -> list[str]:
        lines = Path(self.log.name).read_text(errors="replace").splitlines()
        return [line for line in lines if re.search(r"error|exception|traceback|full", line, re.I)]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        self.sock.close()
        self.log.close()
        if not self.errors():  # a log worth reading stays (its path is printed with its errors)
            os.unlink(self.log.name)


# --- the publisher -----------------------------------------------------------------------------------

def _notify(tag: str) -> dict:
    """The real path: notify() a role inside a transaction, noting when it committed."""
    from django.db import transaction

    from apps.messaging import services

    marks = {}
    started = time.time()
    with transaction.atomic():
        # Registered before notify()'s sends, so it runs first after the commit.
        transaction.on_commit(lambda: marks.setdefault("committed", time.time()))
        rows = services.notify(ROLE, KIND, f"Bench round {tag}", "A member wrote (bench).")
    return {"started": started, "committed": marks["committed"], "sent": time.time(), "rows": len(rows)}


async def _burst(user_ids: list[int], tag: str) -> None:
    from channels.layers import get_channel_layer

    from apps.messaging import services

    layer = get_channel_layer()
    for user_id in user_ids:
        await layer.group_send(services.user_group(user_id), {
            "type": "notification.new", "id": 0, "kind": KIND, "title": f"Bench round {tag}"})


async def _paced(user_ids: list[int], count: int, rate: float) -> float:
    from channels.layers import get_channel_layer

    from apps.messaging import services

    layer = get_channel_layer()
    began = time.monotonic()
    for seq in range(count):
        delay = began + seq / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await layer.group_send(services.user_group(user_ids[seq % len(user_ids)]), {
            "type": "message.new", "thread_id": 0, "message_id": seq, "sent_at": time.time()})
    return time.monotonic() - began


def publisher(conn) -> None:
    """A separate sync Django process: runs the commands it is sent and answers with its timestamps."""
    import django

    django.setup()
    from django.db import connection

    while True:
        command = conn.recv()
        if command[0] == "stop":
            break
        if command[0] == "notify":
            conn.send(_notify(command[1]))
        elif command[0] == "burst":
            started = time.time()
            asyncio.run(_burst(command[1], command[2]))
            conn.send({"started": started, "sent": time.time()})
        elif command[0] == "messages":
            conn.send({"elapsed": asyncio.run(_paced(*command[1:]))})
    connection.close()


class QueueProbe:
    """The deepest the server process's Redis inbox got while it ran, sampled every 10 ms in a thread.
    channels_redis keeps one inbox (a sorted set `asgispecific.<id>!`) per server process, shared by
    all its sockets, and drops what group_send brings once it holds `capacity` (100 by default)."""

    def __init__(self, url: str):
        import threading

        self.client = redis_client(url)
        self.stop_event = threading.Event()
        self.deepest = 0
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        keys: list[bytes] = []
        while not self.stop_event.wait(0.01):
            if not keys:
                keys = [k for k in self.client.scan_iter(match="*specific.*", count=1000) if k.endswith(b"!")]
            for key in keys:
                self.deepest = max(self.deepest, self.client.zcard(key))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(timeout=5)
        self.client.close()


# --- the websocket clients ---------------------------------------------------------------------------

class Client:
    """One websocket over asyncio streams: handshake, frames read as they come, pings answered."""

    def __init__(self, user_id: int, cookie: str):
        self.user_id, self.cookie = user_id, cookie
        self.writer = None
        self.closed: str | None = None  # why, once closed
        self.received: list[tuple[float, bytes]] = []
        self.task = None

    async def connect(self, port: int, timeout: float) -> float:
        started = time.perf_counter()
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        self.writer = writer
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      f"Origin: http://127.0.0.1:{port}\r\nCookie: {self.cookie}\r\n"
                      "User-Agent: coastal-bench\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            writer.close()
            raise ConnectionRefusedError(status.decode(errors="replace"))
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if f"sec-websocket-accept: {accept}".lower().encode() not in head.lower():
            writer.close()
            raise ConnectionError("bad Sec-WebSocket-Accept")
        elapsed = time.perf_counter() - started
        self.task = asyncio.create_task(self._read(reader))
        return elapsed

    def _send(self, opcode: int, payload: bytes = b"") -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(header + mask + masked)

    async def _read(self, reader) -> None:
        message, message_op = b"", 0
        try:
            while True:
                first, second = await reader.readexactly(2)
                opcode, length = first & 0x0F, second & 0x7F
                if length == 126:
                    length = struct.unpack("!H", await reader.readexactly(2))[0]
                elif length == 127:
                    length = struct.unpack("!Q", await reader.readexactly(8))[0]
                if second & 0x80:
                    mask = await reader.readexactly(4)
                    data = bytes(b ^ mask[i % 4] for i, b in enumerate(await reader.readexactly(length)))
                else:
                    data = await reader.readexactly(length) if length else b""
                if opcode == 0x9:  # ping
                    self._send(0xA, data)
                elif opcode == 0x8:  # close
                    code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                    self.closed = f"closed by the server ({code})"
                    if not self.writer.is_closing():
                        self._send(0x8, data[:2])
                    return
                elif opcode in (0x1, 0x2, 0x0):
                    message += data
                    message_op = opcode or message_op
                    if first & 0x80:
                        self.received.append((time.time(), message))
                        message, message_op = b"", 0
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            self.closed = self.closed or f"connection lost ({type(exc).__name__})"
        finally:
            self.writer.close()

    async def close(self) -> None:
        if self.closed is None and not self.writer.is_closing():
            try:
                self._send(0x8, struct.pack("!H", 1000))
                await self.writer.drain()
            except ConnectionError:
                pass
        if self.task:
            try:
                await asyncio.wait_for(self.task, 5)
            except TimeoutError:
                self.task.cancel()
        self.closed = self.closed or "closed by the bench"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def line(label: str, values_ms: list[float]) -> str:
    if not values_ms:
        return f"  {label}: no events received"
    return (f"  {label}: p50 {percentile(values_ms, 50):7.1f} ms   p99 {percentile(values_ms, 99):7.1f} ms   "
            f"max {max(values_ms):7.1f} ms   mean {statistics.fmean(values_ms):7.1f} ms   (n={len(values_ms)})")


async def run_clients(args, users, server: Server, pub) -> int:
    """Connect, measure, disconnect. Returns how many events were lost."""
    from django.conf import settings

    cookie_name = settings.SESSION_COOKIE_NAME
    clients = [Client(user_id, f"{cookie_name}={key}") for user_id, key in users]
    gate = asyncio.Semaphore(args.connect_concurrency)
    handshakes: list[float] = []
    refused: dict[str, int] = {}

    async def connect(client):
        async with gate:
            try:
                handshakes.append(await client.connect(server.port, timeout=60))
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
                reason = str(exc) or type(exc).__name__
                refused[reason] = refused.get(reason, 0) + 1
                client.closed = f"not connected: {reason}"

    loop_cpu = time.process_time()
    rss_before, sockets_before, server_cpu = server.rss_mb(), server.sockets(), server.cpu_seconds()
    began = time.perf_counter()
    await asyncio.gather(*(connect(c) for c in clients))
    connect_wall = time.perf_counter() - began
    await asyncio.sleep(2.0)  # anything the server closes right after accepting shows up here
    open_clients = [c for c in clients if c.closed is None]
    rss_after, sockets_after = server.rss_mb(), server.sockets()
    print(f"\nConnections ({args.clients} clients, {args.connect_concurrency} handshakes in flight at most)")
    print(f"  accepted {len(handshakes)}, refused {sum(refused.values())}"
          + (f" {refused}" if refused else "") + f"; held by the server 2 s later: {len(open_clients)}")
    print(f"  all handshakes done in {connect_wall:.2f} s ({len(handshakes) / connect_wall:.0f} per second); "
          f"one handshake p50 {percentile(handshakes, 50) * 1000:.1f} ms, "
          f"p99 {percentile(handshakes, 99) * 1000:.1f} ms, max {max(handshakes, default=0) * 1000:.1f} ms")
    print(f"  daphne: RSS {rss_before:.1f} MB before, {rss_after:.1f} MB with the sockets "
          f"({(rss_after - rss_before) * 1024 / max(len(open_clients), 1):.1f} kB per connection); "
          f"open sockets {sockets_before} -> {sockets_after}; CPU {server.cpu_seconds() - server_cpu:.2f} s "
          f"to accept them")
    closed = [c.closed for c in clients if c.closed and not c.closed.startswith("not connected")]
    if closed:
        print(f"  closed after connecting: {len(closed)} ({sorted(set(closed))})")

    lost = len(clients) - len(open_clients)
    expected_ids = {c.user_id for c in open_clients}
    if not open_clients:
        return lost

    async def arrivals_of(title: str, marks: dict) -> dict[int, float]:
        """When each open client received the notification.new titled `title` (waits up to --timeout)."""
        deadline = time.monotonic() + args.timeout
        arrivals: dict[int, float] = {}
        while time.monotonic() < deadline:
            for client in open_clients:
                if client.user_id in arrivals:
                    continue
                for at, raw in client.received[marks[client.user_id]:]:
                    event = json.loads(raw)
                    if event.get("type") == "notification.new" and event.get("title") == title:
                        arrivals[client.user_id] = at
                        break
                else:  # read each frame once while waiting
                    marks[client.user_id] = len(client.received)
            if len(arrivals) == len(open_clients):
                break
            await asyncio.sleep(0.05)
        return arrivals

    async def fan_out(label: str, command) -> tuple[list[float], list[float], int]:
        """Rounds of one event to every open client: per-client latencies from the start and from the
        commit (when there is one), and how many were lost."""
        from_start, from_commit, missed = [], [], 0
        for round_no in range(1, args.rounds + 1):
            tag = f"{label}{round_no}-{os.urandom(3).hex()}"
            marks = {c.user_id: len(c.received) for c in open_clients}
            server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
            with QueueProbe(args.redis_url) as probe:
                pub.send(command(tag))
                reply = await asyncio.get_running_loop().run_in_executor(None, pub.recv)
                arrivals = await arrivals_of(f"Bench round {tag}", marks)
            missing = expected_ids - arrivals.keys()
            missed += len(missing)
            calls = [(at - reply["started"]) * 1000 for at in arrivals.values()]
            from_start += calls
            written = ""
            if "committed" in reply:
                from_commit += [(at - reply["committed"]) * 1000 for at in arrivals.values()]
                written = (f"{reply['rows']} rows committed in "
                           f"{(reply['committed'] - reply['started']) * 1000:.0f} ms, ")
            last = max(arrivals.values(), default=reply["started"])
            print(f"  round {round_no}: {written}sends done {(reply['sent'] - reply['started']) * 1000:.0f} ms, "
                  f"last client had it at {(last - reply['started']) * 1000:.0f} ms; "
                  f"p50 {percentile(calls, 50):.0f} ms, p99 {percentile(calls, 99):.0f} ms; lost {len(missing)}; "
                  f"deepest inbox {probe.deepest}; CPU daphne {server.cpu_seconds() - server_cpu:.2f} s, "
                  f"clients {time.process_time() - client_cpu:.2f} s")
        return from_start, from_commit, missed

    # (a) notify() to the role of every client, round after round.
    print(f"\n(a) notify('{ROLE}', ...) to {len(open_clients)} connected users, {args.rounds} round(s): "
          "Notification rows, then notification.new to each user-<id> group after the commit")
    from_call, from_commit, missed = await fan_out("a", lambda tag: ("notify", tag))
    lost += missed
    print(line("from the notify() call", from_call))
    print(line("from the commit        ", from_commit))

    # (c) the same fan-out from one event loop: what notify() would take sending its events together.
    ids = [c.user_id for c in open_clients]
    print(f"\n(a') the same {len(ids)} notification.new events by group_send from ONE event loop (no rows, "
          "no async_to_sync per event), for comparison")
    burst, _, missed = await fan_out("c", lambda tag: ("burst", ids, tag))
    lost += missed
    print(line("from the first group_send", burst))

    # (b) single-user message.new events at a steady rate.
    count = args.messages
    print(f"\n(b) {count} message.new events, each to one user-<id> group by channel_layer.group_send, "
          f"at {args.rate:.0f} per second")
    marks = {c.user_id: len(c.received) for c in open_clients}
    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    probe = QueueProbe(args.redis_url).__enter__()
    pub.send(("messages", ids, count, args.rate))
    reply = await asyncio.get_running_loop().run_in_executor(None, pub.recv)
    expected = {(ids[seq % len(ids)], seq) for seq in range(count)}
    latencies: dict[tuple[int, int], float] = {}
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        for client in open_clients:
            for at, raw in client.received[marks[client.user_id]:]:
                event = json.loads(raw)
                if event.get("type") == "message.new" and "sent_at" in event:
                    latencies[(client.user_id, event["message_id"])] = (at - event["sent_at"]) * 1000
            marks[client.user_id] = len(client.received)
        if expected <= latencies.keys():
            break
        await asyncio.sleep(0.05)
    probe.__exit__()
    missing = expected - latencies.keys()
    lost += len(missing)
    print(f"  sent in {reply['elapsed']:.1f} s ({count / reply['elapsed']:.0f} per second); received "
          f"{len(latencies.keys() & expected)}, lost {len(missing)}; deepest inbox {probe.deepest}; CPU daphne "
          f"{server.cpu_seconds() - server_cpu:.2f} s, clients {time.process_time() - client_cpu:.2f} s")
    print(line("from group_send", [latencies[k] for k in expected & latencies.keys()]))

    still = [c for c in open_clients if c.closed is None]
    print(f"\nStill connected at the end: {len(still)} of {len(open_clients)}; daphne RSS {server.rss_mb():.1f} MB, "
          f"open sockets {server.sockets()}; this client process used {time.process_time() - loop_cpu:.1f} s of CPU")
    lost += len(open_clients) - len(still)
    await asyncio.gather(*(c.close() for c in clients if c.writer is not None))
    return lost


# --- main --------------------------------------------------------------------------------------------

def main():
    args = parse_args()
    if args.clients < 1 or args.rounds < 0 or args.messages < 0 or args.rate <= 0:
        sys.exit("--clients must be at least 1, --rounds and --messages not negative, --rate above 0.")
    database = local_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE, ("postgres", "postgresql"), "DATABASE_URL")
    redis_url = local_url(args.redis_url, ("redis",), "--redis-url")
    soft, hard = raise_fd_limit(args.clients + 512)
    env = production_env(database, redis_url)
    os.environ.update({k: v for k, v in env.items() if k != "DB_POOL_MAX_SIZE"})
    os.environ["DB_POOL_MAX_SIZE"] = "0"  # this process and the forked publisher: plain connections
    sys.path.insert(0, str(ROOT))

    store = redis_client(redis_url)
    if store.dbsize():
        sys.exit(f"Redis database {redis_url} holds {store.dbsize()} keys: give --redis-url an empty one "
                 "(the bench empties it when it is done).")
    print(f"Database {database} (recreated, dropped at the end); Redis {redis_url}; {os.cpu_count()} CPUs; "
          f"open-file limit {soft} (hard {hard}); load average {os.getloadavg()[0]:.1f} at start")
    recreate_database(database)
    server = pub_proc = pub = None
    lost = 0
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.db import connections

        layer = settings.CHANNEL_LAYERS["default"]
        if args.capacity:  # before any layer exists; the forked publisher inherits it
            settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": {**layer.get("CONFIG", {}),
                                                                       "capacity": args.capacity}}}
        print(f"Channel layer {settings.CHANNEL_LAYERS['default']['BACKEND']}, capacity "
              f"{settings.CHANNEL_LAYERS['default'].get('CONFIG', {}).get('capacity', '100 (default)')} "
              "for the publisher's sends")
        started = time.monotonic()
        users = setup_users(args.clients)
        print(f"Set up {len(users)} {ROLE}s with a session each in {time.monotonic() - started:.1f} s")
        connections.close_all()  # the publisher is forked: it opens its own
        pub, child = mp.get_context("fork").Pipe()
        pub_proc = mp.get_context("fork").Process(target=publisher, args=(child,), daemon=True)
        pub_proc.start()
        server = Server(env)
        server.wait_ready()
        print(f"daphne (one process, pid {server.proc.pid}) on 127.0.0.1:{server.port}, production settings, "
              f"Redis channel layer")
        lost = asyncio.run(run_clients(args, users, server, pub))
        errors = server.errors()
        if errors:
            print(f"\ndaphne logged {len(errors)} error line(s) (log {server.log.name}):")
            for entry in errors[:10]:
                print(f"  {entry[:300]}")
    finally:
        if pub is not None:
            try:
                pub.send(("stop",))
            except OSError:
                pass
        if pub_proc is not None:
            pub_proc.join(timeout=10)
            if pub_proc.is_alive():
                pub_proc.kill()
        if server is not None:
            server.stop()
        from django.db import connections

        connections.close_all()
        drop_database(database)
        store.flushdb()
    if lost:
        print(f"\nLOST {lost} event(s) or connection(s).")
        sys.exit(1)
    print("\nNo event lost: every connected client received every event sent to it.")


if __name__ == "__main__":
    main()
