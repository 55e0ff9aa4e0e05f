"""A live ASGI server for the browser tests: the project's whole ASGI application
(`coastal_site.asgi.application`: HTTP, and the `/ws/` websocket behind its origin check and session
auth) served by Daphne on 127.0.0.1, so pages opened by Playwright get their live events.

pytest-django's `live_server` is WSGI (no websockets). Here Daphne runs in this test process, in a
thread: Twisted's reactor (the asyncio one Daphne installs, on its own event loop) starts once per
process and is stopped at the end of the session (a reactor cannot be started again). Each test gets
its own listening port (`asgi_live_server` in conftest.py); when the test ends the port is closed,
every connection still open is dropped, and the test waits until every application instance (views,
consumers) has finished, so nothing reaches the next test.

The test database is shared as pytest-django's live_server shares it:

- SQLite (an in-memory database per process): the server's threads use the test's own connection
  (Django's LiveServerThread passes it as `connections_override`). Under ASGI every request and every
  consumer database call runs in a thread of its own, so for the test's duration the connection
  handler hands that one connection to every thread; and since one connection cannot hold two
  transactions, the server does one thing at a time with the database: an HTTP request, a websocket's
  connect (the session look-up) or one received frame, or a `call()` from the test.
- PostgreSQL: every thread opens its own connection to the test database, as in production.

The channel layer is the project's (in-memory by default, Redis when REDIS_URL is set), new and
flushed for each test; it lives on the server's event loop, so events sent after a commit by the
server's own views reach the sockets it holds. The test's own thread runs Playwright's event loop and
cannot `async_to_sync`: code that sends live events (`services.notify`, `jobs.job_progress`) is run
inside the server with `live.call(func, *args)`.
"""

import asyncio
import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HOST = "127.0.0.1"
SHUTDOWN_SECONDS = 10  # for the application instances of a finished test to end


class _SharedConnections:
    """Stands in for `django.db.connections._connections` (thread-local) while a test's server runs:
    the shared aliases resolve to the test's connection in every thread, the others as before."""

    def __init__(self, local, shared: dict):
        object.__setattr__(self, "_local", local)
        object.__setattr__(self, "_shared", shared)

    def __getattr__(self, alias):
        shared = object.__getattribute__(self, "_shared")
        if alias in shared:
            return shared[alias]
        return getattr(object.__getattribute__(self, "_local"), alias)

    def __setattr__(self, alias, value):
        setattr(object.__getattribute__(self, "_local"), alias, value)

    def __delattr__(self, alias):
        delattr(object.__getattribute__(self, "_local"), alias)


class _ClosingExecutor(ThreadPoolExecutor):
    """The server loop's default executor, which runs `sync_to_async(thread_sensitive=False)`: Django
    renders its error pages there (a 404 included, with the context processors' queries). Each call
    closes the database connections it opened, as the end of a request does in the request's own
    thread; otherwise those threads keep PostgreSQL connections open past the test database's end."""

    def submit(self, fn, /, *args, **kwargs):
        def run():
            from django.db import connections

            try:
                return fn(*args, **kwargs)
            finally:
                connections.close_all()

        return super().submit(run)


class _OneAtATime:
    """ASGI middleware: while `lock` is set (one shared SQLite connection), the database work of the
    application instances is serialized. An HTTP request holds the lock from start to end; a
    websocket holds it during its connect (the session look-up) and while it handles each received
    frame, never while it waits for the next one nor while it leaves, so a socket held open or closing
    blocks nobody."""

    def __init__(self, application):
        self.application = application
        self.lock: asyncio.Lock | None = None

    async def __call__(self, scope, receive, send):
        lock = self.lock
        if lock is None or scope["type"] not in ("http", "websocket"):
            return await self.application(scope, receive, send)
        if scope["type"] == "http":
            async with lock:
                return await self.application(scope, receive, send)
        held = False

        async def receive_unlocked():
            nonlocal held
            if held:
                held = False
                lock.release()
            event = await receive()
            if event["type"] != "websocket.disconnect":  # leaving touches no database; it may take a
                await lock.acquire()                       # while (a Redis receive being cancelled)
                held = True
            return event

        await lock.acquire()
        held = True
        try:
            return await self.application(scope, receive_unlocked, send)
        finally:
            if held:
                lock.release()

    @contextlib.asynccontextmanager
    async def guard(self):
        if self.lock is None:
            yield
        else:
            async with self.lock:
                yield


class AsgiSite:
    """One per test process: the reactor thread and Daphne's server object (its HTTP and websocket
    factories, its table of live application instances)."""

    def __init__(self):
        import daphne.server  # installs Twisted's asyncio reactor, on Daphne's own event loop
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
        from twisted.internet import reactor

        from coastal_site.asgi import application

        self.reactor = reactor
        self.loop = daphne.server.twisted_loop
        self.guarded = _OneAtATime(application)
        # Static files as the WSGI live_server serves them (from the finders), outside the lock.
        self.server = daphne.server.Server(
            ASGIStaticFilesHandler(self.guarded), endpoints=["unused"], signal_handlers=False,
            application_close_timeout=SHUTDOWN_SECONDS / 2, verbosity=0)
        self.executor = _ClosingExecutor(max_workers=4, thread_name_prefix="asgi-live-server-sync")
        self.loop.set_default_executor(self.executor)
        self.thread = None

    def start(self):
        from daphne.ws_protocol import WebSocketFactory
        from twisted.internet.threads import blockingCallFromThread
        from twisted.logger import (
            FilteringLogObserver,
            LogLevel,
            LogLevelFilterPredicate,
            STDLibLogObserver,
            globalLogBeginner,
        )

        if self.reactor.running:
            raise RuntimeError("A Twisted reactor is already running in this process.")
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.reactor.callWhenRunning(started.set)
            self.reactor.run(installSignalHandlers=False)

        self.thread = threading.Thread(target=run, name="asgi-live-server", daemon=True)
        self.thread.start()
        if not started.wait(10):
            raise RuntimeError("The Twisted reactor did not start.")

        def set_up():  # what daphne's Server.run() does before it listens (in the reactor's thread)
            from daphne.http_protocol import HTTPFactory

            server = self.server
            server.connections = {}
            server.http_factory = HTTPFactory(server)
            server.ws_factory = WebSocketFactory(server, server=server.server_name)
            server.ws_factory.setProtocolOptions(
                autoPingTimeout=server.ping_timeout, allowNullOrigin=True,
                openHandshakeTimeout=server.websocket_handshake_timeout,
                maxMessagePayloadSize=server.websocket_max_message_size,
                maxFramePayloadSize=server.websocket_max_frame_size)
            # Twisted's warnings and errors to logging (pytest shows them with a failure); not its access log.
            errors_only = FilteringLogObserver(STDLibLogObserver(name="twisted"),
                                               [LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)])
            globalLogBeginner.beginLoggingTo([errors_only], redirectStandardIO=False, discardBuffer=True)
            self.reactor.callLater(1, server.application_checker)
            self.reactor.callLater(2, server.timeout_checker)

        blockingCallFromThread(self.reactor, set_up)
        return self

    def stop(self):
        if self.thread is None:
            return
        self.reactor.callFromThread(self.reactor.stop)
        self.thread.join(SHUTDOWN_SECONDS)
        self.thread = None
        self.executor.shutdown(wait=True)

    def in_reactor(self, func, *args):
        from twisted.internet.threads import blockingCallFromThread

        return blockingCallFromThread(self.reactor, func, *args)

    def run_async(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @contextlib.contextmanager
    def serve(self):
        """Serve one test: a new port, the shared database connection, a new channel layer."""
        server = LiveServer(self)
        server.start()
        try:
            yield server
        finally:
            server.stop()


class LiveServer:
    """What `asgi_live_server` gives a test: `url` (http://127.0.0.1:<port>, the browser context's
    base_url), `ws_url`, and `call(func, *args, **kwargs)` to run code inside the server."""

    def __init__(self, site: AsgiSite):
        self.site = site
        self.port = None
        self._listener = None
        self._factory = None
        self._shared = {}
        self._handler_local = None
        self._settings = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws/"

    def __str__(self):
        return self.url

    def __add__(self, other: str) -> str:
        return self.url + other

    def call(self, func, *args, **kwargs):
        """Run `func(*args, **kwargs)` in a thread of the server (its database connection, its event
        loop for `async_to_sync`, so on-commit live events reach the server's sockets); returns its
        result or raises its exception."""
        from channels.db import database_sync_to_async

        async def run():
            async with self.site.guarded.guard():
                return await database_sync_to_async(func)(*args, **kwargs)

        return self.site.run_async(run())

    def open_sockets(self) -> int:
        """How many websockets this server holds open (handshake done: the consumer accepted, so it has
        joined its groups)."""
        from daphne.ws_protocol import WebSocketProtocol

        server = self.site.server

        def count():
            return sum(1 for protocol, details in server.connections.items()
                       if isinstance(protocol, WebSocketProtocol) and "disconnected" not in details
                       and protocol.state == protocol.STATE_OPEN)

        return self.site.in_reactor(count)

    def wait_for_sockets(self, count: int, timeout: float = 15):
        """Wait until the server holds at least `count` open websockets: a page that listens without
        saying so in its DOM is then sure to get the events sent after this."""
        deadline = time.monotonic() + timeout
        while (held := self.open_sockets()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{held} websocket(s) open after {timeout} s, expected {count}")
            time.sleep(0.05)

    # --- start and stop -----------------------------------------------------------------------------

    def start(self):
        from django.db import connections
        from django.test.utils import modify_settings
        from twisted.internet.endpoints import TCP4ServerEndpoint
        from twisted.protocols.policies import WrappingFactory

        self._settings = modify_settings(ALLOWED_HOSTS={"append": HOST})
        self._settings.enable()
        self._shared = {conn.alias: conn for conn in connections.all()
                        if conn.vendor == "sqlite" and conn.is_in_memory_db()}
        if self._shared:
            for conn in self._shared.values():
                conn.inc_thread_sharing()
            self._handler_local = connections._connections
            connections._connections = _SharedConnections(self._handler_local, self._shared)

            async def make_lock():  # created on the server's loop
                self.site.guarded.lock = asyncio.Lock()

            self.site.run_async(make_lock())
        self.site.run_async(_new_channel_layer())
        reactor = self.site.reactor
        self._factory = WrappingFactory(self.site.server.http_factory)  # keeps the open connections
        endpoint = TCP4ServerEndpoint(reactor, 0, interface=HOST)
        self._listener = self.site.in_reactor(endpoint.listen, self._factory)
        self.port = self._listener.getHost().port

    def stop(self):
        errors = []
        try:
            self._close_connections(errors)
        finally:
            with contextlib.suppress(Exception):
                self.site.run_async(_drop_channel_layer())
            self.site.guarded.lock = None
            if self._handler_local is not None:
                from django.db import connections

                connections._connections = self._handler_local
                self._handler_local = None
            for conn in self._shared.values():
                conn.dec_thread_sharing()
            self._shared = {}
            if self._settings is not None:
                self._settings.disable()
                self._settings = None
        if errors:
            raise RuntimeError("The ASGI live server did not stop cleanly: " + "; ".join(errors))

    def _close_connections(self, errors: list):
        server = self.site.server
        if self._listener is not None:
            self.site.in_reactor(self._listener.stopListening)
            self._listener = None

        def drop_all():
            for wrapper in list(self._factory.protocols):
                wrapper.transport.abortConnection()

        self.site.in_reactor(drop_all)
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        while time.monotonic() < deadline:
            if not self.site.in_reactor(lambda: bool(server.connections or self._factory.protocols)):
                return
            time.sleep(0.05)

        def cancel_all():
            left = []
            for protocol, details in list(server.connections.items()):
                instance = details.get("application_instance")
                if instance is not None and not instance.done():
                    instance.cancel()
                    left.append(repr(protocol))
            return left

        left = self.site.in_reactor(cancel_all)
        if left:
            errors.append(f"application instances still running after {SHUTDOWN_SECONDS} s, cancelled: "
                          + ", ".join(left))


async def _new_channel_layer():
    """A new, empty layer on the server's loop (consumers and views of this test use it)."""
    from channels.layers import channel_layers, get_channel_layer

    channel_layers.backends.clear()
    layer = get_channel_layer()
    if layer is not None and hasattr(layer, "flush"):
        await layer.flush()


async def _drop_channel_layer():
    from channels.layers import channel_layers

    for layer in list(channel_layers.backends.values()):
        if hasattr(layer, "close_pools"):
            await layer.close_pools()
    channel_layers.backends.clear()
