"""A member leaves: in a real browser a cashier opens Banking → Shares pay-out (member exit), finds the
member's Shares account by name, chooses another account of the member's to pay the shares into, gives
the reason, reviews (member, shares held, the account paid into, a manager must approve) and submits;
the page says it is waiting for a manager's approval, and the manager's approvals queue lists it."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.ledger.models import Account, Product, Transaction
from tests.ledger.factories import fund, make_member, open_account

from ..support import PASSWORD, add_totp_device, totp_code
from .pages import BROWSER_TEST, SHOTS, new_page, sign_in

pytestmark = BROWSER_TEST

REASON = "Relocating to Kumasi"


@pytest.fixture
def leaving(make_user):
    """Abena Darko holds ten shares and has a Monthly Contribution account; a cashier and a manager."""
    cashier = make_user("cashier", first_name="Ama", last_name="Owusu")
    operations = make_user("operations_manager")
    manager = make_user("manager", first_name="Efua", last_name="Mensah")
    member = make_member(registrar=cashier, verifier=operations, first_name="Abena", last_name="Darko")
    price = Product.objects.get(kind="shares").share_price
    shares = fund(open_account(actor=cashier, member=member, kind="shares"), price * 10, cashier=cashier)
    savings = open_account(actor=cashier, member=member, kind="monthly_contribution")
    return cashier, manager, shares, savings


def money(amount: Decimal) -> str:
    return f"GH₵ {amount:,.2f}"


def test_cashier_submits_a_members_exit_and_the_manager_sees_it_waiting(browser, live_server, leaving):
    from playwright.sync_api import expect

    cashier, manager, shares, savings = leaving
    held = shares.balance

    context, page = new_page(browser, live_server, 1400, 900)
    sign_in(page, cashier.email)
    sidebar = page.locator("#nav-sidebar-apps")
    item = sidebar.get_by_role("link").filter(has=page.get_by_text("Shares pay-out (member exit)", exact=True))
    if not item.is_visible():  # Banking is a collapsible group
        sidebar.get_by_role("heading", name="Banking").click()
    item.click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(re.escape(reverse("admin:ledger_teller_shares_exit")) + "$"))

    # --- find the member's Shares account; the page then offers their other accounts -------------------
    page.locator("#account-lookup").fill("Abena Darko")
    choice = page.get_by_role("listitem").filter(has_text=f"Abena Darko ({shares.member.member_number})")
    expect(choice).to_contain_text(shares.account_number)
    expect(page.get_by_role("listitem").filter(has_text=savings.account_number)).to_have_count(0)  # Shares only
    choice.click()
    page.wait_for_load_state()
    expect(page.locator("input[name=account]")).to_have_value(shares.account_number)
    expect(page.get_by_test_id("shares-held")).to_have_text(money(held))
    page.locator(f'[data-testid=destination][data-account="{savings.account_number}"]').click()
    expect(page.locator("input[name=to_account]")).to_have_value(savings.account_number)
    page.fill("input[name=reason]", REASON)
    page.get_by_role("button", name=re.compile("Review")).click()

    # --- review: whose shares, how much, where to, and that a manager must approve ------------------------
    confirm = page.get_by_test_id("teller-confirm")
    expect(confirm).to_be_visible()
    expect(confirm.get_by_test_id("member-card")).to_contain_text("Abena Darko")
    expect(confirm.get_by_test_id("confirm-account")).to_have_text(shares.account_number)
    expect(confirm.get_by_test_id("confirm-amount")).to_have_text(money(held))
    expect(confirm.get_by_test_id("confirm-to-account")).to_contain_text(savings.account_number)
    expect(confirm.get_by_test_id("approval-note")).to_contain_text("waits for a manager's approval")
    expect(confirm.get_by_test_id("confirm-reason")).to_have_text(REASON)
    assert not Transaction.objects.filter(from_account=shares).exists()  # a review submits nothing
    page.screenshot(path=str(SHOTS / "shares-exit-confirm.png"), full_page=True)

    # --- submit: waiting for a manager's approval, with the reference ------------------------------------
    page.get_by_test_id("post-button").click()
    pending = page.get_by_test_id("pending-approval")
    expect(pending).to_be_visible()
    txn = Transaction.objects.get(from_account=shares, purpose="member_exit")
    expect(pending).to_contain_text("waiting for a manager's approval")
    expect(pending.get_by_test_id("pending-reference")).to_have_text(txn.reference)
    expect(pending).to_contain_text(money(held))
    page.screenshot(path=str(SHOTS / "shares-exit-submitted.png"), full_page=True)
    context.close()

    assert txn.status == Transaction.Status.PENDING and txn.amount == held and txn.to_account_id == savings.pk
    assert Account.objects.get(pk=shares.pk).balance == held  # nothing moves before the approval

    # --- the manager's approvals queue lists it ----------------------------------------------------------
    device = add_totp_device(manager)
    context, page = new_page(browser, live_server, 1400, 900)
    page.goto("/admin/login/")
    page.fill("input[name=username]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", totp_code(device))
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()
    page.goto(reverse("admin:ledger_approvals"))
    row = page.locator(f'[data-testid=approval-row][data-reference="{txn.reference}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("Shares pay-out (member exit)")
    expect(row).to_contain_text(money(held))
    expect(row).to_contain_text("Abena Darko")
    expect(row.get_by_test_id("approve-button")).to_be_enabled()
    page.screenshot(path=str(SHOTS / "shares-exit-approvals.png"), full_page=True)
    context.close()
