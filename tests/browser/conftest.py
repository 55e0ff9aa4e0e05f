"""What every browser test shares: one Chromium per module, driven by Playwright, and the reference
data (chart of accounts, products, denominations, role groups) put back before each test.

Browser tests need live_server (WSGI) or asgi_live_server (ASGI, with the /ws/ websocket: see
asgi_server.py), so a transactional database that is flushed after each test.
Serialized rollback cannot put the migrated data back here: once Playwright's sync API runs, Django
hands the test thread a connection object without the serialized copy."""

import os

import pytest

from tests.support import restore_reference_data

from .pages import CHROMIUM


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop running in this thread; the test itself still makes
    # ordinary (synchronous) ORM calls to set up its data.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    restore_reference_data()


@pytest.fixture(scope="session")
def _asgi_site():
    """Daphne and its Twisted reactor, started in this process the first time a test asks for them."""
    from .asgi_server import AsgiSite

    site = AsgiSite().start()
    yield site
    site.stop()


@pytest.fixture
def asgi_live_server(_asgi_site, transactional_db):
    """The project's ASGI application (HTTP and the /ws/ websocket) on http://127.0.0.1:<port>, for
    this test only; `live_server` for the pages that need live events. See asgi_server.py."""
    with _asgi_site.serve() as server:
        yield server
