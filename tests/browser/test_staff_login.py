"""A person signing in to the staff console in a real browser: password, then the authenticator code."""

import pytest

from apps.users.services import SignInError

from ..support import PASSWORD, add_totp_device, totp_code
from .pages import BROWSER_TEST, SHOTS

SCREENSHOT = SHOTS / "dashboard.png"

pytestmark = BROWSER_TEST


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def fill_sign_in(page, email, password, code=""):
    page.goto("/admin/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.fill("input[name=otp_token]", code)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


def test_manager_signs_in_with_password_and_code_and_sees_the_dashboard(page, live_server, make_user):
    from playwright.sync_api import expect

    manager = make_user("manager", first_name="Kofi", last_name="Boateng")
    device = add_totp_device(manager)

    fill_sign_in(page, manager.email, PASSWORD)
    expect(page.get_by_text(SignInError.MESSAGES["otp_required"])).to_be_visible()

    fill_sign_in(page, manager.email, PASSWORD, totp_code(device))

    expect(page).to_have_url(f"{live_server.url}/admin/")
    cards = page.get_by_test_id("dashboard-kpis")
    expect(cards.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    expect(cards.get_by_role("heading", name="Locked accounts")).to_be_visible()
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_five_wrong_passwords_show_the_lock_message(page, live_server, make_user):
    from playwright.sync_api import expect

    cashier = make_user("cashier")
    for _ in range(4):
        fill_sign_in(page, cashier.email, "not-the-password")
        expect(page.get_by_text(SignInError.MESSAGES["invalid_credentials"])).to_be_visible()

    fill_sign_in(page, cashier.email, "not-the-password")
    expect(page.get_by_text(SignInError.MESSAGES["locked"])).to_be_visible()

    fill_sign_in(page, cashier.email, PASSWORD)
    expect(page.get_by_text(SignInError.MESSAGES["locked"])).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/admin/login/")
