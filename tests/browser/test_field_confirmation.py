"""A mobile banker on a phone: a member already paid today shows as paid (amount and time) and
"Collect again" asks before anything is posted; a collection far above the daily amount needs a note."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.cash import services as cash
from apps.ledger.models import Account, Transaction
from apps.members.services import member_assign
from tests.ledger.factories import make_member, open_account

from .pages import BROWSER_TEST, SHOTS, new_page, sign_in

pytestmark = BROWSER_TEST


@pytest.fixture
def round_(make_user):
    cashier = make_user("cashier")
    operations = make_user("operations_manager")
    manager = make_user("manager")
    banker = make_user("mobile_banker", first_name="Kwame", last_name="Asante")
    member = make_member(registrar=cashier, verifier=operations, first_name="Mansa", last_name="Boateng")
    member_assign(actor=manager, member=member, banker=banker)
    susu = open_account(actor=cashier, member=member)
    susu.contribution_amount = Decimal("20.00")
    susu.save()
    return banker, susu


def balance(account) -> Decimal:
    return Account.objects.get(pk=account.pk).balance


def test_collect_again_and_a_large_collection_ask_first(browser, live_server, round_):
    from playwright.sync_api import expect

    banker, susu = round_
    first = cash.field_collect(actor=banker, account=susu, amount="20.00", idempotency_key="morning")
    context, page = new_page(browser, live_server, 390, 844)
    sign_in(page, banker.email)
    page.goto(reverse("admin:cash_field_sheet"))

    row = page.get_by_test_id("sheet-row").filter(has_text="Mansa Boateng")
    expect(row.get_by_test_id("paid-today")).to_be_visible()
    paid_at = first.completed_at.astimezone().strftime("%H:%M")
    expect(row.get_by_test_id("paid-today-detail")).to_have_text(f"Paid GH₵ 20.00 at {paid_at}")
    expect(row.get_by_test_id("collect-button")).to_contain_text("Collect again")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "field-sheet-paid.png"), full_page=True)

    # collect again: a confirmation first, nothing posted until it is confirmed
    row.locator("input[name=amount]").fill("20.00")
    row.get_by_test_id("collect-button").click()
    confirm = page.get_by_test_id("collect-confirm")
    expect(confirm).to_contain_text("already paid GH₵ 20.00 today")
    expect(page.get_by_test_id("confirm-amount")).to_have_text("GH₵ 20.00")
    assert balance(susu) == Decimal("20.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "field-collect-again.png"), full_page=True)
    page.get_by_test_id("confirm-collect").click()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    assert balance(susu) == Decimal("40.00")

    # far above the daily amount: a note is required
    page.get_by_test_id("back-to-sheet").click()
    row = page.get_by_test_id("sheet-row").filter(has_text="Mansa Boateng")
    row.locator("input[name=amount]").fill("200.00")
    row.get_by_test_id("collect-button").click()
    expect(page.get_by_test_id("collect-confirm")).to_contain_text("more than 3 times")
    note = page.get_by_test_id("confirm-note")
    expect(note).to_be_visible()
    page.screenshot(path=str(SHOTS / "field-collect-note.png"), full_page=True)
    note.fill("Paying for the next ten days")
    page.get_by_test_id("confirm-collect").click()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    assert balance(susu) == Decimal("240.00")
    assert Transaction.objects.filter(to_account=susu, status="completed").count() == 3
    context.close()
