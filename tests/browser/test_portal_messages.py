"""The member's Messages page and bell in a real browser, 360 px wide: a staff answer appears in the open
thread without a reload when the live event for that thread arrives (and not for another thread's), the
bell's count rises on a notification event, a reply is sent with its text shown as typed.

The test server here is WSGI (no websocket), so the live events are dispatched on <body> as live.js
dispatches them; the websocket's own delivery is tested in tests/messaging/test_consumer.py."""

import pytest

from apps.messaging import services

from ..support import PASSWORD
from .pages import BROWSER_TEST, SHOTS, new_page

pytestmark = BROWSER_TEST


def portal_sign_in(page, email):
    page.goto("/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def live_event(page, kind, detail):
    page.evaluate("([kind, detail]) => document.body.dispatchEvent("
                  "new CustomEvent('live:' + kind, {detail: detail, bubbles: true}))", [kind, detail])


@pytest.fixture
def chat(make_user):
    member = make_user("customer", first_name="Efua", last_name="Mensah")
    cashier = make_user("cashier", first_name="Ama", last_name="Owusu")
    thread = services.thread_create(actor=member, subject="Lost card", body="Please block my card")
    services.thread_pick_up(actor=cashier, thread_id=thread.pk)  # the member's first notification
    other = services.thread_create(actor=member, subject="Statement", body="June please")
    return {"member": member, "cashier": cashier, "thread": thread, "other": other}


def test_a_staff_answer_appears_live_and_the_member_replies(browser, live_server, chat):
    from playwright.sync_api import expect

    context, page = new_page(browser, live_server, 360, 740)
    try:
        portal_sign_in(page, chat["member"].email)
        expect(page.get_by_test_id("notification-count")).to_have_text("1")
        page.get_by_test_id("messages-nav").click()
        expect(page.get_by_role("heading", name="Messages")).to_be_visible()
        page.screenshot(path=str(SHOTS / "portal-inbox-360.png"), full_page=True)
        page.get_by_role("link", name="Lost card").click()
        messages = page.get_by_test_id("message-list").get_by_test_id("message")
        expect(messages).to_have_count(1)
        page.wait_for_function("() => window.htmx && window.CoastalLive")

        # A message in another thread: its event leaves this list alone.
        services.message_post(actor=chat["member"], thread_id=chat["other"].pk, body="Any news?")
        services.message_post(actor=chat["cashier"], thread_id=chat["thread"].pk,
                              body="Blocked.\n<b>A new card</b> is on its way.")
        live_event(page, "message.new", {"type": "message.new", "thread_id": chat["other"].pk})
        page.wait_for_timeout(1500)
        expect(messages).to_have_count(1)
        live_event(page, "message.new", {"type": "message.new", "thread_id": chat["thread"].pk})
        expect(messages).to_have_count(2, timeout=5000)  # the event, well before the 20 s poll
        answer = messages.nth(1)
        expect(answer).to_contain_text("Ama Owusu")
        expect(answer).to_contain_text("<b>A new card</b> is on its way.")  # shown as typed, not as markup
        expect(page.locator(".message-body b")).to_have_count(0)
        assert services.thread_for(chat["member"], chat["thread"].pk).unread == 0  # read as it appeared

        # A notification arrives: the bell's count goes up without a reload.
        services.notify(chat["member"], "service_desk.picked_up", "Ama Owusu is answering", "Statement")
        live_event(page, "notification.new", {"type": "notification.new"})
        expect(page.get_by_test_id("notification-count")).to_have_text("2")

        page.get_by_label("Your message").fill("Thank you!\nSee you tomorrow.")
        page.get_by_role("button", name="Send").click()
        expect(messages).to_have_count(3)
        expect(messages.nth(2)).to_contain_text("See you tomorrow.")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"the thread page is {width}px wide at 360px"
        page.screenshot(path=str(SHOTS / "portal-thread-360.png"), full_page=True)

        page.get_by_test_id("notification-bell").click()
        expect(page.get_by_test_id("notification")).to_have_count(2)
        page.screenshot(path=str(SHOTS / "portal-notifications-360.png"), full_page=True)
        page.get_by_test_id("mark-all-read").click()
        expect(page.get_by_test_id("notification-count")).to_have_count(0)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"the notifications page is {width}px wide at 360px"
    finally:
        context.close()
