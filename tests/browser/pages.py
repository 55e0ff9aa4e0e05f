"""Helpers for driving the staff console in the browser tests."""

from pathlib import Path

import pytest

from ..support import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp")  # screenshots, to look at after a run

BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's Chromium is not installed (apt-get install -y chromium)"),
    pytest.mark.django_db(transaction=True),  # live_server serves from another thread
]


def new_page(browser, live_server, width, height):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def sign_in(page, email):
    page.goto("/admin/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


# --- live events (pages served by asgi_live_server) -------------------------------------------------

# live.js re-dispatches every server event as "live:<type>" on <body>. The recorder keeps their details
# in window.__liveEvents, and marks the document: the mark is gone if the page reloads.
_RECORD_LIVE_EVENTS = """types => {
    window.__liveEvents = [];
    window.__sameDocument = true;
    for (const type of types) {
        document.body.addEventListener("live:" + type, (event) => window.__liveEvents.push(event.detail));
    }
}"""


def wait_until_live(page):
    """Wait until the page's websocket is open (live.js sets <body data-live="up">)."""
    from playwright.sync_api import expect

    expect(page.locator("body")).to_have_attribute("data-live", "up")


def record_live_events(page, *types):
    """Start recording the page's live events of these types (e.g. "notification.new")."""
    wait_until_live(page)
    page.evaluate(_RECORD_LIVE_EVENTS, list(types))


def wait_for_live_event(page, event_type: str, **fields) -> dict:
    """Wait until the page has received a live event of this type whose fields have these values;
    returns it. Fails when the page reloaded since record_live_events (the events must arrive live)."""
    handle = page.wait_for_function(
        """([type, fields]) => (window.__liveEvents || []).find((event) => event.type === type
            && Object.entries(fields).every(([key, value]) => event[key] === value))""",
        arg=[event_type, fields])
    event = handle.json_value()
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded: the event did not arrive live"
    return event


def live_events(page) -> list[dict]:
    return page.evaluate("window.__liveEvents || []")


def api_headers(context, user, *, otp: str | None = None) -> dict:
    """Sign `user` in through the API with this browser context's request client (which shares the
    context's cookies); returns the Bearer headers for the next API calls."""
    body = {"email": user.email, "password": PASSWORD}
    if otp is not None:
        body["otp"] = otp
    response = context.request.post("/api/users/auth/login/", data=body)
    assert response.status == 200, response.text()
    return {"Authorization": f"Bearer {response.json()['access']}"}
