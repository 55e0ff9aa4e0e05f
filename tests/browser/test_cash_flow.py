"""A cashier's day and a field collection, clicked through in a real browser: open the drawer by
counting the float, take a deposit at the teller screen, close short and see the sign-off wait;
then a mobile banker on a phone-sized screen collects from a member and gets the receipt."""

import re
from decimal import Decimal

from django.urls import NoReverseMatch, reverse

from apps.cash import services as cash
from apps.cash.models import CashDrawer
from apps.ledger import services as ledger
from apps.ledger.models import Transaction
from apps.members.services import member_assign
from tests.ledger.factories import make_member, open_account

from .pages import BROWSER_TEST, SHOTS, new_page, sign_in

pytestmark = BROWSER_TEST


def count(page, prefix, **numbers):
    for name, number in numbers.items():
        page.fill(f"input[name={prefix}-{name}]", str(number))


def teller_deposit_url():
    try:
        return reverse("admin:ledger_teller_deposit")
    except NoReverseMatch:
        return None


def test_cashier_day_and_field_collection(browser, live_server, make_user):
    from playwright.sync_api import expect

    manager = make_user("manager", first_name="Efua", last_name="Mensah")
    operations = make_user("operations_manager")
    cashier = make_user("cashier", first_name="Ama", last_name="Owusu")
    banker = make_user("mobile_banker", first_name="Kwame", last_name="Asante")
    cash.vault_receive(actor=manager, amount="20000.00", note="Bank withdrawal slip 0042")
    cash.float_issue(actor=manager, cashier=cashier, amount="1500.00")
    member = make_member(registrar=cashier, verifier=operations, first_name="Esi", last_name="Quaye")
    account = open_account(actor=cashier, member=member)
    field_member = make_member(registrar=cashier, verifier=operations, first_name="Mansa", last_name="Boateng")
    member_assign(actor=manager, member=field_member, banker=banker)
    susu = open_account(actor=cashier, member=field_member)
    susu.contribution_amount = Decimal("20.00")
    susu.save()

    # --- the cashier opens the drawer by counting the float -------------------------------------
    context, page = new_page(browser, live_server, 1400, 900)
    sign_in(page, cashier.email)
    page.goto(reverse("admin:cash_my_drawer"))
    expect(page.get_by_test_id("float-amount")).to_have_text("GH₵ 1,500.00")
    count(page, "open", n_200_00=5, n_100_00=4, n_50_00=1)
    expect(page.get_by_test_id("count-total")).to_have_text("1,450.00")
    expect(page.get_by_text("50.00 short")).to_be_visible()
    page.fill("input[name=open-n_50_00]", "2")
    expect(page.get_by_test_id("count-total")).to_have_text("1,500.00")
    expect(page.get_by_text("Matches")).to_be_visible()
    page.screenshot(path=str(SHOTS / "cash-open-count.png"), full_page=True)
    page.get_by_test_id("open-drawer").click()
    expect(page.get_by_test_id("drawer-open")).to_be_visible()
    expect(page.get_by_test_id("expected-balance")).to_have_text("1,500.00")
    drawer = CashDrawer.objects.get(cashier=cashier)
    assert drawer.status == CashDrawer.Status.OPEN and cash.vault_balance() == Decimal("18500.00")

    # --- a deposit at the teller screen (or through the service, if the screen is not there) ---------
    deposit_url = teller_deposit_url()
    if deposit_url:
        page.goto(deposit_url)
        page.fill("input[name=account]", account.account_number)
        page.fill("input[name=amount]", "250.00")
        page.get_by_role("button", name=re.compile("Review")).click()
        expect(page.get_by_test_id("teller-confirm")).to_be_visible()
        page.get_by_test_id("post-button").click()
        expect(page.get_by_test_id("receipt")).to_be_visible()
    else:
        ledger.deposit_create(actor=cashier, account=account, amount="250.00")
    assert Transaction.objects.get(to_account=account).counterparty_gl == drawer.gl_account

    page.goto(reverse("admin:cash_my_drawer"))
    expect(page.get_by_test_id("expected-balance")).to_have_text("1,750.00")
    expect(page.get_by_test_id("drawer-activity")).to_contain_text("Esi Quaye")
    page.screenshot(path=str(SHOTS / "cash-drawer-open.png"), full_page=True)

    # --- close 50.00 short: more than the 5.00 tolerance, so it waits for a manager ----------------------
    count(page, "close", n_200_00=5, n_100_00=6, n_50_00=2)
    expect(page.get_by_test_id("close-form").get_by_test_id("count-total")).to_have_text("1,700.00")
    page.fill("input[name=close-total]", "1700.00")
    expect(page.get_by_text("Agrees with the counts")).to_be_visible()
    page.get_by_test_id("close-drawer").click()
    expect(page.get_by_test_id("waiting-signoff")).to_contain_text("waiting for sign-off")
    expect(page.get_by_test_id("result-variance")).to_contain_text("-50.00")
    expect(page.get_by_test_id("result-expected")).to_have_text("GH₵ 1,750.00")
    page.screenshot(path=str(SHOTS / "cash-close-result.png"), full_page=True)
    drawer.refresh_from_db()
    assert (drawer.status, drawer.variance) == (CashDrawer.Status.PENDING_APPROVAL, Decimal("-50.00"))
    context.close()

    # --- a mobile banker on a phone collects from a member --------------------------------------------
    context, page = new_page(browser, live_server, 390, 844)
    sign_in(page, banker.email)
    page.goto(reverse("admin:cash_field_sheet"))
    row = page.get_by_test_id("sheet-row").filter(has_text="Mansa Boateng")
    expect(row).to_be_visible()
    expect(row.locator("input[name=amount]")).to_have_value("")  # one tap posts no amount
    row.get_by_test_id("fill-daily").click()  # "= 20.00" fills in the daily amount, posts nothing
    expect(row.locator("input[name=amount]")).to_have_value("20.00")
    assert not Transaction.objects.filter(to_account=susu).exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows the phone
    page.screenshot(path=str(SHOTS / "cash-field-sheet.png"), full_page=True)
    row.get_by_test_id("collect-button").click()

    expect(page.get_by_test_id("receipt")).to_be_visible()
    txn = Transaction.objects.get(to_account=susu)
    expect(page.get_by_test_id("receipt-reference")).to_have_text(txn.reference)
    expect(page.get_by_test_id("receipt-text")).to_have_text(cash.receipt_text(txn))
    expect(page.get_by_test_id("print-button")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "cash-field-receipt.png"), full_page=True)

    page.get_by_test_id("back-to-sheet").click()
    expect(page.get_by_test_id("today-total")).to_have_text("GH₵ 20.00")
    context.close()
    assert Transaction.objects.filter(to_account=susu).count() == 1
