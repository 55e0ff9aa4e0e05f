"""Issue 15 in a real browser, two people at once, served by the ASGI live server (asgi_server.py):

- a member has their conversation with the credit union open in the portal; the cashier answering it
  replies, and the reply appears in the member's page without a reload;
- a manager has the console open; a cashier pays out a withdrawal above the approval threshold at
  the teller screen, and the count on the manager's notification bell goes up without a reload."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.ledger.models import LedgerPolicy, Transaction
from apps.messaging import services
from apps.messaging.models import Message, Notification
from tests.ledger.factories import fund, make_member, open_account

from ..support import PASSWORD, add_totp_device, totp_code
from .pages import BROWSER_TEST, SHOTS, api_headers, new_page, sign_in, wait_until_live

pytestmark = BROWSER_TEST

REPLY = "Your new passbook is ready: collect it at the Osu branch from Monday."


@pytest.fixture
def portal_site(transactional_db):
    """The portal's pages read the default Wagtail site: a flushed database has none."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page, Site

    if not Site.objects.filter(is_default_site=True).exists():
        Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        Site.objects.create(hostname="localhost", root_page=root, is_default_site=True, site_name="Coastal")


@pytest.fixture
def branch(make_user, portal_site):
    """Abena Darko (a member who uses the portal, GH₵ 1,000.00 saved), the cashier Ama Owusu (drawer
    open) and the manager Efua Mensah (with an authenticator)."""
    cashier = make_user("cashier", first_name="Ama", last_name="Owusu")
    operations = make_user("operations_manager")
    user = make_user("customer", first_name="Abena", last_name="Darko")
    member = make_member(registrar=cashier, verifier=operations, user=user, first_name="Abena", last_name="Darko")
    account = fund(open_account(actor=cashier, member=member), "1000.00", cashier=cashier)
    manager = make_user("manager", first_name="Efua", last_name="Mensah")
    return {"cashier": cashier, "user": user, "member": member, "account": account, "manager": manager,
            "device": add_totp_device(manager)}


def portal_sign_in(page, email):
    page.goto("/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def console_sign_in(page, user, device):
    page.goto("/admin/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", totp_code(device))
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()


def mark_document(page):
    """Mark the page's document: a reload (or a navigation) loses the mark."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page):
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded: the change did not come live"


def test_a_cashiers_reply_appears_in_the_members_open_messages_page(browser, asgi_live_server, branch):
    from playwright.sync_api import expect

    user, cashier = branch["user"], branch["cashier"]
    # The member wrote from the portal; the cashier picked the thread up from the service-desk queue.
    thread = asgi_live_server.call(services.thread_create, actor=user, subject="Lost passbook",
                                   body="I lost my passbook at the market. What do I do?")
    asgi_live_server.call(services.thread_pick_up, actor=cashier, thread_id=thread.pk)

    member_context, page = new_page(browser, asgi_live_server, 1280, 900)
    portal_sign_in(page, user.email)
    response = page.goto(reverse("portal:thread", args=[thread.pk]))  # the member's Messages page, one thread
    assert response.status == 200
    messages = page.get_by_test_id("message-list")
    expect(messages.get_by_test_id("message")).to_have_count(1)
    expect(messages).to_contain_text("I lost my passbook at the market.")
    expect(messages).not_to_contain_text(REPLY)
    wait_until_live(page)
    mark_document(page)

    # The cashier replies through the API, from their own browser.
    desk = browser.new_context(base_url=asgi_live_server.url)
    headers = api_headers(desk, cashier, otp=totp_code(add_totp_device(cashier)))
    reply = desk.request.post(f"/api/threads/{thread.pk}/messages/", headers=headers, data={"body": REPLY})
    assert reply.status == 201, reply.text()

    # expect() waits 5 s: less than the page's 20 s poll, so the reply came with the live event.
    expect(messages.get_by_test_id("message")).to_have_count(2)
    expect(messages).to_contain_text(REPLY)
    assert_same_document(page)
    page.screenshot(path=str(SHOTS / "live-portal-reply.png"), full_page=True)
    desk.close()
    member_context.close()

    assert list(Message.objects.filter(thread=thread).order_by("pk").values_list("sender", "body"))[1] \
        == (cashier.pk, REPLY)


def notification_count(page) -> int:
    """The number on the bell; 0 when the bell shows none."""
    count = page.get_by_test_id("notification-count")
    if count.count() == 0 or not count.first.is_visible():
        return 0
    text = count.first.inner_text().strip()
    return int(text) if text else 0


def test_a_large_withdrawal_raises_the_count_on_the_managers_bell(browser, asgi_live_server, branch):
    from playwright.sync_api import expect

    cashier, manager, account = branch["cashier"], branch["manager"], branch["account"]
    LedgerPolicy.objects.update_or_create(pk=LedgerPolicy.current().pk, defaults={"approval_threshold": "100.00"})

    office, page = new_page(browser, asgi_live_server, 1400, 900)
    console_sign_in(page, manager, branch["device"])
    page.goto("/admin/")
    expect(page.get_by_test_id("notification-bell")).to_be_visible()
    wait_until_live(page)
    before = notification_count(page)
    mark_document(page)

    # At the counter: a GH₵ 500.00 withdrawal, above the GH₵ 100.00 threshold, waits for a manager.
    counter, teller = new_page(browser, asgi_live_server, 1400, 900)
    sign_in(teller, cashier.email)
    teller.goto(reverse("admin:ledger_teller_withdrawal") + f"?account={account.account_number}")
    expect(teller.locator("input[name=account]")).to_have_value(account.account_number)
    teller.fill("input[name=amount]", "500.00")
    teller.fill("input[name=description]", "School fees")
    teller.get_by_role("button", name=re.compile("Review")).click()
    expect(teller.get_by_test_id("approval-note")).to_be_visible()
    teller.get_by_test_id("post-button").click()
    expect(teller.get_by_test_id("pending-approval")).to_be_visible()
    txn = Transaction.objects.get(from_account=account, transaction_type=Transaction.Type.WITHDRAWAL)
    assert txn.status == Transaction.Status.PENDING and txn.amount == Decimal("500.00")

    expect(page.get_by_test_id("notification-count")).to_have_text(str(before + 1))  # within 5 s: no poll
    assert_same_document(page)
    page.screenshot(path=str(SHOTS / "live-manager-bell.png"))
    counter.close()
    office.close()

    assert Notification.objects.filter(user=manager, read_at__isnull=True).count() == before + 1
