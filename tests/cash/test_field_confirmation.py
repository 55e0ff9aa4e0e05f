"""Issue 12, item 13: one tap posts no amount. The collection sheet shows the member's daily amount
(the amount is typed, never pre-filled); a collection above the configured multiple of it needs an
explicit confirmation with a note; a member already paid today shows as paid (amount, time) and
"Collect again" asks first. The API answers 409 confirmation_required for the same cases."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.cash import services as cash
from apps.cash.models import CashPolicy
from apps.ledger.models import Account, Transaction
from apps.members.services import member_assign
from tests.ledger.factories import make_member, open_account
from tests.support import form_fields, keyed, post_json

pytestmark = pytest.mark.django_db

SHEET = reverse("admin:cash_field_sheet")
ZERO_BALANCE = Decimal("0.00")
COLLECT = reverse("admin:cash_field_collect")


@pytest.fixture
def susu(cashier, operations_manager, manager, mobile_banker):
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Mansa", last_name="Boateng")
    member_assign(actor=manager, member=member, banker=mobile_banker)
    account = open_account(actor=cashier, member=member)
    account.contribution_amount = Decimal("20.00")
    account.save()
    return account


def balance(account) -> Decimal:
    return Account.objects.get(pk=account.pk).balance


def collect_form(body: str) -> dict:
    return form_fields(body.split('data-testid="collect-form"', 1)[1].split("</form>", 1)[0]
                       .join(["<form ", "</form>"]))


# --- the service -------------------------------------------------------------------------------------

def test_a_second_collection_the_same_day_needs_confirmation(mobile_banker, susu):
    cash.field_collect(actor=mobile_banker, account=susu, amount="20.00", idempotency_key="c1")

    with pytest.raises(cash.ConfirmationRequired) as asked:
        cash.field_collect(actor=mobile_banker, account=susu, amount="20.00", idempotency_key="c2")

    assert asked.value.code == "confirmation_required" and asked.value.status == 409
    assert "already paid GH₵ 20.00 today at" in asked.value.message
    assert balance(susu) == Decimal("20.00")
    assert not Transaction.objects.filter(status=Transaction.Status.FAILED).exists()  # nothing was attempted

    cash.field_collect(actor=mobile_banker, account=susu, amount="20.00", confirm=True, idempotency_key="c2")
    assert balance(susu) == Decimal("40.00")


def test_a_retry_of_a_posted_collection_is_not_asked_again(mobile_banker, susu):
    first = cash.field_collect(actor=mobile_banker, account=susu, amount="20.00", idempotency_key="c1")
    again = cash.field_collect(actor=mobile_banker, account=susu, amount="20.00", idempotency_key="c1")
    assert again.pk == first.pk and balance(susu) == Decimal("20.00")


def test_above_the_multiple_needs_confirmation_and_a_note(mobile_banker, susu):
    with pytest.raises(cash.ConfirmationRequired) as asked:
        cash.field_collect(actor=mobile_banker, account=susu, amount="60.01", idempotency_key="c1")
    assert "more than 3 times Mansa Boateng's daily amount of GH₵ 20.00" in asked.value.message
    assert asked.value.note_required
    with pytest.raises(cash.ConfirmationRequired):
        cash.field_collect(actor=mobile_banker, account=susu, amount="60.01", confirm=True, note="  ",
                           idempotency_key="c1")
    assert balance(susu) == ZERO_BALANCE

    txn = cash.field_collect(actor=mobile_banker, account=susu, amount="60.01", confirm=True,
                             note="Paying for three days", idempotency_key="c1")

    assert balance(susu) == Decimal("60.01")
    assert txn.description == "Field collection: Paying for three days"
    assert AuditEvent.objects.filter(action="cash.collection_confirmed").exists()


def test_up_to_the_multiple_needs_no_confirmation_and_the_multiple_is_configurable(mobile_banker, susu):
    cash.field_collect(actor=mobile_banker, account=susu, amount="60.00", idempotency_key="c1")
    assert balance(susu) == Decimal("60.00")

    CashPolicy.objects.filter(pk=CashPolicy.current().pk).update(field_collection_multiple=Decimal("1.50"))
    with pytest.raises(cash.ConfirmationRequired) as asked:
        cash.field_collect(actor=mobile_banker, account=susu, amount="30.01", confirm=True, idempotency_key="c2")
    assert "more than 1.5 times" in asked.value.message and asked.value.note_required


# --- the API -----------------------------------------------------------------------------------------

def test_api_answers_409_confirmation_required_until_confirmed(client, api, mobile_banker, susu):
    headers = api(mobile_banker)
    url = "/api/field-collections/"

    first = post_json(client, url, {"account_id": susu.pk, "amount": "20.00"}, headers=keyed(headers))
    second = post_json(client, url, {"account_id": susu.pk, "amount": "20.00"}, headers=keyed(headers))
    big = post_json(client, url, {"account_id": susu.pk, "amount": "100.00", "confirm": True},
                    headers=keyed(headers))

    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["code"] == "confirmation_required"
    assert "already paid" in second.json()["detail"]
    assert big.status_code == 409 and big.json()["code"] == "confirmation_required"
    assert balance(susu) == Decimal("20.00")

    confirmed = post_json(client, url, {"account_id": susu.pk, "amount": "100.00", "confirm": True,
                                        "note": "Whole week in advance"}, headers=keyed(headers))
    assert confirmed.status_code == 201 and confirmed.json()["amount"] == "100.00"
    assert balance(susu) == Decimal("120.00")

    sheet = client.get("/api/field-collections/sheet/", headers=headers).json()
    row = sheet["items"][0] if isinstance(sheet, dict) else sheet[0]
    assert row["daily_amount"] == "20.00" and row["last_collection_amount"] == "100.00"
    assert row["last_collection_at"]


# --- the phone pages ---------------------------------------------------------------------------------

def test_the_sheet_shows_the_daily_amount_but_posts_no_amount_on_one_tap(console, mobile_banker, susu):
    client = console(mobile_banker)
    body = client.get(SHEET).content.decode()
    data = collect_form(body)

    assert data["amount"] == ""  # nothing pre-filled
    assert 'data-fill-amount="20.00"' in body  # the daily amount, one tap to fill in (posts nothing)
    response = client.post(COLLECT, data)  # the Collect button tapped as the page came
    assert response.status_code == 302
    assert balance(susu) == ZERO_BALANCE and not Transaction.objects.filter(to_account=susu).exists()


def test_a_member_paid_today_shows_as_paid_and_collect_again_asks_first(console, mobile_banker, susu):
    cash.field_collect(actor=mobile_banker, account=susu, amount="20.00", idempotency_key="c1")
    client = console(mobile_banker)
    body = client.get(SHEET).content.decode()
    assert 'data-testid="paid-today"' in body
    detail = body.split('data-testid="paid-today-detail"', 1)[1].split("</p>", 1)[0]
    assert "GH₵ 20.00" in detail and " at " in detail
    assert "Collect again" in body

    data = {**collect_form(body), "amount": "20.00"}
    asked = client.post(COLLECT, data)
    page = asked.content.decode()
    assert asked.status_code == 200 and 'data-testid="collect-confirm"' in page
    assert "already paid GH₵ 20.00 today" in page and 'data-testid="confirm-note"' not in page
    assert balance(susu) == Decimal("20.00")

    confirmed = client.post(COLLECT, form_fields(page.split('data-testid="collect-confirm"', 1)[1]))
    assert confirmed.status_code == 302 and "receipt" in confirmed["Location"]
    assert balance(susu) == Decimal("40.00")


def test_a_collection_above_the_multiple_asks_for_a_note(console, mobile_banker, susu):
    client = console(mobile_banker)
    data = {**collect_form(client.get(SHEET).content.decode()), "amount": "200.00"}

    asked = client.post(COLLECT, data).content.decode()
    assert "more than 3 times" in asked and 'data-testid="confirm-note"' in asked
    confirm = form_fields(asked.split('data-testid="collect-confirm"', 1)[1])
    without_note = client.post(COLLECT, {**confirm, "note": ""}).content.decode()
    assert 'data-testid="note-error"' in without_note and balance(susu) == ZERO_BALANCE

    done = client.post(COLLECT, {**confirm, "note": "Paying for ten days"})
    assert done.status_code == 302 and balance(susu) == Decimal("200.00")
    assert Transaction.objects.get(to_account=susu).description == "Field collection: Paying for ten days"


def test_a_refused_collection_has_no_receipt(console, mobile_banker, manager, susu):
    from apps.ledger import services as ledger
    from apps.ledger.errors import LedgerError

    ledger.account_set_status(actor=manager, account=susu, status=Account.Status.FROZEN, reason="Dispute")
    with pytest.raises(LedgerError):
        cash.field_collect(actor=mobile_banker, account=susu, amount="20.00")
    failed = Transaction.objects.get(to_account=susu, status=Transaction.Status.FAILED)

    response = console(mobile_banker).get(reverse("admin:cash_field_receipt", args=[failed.pk]))

    assert response.status_code == 404


def test_a_banker_the_member_is_not_assigned_to_learns_nothing_of_their_payments(make_user, mobile_banker, susu):
    from django.core.exceptions import PermissionDenied

    cash.field_collect(actor=mobile_banker, account=susu.pk, amount="20.00", idempotency_key="c1")  # by id
    stranger = make_user("mobile_banker")

    with pytest.raises(PermissionDenied) as refused:
        cash.field_collect(actor=stranger, account=susu, amount="20.00", idempotency_key="s1")

    assert "already paid" not in str(refused.value)
    assert balance(susu) == Decimal("20.00")
