"""Notification settings, clicked through: a cashier finds the page under My account and turns e-mail on
for one kind; a member does the same from the portal's Security page."""

from apps.messaging.models import NotificationPreference

from ..support import PASSWORD
from .pages import BROWSER_TEST, SHOTS, new_page, sign_in

pytestmark = BROWSER_TEST


def test_a_cashier_chooses_email_for_new_member_messages(browser, live_server, make_user):
    from playwright.sync_api import expect

    cashier = make_user("cashier", first_name="Ama", last_name="Owusu")
    context, page = new_page(browser, live_server, 1400, 900)
    try:
        sign_in(page, cashier.email)
        page.get_by_role("link", name="Notification settings").click()
        expect(page.get_by_role("heading", name="Notification settings").first).to_be_visible()
        box = page.get_by_label("New member message by e-mail")
        expect(box).not_to_be_checked()
        box.check()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
        expect(page.get_by_label("New member message by e-mail")).to_be_checked()
        page.screenshot(path=str(SHOTS / "notification-settings-console.png"), full_page=True)
        assert NotificationPreference.objects.get(user=cashier, kind="service_desk.thread_new").email
    finally:
        context.close()


def test_a_member_turns_off_the_new_device_email(browser, live_server, customer):
    from playwright.sync_api import expect

    context, page = new_page(browser, live_server, 420, 860)  # a phone
    try:
        page.goto("/login/")
        page.fill("input[name=username]", customer.email)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        page.goto("/my/sessions/")
        page.get_by_role("link", name="Notification settings").click()
        box = page.get_by_label("Sign-in from a new device by e-mail")
        expect(box).to_be_checked()  # on by default: it is about the member's safety
        expect(page.get_by_label("Sign-in from a new device by text message")).to_be_disabled()  # no phone yet
        box.uncheck()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
        page.screenshot(path=str(SHOTS / "notification-settings-portal.png"), full_page=True)
        assert NotificationPreference.objects.get(user=customer, kind="users.new_device").email is False
    finally:
        context.close()
