"""Issue 14's journey in a real browser: a customer applies for a loan in the portal (preview, then
apply), the guarantor accepts in their portal, a manager approves and disburses it in the console, and
the customer repays from their account in the portal and sees the receipt and the schedule update.
Nothing is changed in the database between the steps; the final checks read what the pages did."""

import re
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from apps.ledger.models import Account, Posting
from apps.loans.models import Loan, LoanGuarantee, LoanInstalment, LoanTransaction
from apps.loans.services import loan_product_create
from tests.ledger.factories import fund, make_member, open_account
from tests.loans.conftest import product_fields

from ..support import PASSWORD, add_totp_device, totp_code
from .pages import BROWSER_TEST, SHOTS, new_page

pytestmark = BROWSER_TEST

AMOUNT = Decimal("8000.00")
PLEDGE = Decimal("3000.00")
PAYMENT = Decimal("500.00")
PURPOSE = "Stock for the shop"


def money(amount: Decimal) -> str:
    return f"GH₵ {amount:,.2f}"


def plain(amount: Decimal) -> str:
    return f"{amount:,.2f}"


@pytest.fixture
def portal_site(transactional_db):
    """The portal's pages read the default Wagtail site: a flushed database has none."""
    from django.conf import settings
    from wagtail.models import Locale, Page, Site

    if not Site.objects.filter(is_default_site=True).exists():
        from wagtail.coreutils import get_supported_content_language_variant

        Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        Site.objects.create(hostname="localhost", root_page=root, is_default_site=True, site_name="Coastal")


@pytest.fixture
def journey(make_user, portal_site):
    """Esi Quaye (customer, 5,000 of savings), Kofi Asante (guarantor, 3,000), the salary loan product
    made by an operations manager, and a manager with an authenticator who is neither of them."""
    cashier = make_user("cashier", first_name="Ama", last_name="Owusu")
    operations = make_user("operations_manager")
    product = loan_product_create(actor=operations, fees=[
        {"name": "Processing fee", "kind": "percent", "amount": Decimal("1"), "when": "disbursement"}],
        **product_fields())
    user = make_user("customer", first_name="Esi", last_name="Quaye")
    member = make_member(registrar=cashier, verifier=operations, user=user, first_name="Esi", last_name="Quaye")
    account = fund(open_account(actor=cashier, member=member, kind="monthly_contribution"), "5000.00",
                   cashier=cashier)
    g_user = make_user("customer", first_name="Kofi", last_name="Asante")
    guarantor = make_member(registrar=cashier, verifier=operations, user=g_user, first_name="Kofi",
                            last_name="Asante")
    g_account = fund(open_account(actor=cashier, member=guarantor, kind="monthly_contribution"), "3000.00",
                     cashier=cashier)
    manager = make_user("manager", first_name="Efua", last_name="Mensah")
    return {"product": product, "user": user, "member": member, "account": account, "g_user": g_user,
            "guarantor": guarantor, "g_account": g_account, "manager": manager, "device": add_totp_device(manager)}


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


def test_apply_guarantee_approve_disburse_and_repay(browser, live_server, journey):
    from playwright.sync_api import expect

    j = journey
    product, account, guarantor = j["product"], j["account"], j["guarantor"]

    # --- 1. the customer applies in the portal: preview the schedule, then apply ----------------------
    customer, page = new_page(browser, live_server, 1280, 900)
    portal_sign_in(page, j["user"].email)
    expect(page).to_have_url(re.compile(r"/my/$"))
    page.goto("/my/loans/")
    page.get_by_role("link", name="Apply for a loan").click()
    expect(page).to_have_url(re.compile(r"/my/loans/apply/$"))
    page.select_option("select[name=product]", value=str(product.pk))
    page.fill("input[name=amount]", "8000.00")
    page.fill("input[name=term]", "12")
    page.fill("input[name=purpose]", PURPOSE)
    page.select_option("select[name=account]", value=str(account.pk))
    page.fill("input[name=guarantor_1]", guarantor.member_number)
    page.fill("input[name=guarantor_1_amount]", "3000.00")
    page.get_by_role("button", name="Preview schedule").click()

    preview = page.get_by_test_id("apply-preview")
    expect(preview).to_be_visible()
    expect(preview.get_by_role("heading")).to_have_text(f"{product.name}: {money(AMOUNT)} over 12 repayments")
    expect(preview.locator("tbody tr")).to_have_count(12)
    expect(preview).to_contain_text(f"({guarantor.member_number}) for {money(PLEDGE)}")
    expect(preview).to_contain_text("Processing fee: GH₵ 80.00, taken from the amount paid out")
    assert not Loan.objects.exists()  # a preview submits nothing
    page.screenshot(path=str(SHOTS / "loan-journey-1-preview.png"), full_page=True)

    page.get_by_test_id("apply-button").click()
    expect(page.get_by_test_id("status")).to_have_text("Submitted")
    loan = Loan.objects.get(member=j["member"])
    expect(page.locator("ul.messages")).to_contain_text(f"Your application {loan.number} for {money(AMOUNT)} "
                                                        "is submitted")
    page.get_by_role("link", name="← My loans").click()
    row = page.get_by_test_id(f"loan-{loan.number}")
    expect(row).to_contain_text("Submitted")
    expect(row.get_by_test_id("outstanding")).to_have_text("—")
    page.screenshot(path=str(SHOTS / "loan-journey-2-submitted.png"), full_page=True)

    # --- 2. the guarantor accepts in their own portal ------------------------------------------------------
    g_context, g_page = new_page(browser, live_server, 390, 844)  # a phone
    portal_sign_in(g_page, j["g_user"].email)
    g_page.goto("/my/loans/")
    g_page.get_by_test_id("guarantee-requests-link").get_by_role("link").click()
    expect(g_page).to_have_url(re.compile(r"/my/loans/guarantees/$"))
    request_row = g_page.get_by_test_id("guarantee-requests").locator("tbody tr").filter(has_text=loan.number)
    expect(request_row).to_contain_text("Esi Quaye")
    expect(request_row).to_contain_text(plain(PLEDGE))
    request_row.get_by_role("link", name="Answer").click()
    expect(g_page.get_by_role("heading", level=1)).to_have_text(f"Guarantee loan {loan.number}?")
    expect(g_page.get_by_role("radio")).to_be_checked()  # their one savings account
    g_page.get_by_role("button", name=f"Accept and hold {money(PLEDGE)}").click()
    expect(g_page.get_by_role("status")).to_contain_text(
        f"You guarantee loan {loan.number}: {money(PLEDGE)} is held on account {j['g_account'].account_number}")
    expect(g_page.locator("main")).to_contain_text("No one is waiting for you to guarantee a loan.")
    g_page.screenshot(path=str(SHOTS / "loan-journey-3-guarantee.png"), full_page=True)
    g_context.close()

    # --- 3. the manager approves in the console --------------------------------------------------------
    m_context, m_page = new_page(browser, live_server, 1400, 900)
    console_sign_in(m_page, j["manager"], j["device"])
    expect(m_page).to_have_url(f"{live_server.url}/admin/")
    sidebar = m_page.locator("#nav-sidebar-apps")
    item = sidebar.get_by_role("link").filter(has=m_page.get_by_text("Loan applications", exact=True))
    if not item.is_visible():  # Loans is a collapsible group
        sidebar.get_by_role("heading", name="Loans").click()
    item.click()
    expect(m_page).to_have_url(re.compile(re.escape(reverse("admin:loans_loan_changelist"))))
    m_page.get_by_role("link", name=loan.number, exact=True).click()
    expect(m_page).to_have_url(re.compile(re.escape(reverse("admin:loans_loan_change", args=[loan.pk]))))

    panel = m_page.locator("table.eligibility")
    expect(panel.locator("tr")).to_have_count(6)
    expect(panel.get_by_text("Passed", exact=True)).to_have_count(6)
    expect(panel.get_by_text("Failed", exact=True)).to_have_count(0)
    expect(panel).to_contain_text("1 of 1 guarantor accepted, pledging GH₵ 3,000.00")
    m_page.screenshot(path=str(SHOTS / "loan-journey-4-eligibility.png"), full_page=True)

    m_page.get_by_role("link", name=re.compile(r"\bApprove$")).click()
    dialog = m_page.locator("#dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Approve the application")
    dialog.get_by_role("button", name="Approve").click()
    expect(m_page.get_by_text(f"Loan {loan.number} approved.")).to_be_visible()
    expect(m_page.locator("body")).to_contain_text("Checked when the application was decided.")

    # --- 4. ... and disburses it into the member's account ---------------------------------------------
    m_page.get_by_role("link", name=re.compile(r"\bDisburse$")).click()
    expect(m_page.get_by_test_id("loan-action-form")).to_be_visible()
    m_page.get_by_role("button", name=re.compile("Review")).click()
    confirm = m_page.get_by_test_id("loan-confirm")
    expect(confirm).to_be_visible()
    expect(confirm.get_by_test_id("deducted-fees")).to_have_text(money(Decimal("80.00")))
    expect(confirm.get_by_test_id("paid-out")).to_have_text(money(Decimal("7920.00")))
    expect(confirm).to_contain_text(f"Paid out into account {account.account_number}")
    expect(confirm.get_by_test_id("disbursal-schedule").locator("tbody tr")).to_have_count(12)
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.APPROVED  # a review pays out nothing
    m_page.screenshot(path=str(SHOTS / "loan-journey-5-disburse-confirm.png"), full_page=True)

    m_page.get_by_test_id("confirm-button").click()
    expect(m_page.get_by_text(f"Loan {loan.number} disbursed.")).to_be_visible()
    expect(m_page.get_by_test_id("loan-status")).to_have_text("Active")
    expect(m_page.get_by_test_id("loan-schedule").locator("tbody tr")).to_have_count(12)
    expect(m_page.get_by_test_id("out-principal")).to_have_text(money(AMOUNT))
    m_page.screenshot(path=str(SHOTS / "loan-journey-6-active.png"), full_page=True)
    m_context.close()

    first = LoanInstalment.objects.get(loan=loan, number=1)
    owed_before = sum((i.outstanding for i in LoanInstalment.objects.filter(loan=loan)), Decimal("0"))

    # --- 5. the customer repays from their account in the portal --------------------------------------
    page.goto("/my/loans/")
    page.get_by_test_id(f"loan-{loan.number}").get_by_role("link", name=loan.number).click()
    expect(page.get_by_test_id("status")).to_have_text("Active")
    expect(page.get_by_test_id("outstanding").locator("strong")).to_have_text(money(owed_before))
    instalment_1 = page.get_by_test_id("instalment-1")
    expect(instalment_1).to_have_attribute("data-status", "pending")
    expect(instalment_1).to_contain_text(plain(first.total))
    page.get_by_role("link", name="Pay from my account").click()
    expect(page.locator("input[name=amount]")).to_have_value(plain(first.total).replace(",", ""))
    page.fill("input[name=amount]", "500.00")
    page.select_option("select[name=from_account]", value=str(account.pk))
    page.get_by_role("button", name="Continue").click()

    confirm = page.get_by_test_id("loan-pay-confirm")
    expect(confirm).to_be_visible()
    expect(confirm.get_by_test_id("confirm-amount")).to_have_text(money(PAYMENT))
    expect(confirm).to_contain_text(account.account_number)
    expect(confirm.get_by_test_id("allocation-preview")).to_contain_text("Interest")
    assert not LoanTransaction.objects.filter(loan=loan, kind="repayment").exists()  # nothing paid yet
    page.screenshot(path=str(SHOTS / "loan-journey-7-pay-confirm.png"), full_page=True)

    page.get_by_test_id("pay-button").click()
    receipt = page.get_by_test_id("loan-receipt")
    expect(receipt).to_be_visible()
    expect(receipt.get_by_test_id("receipt-amount")).to_have_text(money(PAYMENT))
    payment = LoanTransaction.objects.get(loan=loan, kind="repayment")
    allocation = receipt.get_by_test_id("allocation")
    for label, value in (("Interest", payment.interest), ("Principal", payment.principal)):
        expect(allocation.locator("tr").filter(has_text=label)).to_contain_text(plain(value))
    expect(receipt.get_by_test_id("outstanding-after")).to_have_text(money(owed_before - PAYMENT))
    page.screenshot(path=str(SHOTS / "loan-journey-8-receipt.png"), full_page=True)

    page.get_by_role("link", name="Back to the loan").click()
    expect(page.get_by_test_id("outstanding").locator("strong")).to_have_text(money(owed_before - PAYMENT))
    expect(instalment_1).to_have_attribute("data-status", re.compile(r"^(partly_paid|paid)$"))
    expect(instalment_1).to_contain_text(re.compile(r"Partly paid|Paid"))
    expect(instalment_1.locator("td").nth(6)).to_have_text(plain(PAYMENT))
    expect(page.get_by_test_id("instalment-2")).to_have_attribute("data-status", "pending")
    expect(page.get_by_test_id("loan-payments").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("loan-payments")).to_contain_text(plain(PAYMENT))
    page.screenshot(path=str(SHOTS / "loan-journey-9-schedule.png"), full_page=True)
    customer.close()

    # --- what the pages did, in the books -------------------------------------------------------------
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE and loan.approved_amount == AMOUNT
    assert loan.guarantees.get().status == LoanGuarantee.Status.ACCEPTED
    assert payment.amount == PAYMENT and payment.principal + payment.interest + payment.fees + payment.penalties \
        == PAYMENT
    first.refresh_from_db()
    assert first.total_paid == PAYMENT
    after = sum((i.outstanding for i in LoanInstalment.objects.filter(loan=loan)), Decimal("0"))
    assert after == owed_before - PAYMENT
    # savings 5,000 + 7,920 paid out − 500 repaid
    assert Account.objects.get(pk=account.pk).balance == Decimal("12420.00")
    totals = Posting.objects.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    assert totals["debit"] == totals["credit"]
    assert Posting.objects.filter(account=account).aggregate(
        net=Sum("credit") - Sum("debit"))["net"] == Decimal("12420.00")
