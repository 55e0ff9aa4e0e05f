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
