"""A cashier pays a member's bill from the member's account at the teller page for payments, in a real
browser: Banking → Payment in the sidebar, find the account by member name, review (whose account, the
balance after), post, and get the printable receipt. A payment with no payee is refused on the form."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.ledger import services as ledger
from apps.ledger.models import Account, Transaction
from tests.ledger.factories import fund, make_member, open_account

from .pages import BROWSER_TEST, SHOTS, new_page, sign_in

pytestmark = BROWSER_TEST

PAYEE = "ECG prepaid, meter 0123456"


@pytest.fixture
def savings(make_user):
    """Abena Darko's account with GH₵ 1,000.00 in it, and the cashier (drawer open) who serves her."""
    cashier = make_user("cashier", first_name="Ama", last_name="Owusu")
    operations = make_user("operations_manager")
    member = make_member(registrar=cashier, verifier=operations, first_name="Abena", last_name="Darko")
    account = fund(open_account(actor=cashier, member=member), "1000.00", cashier=cashier)
    return cashier, account


def balance(account) -> Decimal:
    return Account.objects.get(pk=account.pk).balance


def money(amount: Decimal) -> str:
    return f"GH₵ {amount:,.2f}"


def open_payment_page_from_sidebar(page):
    from playwright.sync_api import expect

    sidebar = page.locator("#nav-sidebar-apps")
    payment = sidebar.get_by_role("link").filter(has=page.get_by_text("Payment", exact=True))
    if not payment.is_visible():  # Banking is a collapsible group (sign_in waited for the page's scripts)
        sidebar.get_by_role("heading", name="Banking").click()
    payment.click()
    page.wait_for_load_state()  # the look-up box is an Alpine component: let it start before typing
    expect(page).to_have_url(re.compile(re.escape(reverse("admin:ledger_teller_payment")) + "$"))
    expect(page.get_by_test_id("teller-form")).to_be_visible()


def choose_account_by_name(page, name, account):
    from playwright.sync_api import expect

    page.locator("#account-lookup").fill(name)
    choice = page.get_by_role("listitem").filter(has_text=f"{name} ({account.member.member_number})")
    expect(choice).to_contain_text(account.account_number)
    choice.click()
    expect(page.locator("input[name=account]")).to_have_value(account.account_number)


def test_cashier_pays_a_bill_from_a_members_account_and_prints_the_receipt(browser, live_server, savings):
    from playwright.sync_api import expect

    cashier, account = savings
    amount = Decimal("120.00")
    fee = ledger.compute_fee(transaction_type=Transaction.Type.PAYMENT, product=account.product, amount=amount)
    after = Decimal("1000.00") - amount - fee

    context, page = new_page(browser, live_server, 1400, 900)
    sign_in(page, cashier.email)
    open_payment_page_from_sidebar(page)
    choose_account_by_name(page, "Abena Darko", account)
    page.fill("input[name=amount]", "120.00")
    page.fill("input[name=description]", PAYEE)
    page.get_by_role("button", name=re.compile("Review")).click()

    # --- the confirmation: whose account, what it costs, the balance after --------------------------
    confirm = page.get_by_test_id("teller-confirm")
    expect(confirm).to_be_visible()
    expect(confirm.get_by_test_id("member-card")).to_contain_text("Abena Darko")
    expect(confirm.get_by_test_id("confirm-account")).to_have_text(account.account_number)
    expect(confirm.get_by_test_id("confirm-amount")).to_have_text(money(amount))
    expect(confirm.get_by_test_id("confirm-fee")).to_have_text(money(fee))
    expect(confirm.get_by_role("row", name="Balance after")).to_contain_text(money(after))
    expect(confirm).to_contain_text(PAYEE)
    assert balance(account) == Decimal("1000.00")  # nothing moves on review
    page.screenshot(path=str(SHOTS / "teller-payment-confirm.png"), full_page=True)

    # --- post it: the printable receipt -----------------------------------------------------------
    page.get_by_test_id("post-button").click()
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_be_visible()
    txn = Transaction.objects.get(from_account=account, transaction_type=Transaction.Type.PAYMENT)
    expect(page).to_have_url(re.compile(re.escape(reverse("admin:ledger_teller_receipt", args=[txn.pk])) + "$"))
    expect(receipt).to_contain_text("Payment receipt")
    expect(receipt.get_by_test_id("receipt-reference")).to_have_text(txn.reference)
    expect(receipt.get_by_test_id("receipt-amount")).to_have_text(money(amount))
    expect(receipt.get_by_test_id("receipt-balance")).to_have_text(money(after))
    expect(receipt).to_contain_text(PAYEE)
    expect(receipt.get_by_test_id("print-button")).to_be_visible()
    page.screenshot(path=str(SHOTS / "teller-payment-receipt.png"), full_page=True)
    context.close()

    assert txn.status == Transaction.Status.COMPLETED and txn.description == PAYEE
    assert (txn.amount, txn.fee or Decimal("0.00")) == (amount, fee)
    assert Transaction.objects.filter(from_account=account).count() == 1
    assert balance(account) == after


def test_a_payment_without_a_payee_is_refused_on_the_form(browser, live_server, savings):
    from playwright.sync_api import expect

    cashier, account = savings
    context, page = new_page(browser, live_server, 1400, 900)
    sign_in(page, cashier.email)
    open_payment_page_from_sidebar(page)
    choose_account_by_name(page, "Abena Darko", account)
    page.fill("input[name=amount]", "50.00")
    page.get_by_role("button", name=re.compile("Review")).click()

    expect(page.get_by_text("Say who the payment is to.")).to_be_visible()
    expect(page.get_by_test_id("teller-confirm")).to_have_count(0)
    expect(page.get_by_test_id("teller-form")).to_be_visible()
    expect(page.locator("input[name=account]")).to_have_value(account.account_number)  # kept for a retry
    expect(page.locator("input[name=amount]")).to_have_value("50.00")
    context.close()

    assert not Transaction.objects.filter(from_account=account).exists()
    assert balance(account) == Decimal("1000.00")
