"""The cash endpoints of API.md: drawers, advances, cheques and field collections."""

from decimal import Decimal

import pytest

from apps.cash import services as cash
from apps.members.services import member_assign
from tests.ledger.factories import make_member, open_account
from tests.support import keyed, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def float_issued(manager, cashier):
    cash.vault_receive(actor=manager, amount="10000.00", note="test")
    cash.float_issue(actor=manager, cashier=cashier, amount="1000.00")


def test_drawer_open_current_and_close(client, api, cashier, float_issued):
    headers = api(cashier)
    assert client.get("/api/cash-drawers/current/", headers=headers).status_code == 404
    bad = post_json(client, "/api/cash-drawers/open/", {"denominations": {"200.00": 4}}, headers=headers)
    assert bad.status_code == 422 and "float issued is 1,000.00" in bad.json()["detail"]
    opened = post_json(client, "/api/cash-drawers/open/", {"denominations": {"200.00": 5}}, headers=headers)
    assert opened.status_code == 201
    current = client.get("/api/cash-drawers/current/", headers=headers).json()
    assert (current["id"], current["opening_balance"], current["expected_balance"]) == (
        opened.json()["id"], "1000.00", "1000.00")
    second = post_json(client, "/api/cash-drawers/open/", {"denominations": {"200.00": 5}}, headers=headers)
    assert second.status_code == 409
    closed = post_json(client, f"/api/cash-drawers/{current['id']}/close/",
                       {"denominations": {"200.00": 4, "100.00": 2}}, headers=headers)
    assert closed.status_code == 200
    assert (closed.json()["counted_balance"], closed.json()["variance"], closed.json()["status"]) == (
        "1000.00", "0.00", "closed")


def test_cashier_without_open_drawer_gets_409_on_cash(client, api, cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager)
    account = open_account(actor=cashier, member=member)
    response = post_json(client, "/api/transactions/deposit/", {"account_id": account.pk, "amount": "5.00"},
                         headers=keyed(api(cashier)))
    assert response.status_code == 409 and response.json()["code"] == "drawer_closed"


def test_negative_counts_are_422(client, api, cashier, float_issued):
    response = post_json(client, "/api/cash-drawers/open/", {"denominations": {"200.00": -5}},
                         headers=api(cashier))
    assert response.status_code == 422


def test_field_collection_endpoints(client, api, cashier, operations_manager, manager, mobile_banker,
                                    float_issued):
    cash.drawer_open(actor=cashier, denominations={"200.00": 5})
    mine = make_member(registrar=cashier, verifier=operations_manager, first_name="Ama")
    member_assign(actor=manager, member=mine, banker=mobile_banker)
    account = open_account(actor=cashier, member=mine)
    other = open_account(actor=cashier, member=make_member(registrar=cashier, verifier=operations_manager))
    headers = api(mobile_banker)
    sheet = client.get("/api/field-collections/sheet/", headers=headers).json()
    assert [row["account_id"] for row in sheet] == [account.pk]
    assert set(sheet[0]) >= {"account_id", "account_number", "member_name", "daily_amount", "paid_this_cycle"}
    body = {"account_id": account.pk, "amount": "15.00"}
    first = post_json(client, "/api/field-collections/", body, headers={**headers, "Idempotency-Key": "r-1"})
    again = post_json(client, "/api/field-collections/", body, headers={**headers, "Idempotency-Key": "r-1"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert first.json()["reference"] in first.json()["receipt_text"]
    unassigned = post_json(client, "/api/field-collections/", {"account_id": other.pk, "amount": "5.00"},
                           headers=headers)
    assert unassigned.status_code == 404
    remit = post_json(client, "/api/field-collections/remit/",
                      {"cashier_id": cashier.pk, "denominations": {"10.00": 1, "5.00": 1}}, headers=headers)
    assert remit.status_code == 201 and remit.json()["variance"] == "0.00"
    twice = post_json(client, "/api/field-collections/remit/",
                      {"cashier_id": cashier.pk, "denominations": {"10.00": 1, "5.00": 1}}, headers=headers)
    assert twice.status_code == 409 and twice.json()["code"] == "already_remitted"


def test_cheque_endpoints_and_roles(client, api, cashier, operations_manager, totp_device, code_for):
    member = make_member(registrar=cashier, verifier=operations_manager)
    account = open_account(actor=cashier, member=member)
    created = post_json(client, "/api/cheque-deposits/", {"account_id": account.pk, "amount": "250.00",
                                                          "drawer_bank": "Fidelity", "cheque_number": "9911"},
                        headers=keyed(api(cashier)))
    assert created.status_code == 201 and created.json()["status"] == "held"
    cheque_id = created.json()["id"]
    assert post_json(client, f"/api/cheque-deposits/{cheque_id}/clear/", headers=api(cashier)).status_code == 403
    ops_headers = api(operations_manager, otp=code_for(totp_device(operations_manager)))
    cleared = post_json(client, f"/api/cheque-deposits/{cheque_id}/clear/", headers=ops_headers)
    assert cleared.status_code == 200 and cleared.json()["status"] == "cleared"
    again = post_json(client, f"/api/cheque-deposits/{cheque_id}/clear/", headers=ops_headers)
    assert again.status_code == 409
    account.refresh_from_db()
    assert account.available_balance == Decimal("250.00")


def test_cash_advance_flow(client, api, cashier, manager, totp_device, code_for, float_issued):
    cash.drawer_open(actor=cashier, denominations={"200.00": 5})
    requested = post_json(client, "/api/cash-advances/", {"amount": "500.00", "reason": "Queue at the counter"},
                          headers=api(cashier))
    assert requested.status_code == 201 and requested.json()["status"] == "pending"
    manager_headers = api(manager, otp=code_for(totp_device(manager)))
    approved = post_json(client, f"/api/cash-advances/{requested.json()['id']}/approve/", headers=manager_headers)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert client.get("/api/cash-drawers/current/", headers=api(cashier)).json()["expected_balance"] == "1500.00"


def test_cheque_deposit_honours_the_idempotency_key(client, api, cashier, operations_manager, float_issued):
    from apps.cash.models import ChequeDeposit
    from apps.ledger.models import Transaction

    cash.drawer_open(actor=cashier, denominations={"200.00": 5})
    account = open_account(actor=cashier, member=make_member(registrar=cashier, verifier=operations_manager))
    headers = api(cashier)
    body = {"account_id": account.pk, "amount": "480.00", "drawer_bank": "Stanbic", "cheque_number": "120045"}

    first = post_json(client, "/api/cheque-deposits/", body, headers={**headers, "Idempotency-Key": "chq-1"})
    again = post_json(client, "/api/cheque-deposits/", body, headers={**headers, "Idempotency-Key": "chq-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()  # the first response again
    account.refresh_from_db()
    assert (account.balance, account.held_balance) == (Decimal("480.00"), Decimal("480.00"))  # posted once

    def refused(payload, key):
        response = post_json(client, "/api/cheque-deposits/", payload, headers={**headers, "Idempotency-Key": key})
        return response.status_code, response.json()["code"]

    # the same key with a different body: 409, nothing posted
    assert refused({**body, "amount": "490.00"}, "chq-1") == (409, "idempotency_conflict")
    assert refused({**body, "cheque_number": "120046"}, "chq-1") == (409, "idempotency_conflict")
    # a key already spent on a cash deposit is not a cheque's key
    deposit = post_json(client, "/api/transactions/deposit/", {"account_id": account.pk, "amount": "10.00"},
                        headers={**headers, "Idempotency-Key": "cash-7"})
    assert deposit.status_code == 201
    assert refused({**body, "cheque_number": "120047"}, "cash-7") == (409, "idempotency_conflict")
    # the same cheque under a new key is a second deposit of one cheque: refused
    assert refused(body, "chq-2") == (409, "cheque_duplicate")
    # a key longer than the column holds is invalid input
    assert post_json(client, "/api/cheque-deposits/", {**body, "cheque_number": "9"},
                     headers={**headers, "Idempotency-Key": "k" * 129}).status_code == 422

    assert ChequeDeposit.objects.count() == 1
    assert Transaction.objects.filter(to_account=account).count() == 2  # the cheque and the cash deposit
    account.refresh_from_db()
    assert (account.balance, account.held_balance) == (Decimal("490.00"), Decimal("480.00"))
