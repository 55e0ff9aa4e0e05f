"""Review steps that run the posting's own checks, in a real browser: a cashier's withdrawal the
member cannot cover is refused at review (no Post button), and a member's portal transfer shows the
payee's name partly masked and the fee before anything is sent; a transfer to someone else's frozen
account is refused before the confirm page without saying why."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from apps.ledger import services as ledger
from apps.ledger.models import Account, ServiceCharge, Transaction
from tests.ledger.factories import fund, make_member, open_account

from ..support import PASSWORD
from .pages import BROWSER_TEST, SHOTS, new_page, sign_in

pytestmark = BROWSER_TEST


@pytest.fixture
def people(make_user):
    cashier = make_user("cashier", first_name="Ama", last_name="Owusu")
    operations = make_user("operations_manager")
    customer = make_user("customer", first_name="Kofi", last_name="Mensah")
    own = make_member(registrar=cashier, verifier=operations, user=customer, first_name="Kofi", last_name="Mensah")
    savings = fund(open_account(actor=cashier, member=own, kind="monthly_contribution"), "500.00", cashier=cashier)
    payee = make_member(registrar=cashier, verifier=operations, first_name="Abena", last_name="Darko")
    payee_account = open_account(actor=cashier, member=payee, kind="monthly_contribution")
    return {"cashier": cashier, "customer": customer, "savings": savings, "payee_account": payee_account}


def balance(account) -> Decimal:
    return Account.objects.get(pk=account.pk).balance


def test_a_withdrawal_the_member_cannot_cover_is_refused_at_review(browser, live_server, people):
    from playwright.sync_api import expect

    cashier, savings = people["cashier"], people["savings"]
    cashier.daily_transaction_limit = Decimal("100.00")  # over the limit too: funds are the reason given
    cashier.save(update_fields=["daily_transaction_limit"])
    context, page = new_page(browser, live_server, 1400, 900)
    sign_in(page, cashier.email)
    page.goto(reverse("admin:ledger_teller_withdrawal"))
    page.fill("input[name=account]", savings.account_number)
    page.fill("input[name=amount]", "800.00")
    page.get_by_role("button", name=re.compile("Review")).click()
    page.wait_for_load_state()

    errors = page.get_by_test_id("form-errors")
    expect(errors).to_contain_text("Insufficient funds")
    expect(errors).not_to_contain_text("daily limit")
    expect(page.get_by_test_id("teller-confirm")).to_have_count(0)
    expect(page.get_by_test_id("post-button")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "teller-review-refused.png"), full_page=True)
    assert balance(savings) == Decimal("500.00")
    assert not Transaction.objects.filter(transaction_type="withdrawal").exists()
    context.close()


@pytest.fixture
def portal_site(transactional_db):
    """The portal's pages read the default Wagtail site: a flushed database has none."""
    from wagtail.models import Locale, Page, Site

    if not Site.objects.filter(is_default_site=True).exists():
        from wagtail.coreutils import get_supported_content_language_variant

        Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        Site.objects.create(hostname="localhost", root_page=root, is_default_site=True, site_name="Coastal")


def portal_sign_in(page, email):
    page.goto("/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_portal_transfer_confirm_shows_the_masked_payee_and_the_fee(browser, live_server, people, portal_site):
    from playwright.sync_api import expect

    ServiceCharge.objects.create(name="Transfer fee", transaction_type="transfer", kind="flat",
                                 amount=Decimal("2.00"), is_active=True)
    savings, payee_account = people["savings"], people["payee_account"]
    context, page = new_page(browser, live_server, 390, 844)  # a phone
    portal_sign_in(page, people["customer"].email)
    page.goto("/my/transfer/")
    page.fill("input[name=to_account_number]", payee_account.account_number)
    page.fill("input[name=amount]", "50.00")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()

    confirm = page.get_by_test_id("transfer-confirm")
    expect(confirm).to_be_visible()
    expect(page.get_by_test_id("payee-name")).to_have_text("Ab*** Da***")
    expect(confirm).not_to_contain_text("Abena")
    expect(page.get_by_test_id("confirm-fee")).to_have_text("GH₵ 2.00")
    expect(page.get_by_test_id("confirm-total")).to_have_text("GH₵ 52.00")
    page.screenshot(path=str(SHOTS / "portal-transfer-confirm.png"), full_page=True)
    assert balance(savings) == Decimal("500.00")  # nothing sent yet

    page.get_by_test_id("send-button").click()
    page.wait_for_load_state()
    expect(page.locator("body")).to_contain_text("is complete")
    assert balance(savings) == Decimal("448.00") and balance(payee_account) == Decimal("50.00")
    context.close()


def test_portal_transfer_to_a_frozen_account_never_reaches_confirm(browser, live_server, people, make_user,
                                                                   portal_site):
    from playwright.sync_api import expect

    manager = make_user("manager")
    ledger.account_set_status(actor=manager, account=people["payee_account"], status=Account.Status.FROZEN,
                              reason="Estate of the late member")
    context, page = new_page(browser, live_server, 390, 844)
    portal_sign_in(page, people["customer"].email)
    page.goto("/my/transfer/")
    page.fill("input[name=to_account_number]", people["payee_account"].account_number)
    page.fill("input[name=amount]", "50.00")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"Account {people['payee_account'].account_number} cannot receive transfers.")
    expect(page.locator("body")).not_to_contain_text("Estate")
    expect(page.get_by_test_id("transfer-confirm")).to_have_count(0)
    assert balance(people["savings"]) == Decimal("500.00")
    context.close()
