"""The console's messages in a real browser. live_server serves HTTP only, so the live socket is down
(<body data-live="down">): the thread page's 20 s poll must bring a new message in by itself, and the
live events live.js would dispatch are dispatched by hand to check what each screen does with them."""

import pytest

from apps.messaging import services

from ..support import PASSWORD
from .pages import BROWSER_TEST, SHOTS, new_page

pytestmark = BROWSER_TEST


def sign_in(page, user):
    page.goto("/admin/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


def live_event(page, kind, detail):
    page.evaluate("([kind, detail]) => document.body.dispatchEvent("
                  "new CustomEvent('live:' + kind, {detail: detail, bubbles: true}))", [kind, detail])


@pytest.fixture
def people(make_user):
    return {"ama": make_user("cashier", first_name="Ama", last_name="Owusu"),
            "kofi": make_user("cashier", first_name="Kofi", last_name="Boateng")}


def test_a_reply_appears_on_the_open_thread_and_the_bell_and_inbox_badge_follow(browser, live_server, people):
    from playwright.sync_api import expect

    ama, kofi = people["ama"], people["kofi"]
    thread = services.thread_create(actor=ama, subject="Float for Monday", body="Can I have more float?",
                                    participant_ids=[kofi.pk])
    context, page = new_page(browser, live_server, 1400, 900)
    try:
        sign_in(page, ama)
        page.goto(f"/admin/messages/{thread.pk}/")
        expect(page.get_by_test_id("message")).to_have_count(1)
        expect(page.locator("body")).to_have_attribute("data-live", "down")

        # Kofi answers from his own session: the poll brings it in without a reload, escaped.
        services.message_post(actor=kofi, thread_id=thread.pk, body="Coming <b>now</b>\nTwo bundles")
        expect(page.get_by_test_id("message")).to_have_count(2, timeout=30_000)
        expect(page.get_by_test_id("message-body").last).to_have_text("Coming <b>now</b>Two bundles")
        assert page.locator("[data-testid=message-body] b").count() == 0

        # Ama replies through the composer.
        page.get_by_test_id("composer-body").fill("Thank you")
        page.get_by_role("button", name="Send").click()
        page.wait_for_load_state()
        expect(page.get_by_test_id("message")).to_have_count(3)
        expect(page.get_by_test_id("message-body").last).to_have_text("Thank you")

        # Kofi reads it: the receipt shows on Ama's page when the read event arrives.
        services.mark_read(actor=kofi, thread_id=thread.pk, message_id=thread.messages.order_by("-pk").first().pk)
        live_event(page, "message.read", {"thread_id": thread.pk, "user_id": kofi.pk})
        expect(page.get_by_test_id("read-receipt")).to_have_text("Read by Kofi Boateng")
        page.screenshot(path=str(SHOTS / "console-messages-thread.png"), full_page=True)

        # A notification: the bell's count appears on the event.
        bell = page.get_by_test_id("notification-bell")
        expect(bell).to_be_visible()
        expect(page.get_by_test_id("notification-count")).to_have_count(0)
        services.notify(ama, "service_desk.thread_new", "New member message", "Lost card")
        live_event(page, "notification.new", {"id": 1})
        expect(page.get_by_test_id("notification-count")).to_have_text("1")

        # On the inbox, a new message in another thread raises its row and the sidebar's Inbox badge.
        page.goto("/admin/messages/")
        inbox_item = page.locator("#nav-sidebar-apps a[href='/admin/messages/']")
        expect(inbox_item.get_by_test_id("sidebar-badge")).to_have_count(0)
        other = services.thread_create(actor=kofi, subject="Shift swap", body="Friday?", participant_ids=[ama.pk])
        live_event(page, "message.new", {"thread_id": other.pk})
        expect(page.get_by_test_id("thread-row").first).to_contain_text("Shift swap")
        expect(page.get_by_test_id("thread-unread")).to_have_text("1")
        expect(inbox_item.get_by_test_id("sidebar-badge")).to_have_text("1")
        page.screenshot(path=str(SHOTS / "console-messages-inbox.png"), full_page=True)

        # Opening it reads it: the badge is gone.
        page.get_by_role("link", name="Shift swap").click()
        page.wait_for_load_state()
        expect(page.locator("#nav-sidebar-apps a[href='/admin/messages/'] [data-testid=sidebar-badge]")
               ).to_have_count(0)
    finally:
        context.close()
