"""Accounts and transactions endpoints: shapes, role rules, object access, bad input."""

from decimal import Decimal

import pytest

from apps.ledger.models import JournalEntry, LedgerPolicy, Transaction
from tests.support import keyed, post_json

from .factories import fund, make_member, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(customer, cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager, user=customer, first_name="Kwesi")
    susu = fund(open_account(actor=cashier, member=member), "500.00", cashier=cashier)
    monthly = open_account(actor=cashier, member=member, kind="monthly_contribution")
    return member, susu, monthly


@pytest.fixture
def stranger_account(cashier, operations_manager):
    member = make_member(registrar=cashier, verifier=operations_manager, first_name="Other")
    return fund(open_account(actor=cashier, member=member), "80.00", cashier=cashier)


def test_customer_lists_only_own_accounts_with_contract_fields(client, api, customer, owner, stranger_account):
    body = client.get("/api/accounts/", headers=api(customer)).json()
    assert body["count"] == 2
    susu = next(item for item in body["items"] if item["account_type"] == "daily_susu")
    assert {"id", "account_number", "account_type", "balance", "available_balance", "status", "is_active",
            "member_id", "member_name", "opened_at"} <= set(susu)
    assert susu["balance"] == "500.00" and susu["available_balance"] == "500.00"
    assert susu["member_name"] == "Kwesi Quaye"
    # the business date it opened on, beside the moment the row was written
    from apps.core.business_day import current_business_date

    assert susu["opened_on"] == current_business_date().isoformat()


def test_someone_elses_account_and_transactions_are_404(client, api, customer, owner, stranger_account):
    headers = api(customer)
    assert client.get(f"/api/accounts/{stranger_account.pk}/", headers=headers).status_code == 404
    assert client.get(f"/api/accounts/{stranger_account.pk}/transactions/", headers=headers).status_code == 404
    txn = Transaction.objects.get(to_account=stranger_account)
    assert client.get(f"/api/transactions/{txn.pk}/", headers=headers).status_code == 404
    listed = client.get("/api/transactions/", headers=headers).json()
    assert txn.pk not in {item["id"] for item in listed["items"]}


def test_customer_transfer_from_someone_elses_account_is_404_and_posts_nothing(client, api, customer, owner,
                                                                               stranger_account):
    _, susu, _ = owner
    before = JournalEntry.objects.count()
    response = post_json(client, "/api/transactions/transfer/", {
        "from_account_id": stranger_account.pk, "to_account_number": susu.account_number, "amount": "10.00"},
        headers=keyed(api(customer)))
    assert response.status_code == 404
    assert JournalEntry.objects.count() == before


def test_customer_transfers_between_own_accounts(client, api, customer, owner):
    _, susu, monthly = owner
    response = post_json(client, "/api/transactions/transfer/", {
        "from_account_id": susu.pk, "to_account_number": monthly.account_number, "amount": 120.5,
        "description": "Top up"}, headers={**api(customer), "Idempotency-Key": "t-1"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["amount"], body["fee"], body["transaction_type"]) == (
        "completed", "120.50", "0.00", "transfer")
    assert client.get(f"/api/accounts/{monthly.pk}/", headers=api(customer)).json()["balance"] == "120.50"


def test_created_transfer_answers_what_reading_it_back_shows(client, api, customer, owner):
    """The 201 body is built from the transaction the service returned: it must say exactly what the
    stored row says (amounts, account numbers, dates, times)."""
    _, susu, monthly = owner
    created = post_json(client, "/api/transactions/transfer/", {
        "from_account_id": susu.pk, "to_account_number": monthly.account_number, "amount": "7.5"},
        headers={**api(customer), "Idempotency-Key": "t-echo"})
    assert created.status_code == 201, created.content
    stored = client.get(f"/api/transactions/{created.json()['id']}/", headers=api(customer))
    assert created.json() == stored.json()
    assert created.json()["to_account_number"] == monthly.account_number


def test_customer_may_not_deposit_or_withdraw(client, api, customer, owner):
    _, susu, _ = owner
    for path in ("/api/transactions/deposit/", "/api/transactions/withdrawal/"):
        response = post_json(client, path, {"account_id": susu.pk, "amount": "5.00"}, headers=api(customer))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("amount", ["0", "-3.00", "1.005", "ten", "NaN", None, 1e400])
def test_bad_amounts_get_422_with_a_field_message_and_post_nothing(client, api, cashier, owner, amount):
    _, susu, _ = owner
    before = JournalEntry.objects.count()
    response = post_json(client, "/api/transactions/deposit/", {"account_id": susu.pk, "amount": amount},
                         headers=keyed(api(cashier)))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "amount"
    assert JournalEntry.objects.count() == before


def test_insufficient_funds_is_409(client, api, cashier, owner):
    _, susu, _ = owner
    response = post_json(client, "/api/transactions/withdrawal/", {"account_id": susu.pk, "amount": "500.01"},
                         headers=keyed(api(cashier)))
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"


def test_idempotency_key_replays_and_conflicts(client, api, cashier, owner):
    _, susu, _ = owner
    headers = {**api(cashier), "Idempotency-Key": "dep-42"}
    first = post_json(client, "/api/transactions/deposit/", {"account_id": susu.pk, "amount": "20.00"},
                      headers=headers)
    again = post_json(client, "/api/transactions/deposit/", {"account_id": susu.pk, "amount": "20.00"},
                      headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = post_json(client, "/api/transactions/deposit/", {"account_id": susu.pk, "amount": "21.00"},
                      headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    susu.refresh_from_db()
    assert susu.balance == Decimal("520.00")


def test_large_transfer_is_pending_until_another_manager_approves(client, api, cashier, manager, make_user,
                                                                  totp_device, code_for, owner):
    LedgerPolicy.objects.update(approval_threshold=Decimal("100.00"))
    _, susu, monthly = owner
    created = post_json(client, "/api/transactions/transfer/", {
        "from_account_id": susu.pk, "to_account_number": monthly.account_number, "amount": "300.00"},
        headers=keyed(api(cashier)))
    assert created.status_code == 201 and created.json()["status"] == "pending"
    device = totp_device(manager)
    approved = post_json(client, f"/api/transactions/{created.json()['id']}/approve/",
                         headers=api(manager, otp=code_for(device)))
    assert approved.status_code == 200 and approved.json()["status"] == "completed"
    monthly.refresh_from_db()
    assert monthly.balance == Decimal("300.00")


def test_cashier_cannot_approve(client, api, cashier, make_user, owner):
    LedgerPolicy.objects.update(approval_threshold=Decimal("100.00"))
    _, susu, monthly = owner
    other_cashier = make_user("cashier")
    created = post_json(client, "/api/transactions/transfer/", {
        "from_account_id": susu.pk, "to_account_number": monthly.account_number, "amount": "300.00"},
        headers=keyed(api(cashier)))
    response = post_json(client, f"/api/transactions/{created.json()['id']}/approve/", headers=api(other_cashier))
    assert response.status_code == 403


def test_open_account_roles(client, api, cashier, customer, owner):
    member, _, _ = owner
    refused = post_json(client, "/api/accounts/", {"member_id": member.pk, "account_type": "shares"},
                        headers=api(customer))
    assert refused.status_code == 403
    created = post_json(client, "/api/accounts/", {"member_id": member.pk, "account_type": "shares"},
                        headers=api(cashier))
    assert created.status_code == 201
    assert created.json()["account_type"] == "shares" and created.json()["balance"] == "0.00"
    duplicate = post_json(client, "/api/accounts/", {"member_id": member.pk, "account_type": "shares"},
                          headers=api(cashier))
    assert duplicate.status_code == 409
    unknown_type = post_json(client, "/api/accounts/", {"member_id": member.pk, "account_type": "gold"},
                             headers=api(cashier))
    assert unknown_type.status_code == 422


def test_payment_and_fee_through_the_generic_endpoint(client, api, cashier, owner):
    _, susu, _ = owner
    payment = post_json(client, "/api/transactions/", {"transaction_type": "payment", "account_id": susu.pk,
                                                       "amount": "50.00", "description": "ECG prepaid"},
                        headers=keyed(api(cashier)))
    fee = post_json(client, "/api/transactions/", {"transaction_type": "fee", "account_id": susu.pk,
                                                   "amount": "2.00", "description": "Statement fee"},
                    headers=keyed(api(cashier)))
    assert payment.status_code == fee.status_code == 201
    susu.refresh_from_db()
    assert susu.balance == Decimal("448.00")


def test_a_fee_above_the_threshold_waits_for_a_manager(client, api, cashier, owner):
    _, susu, _ = owner
    LedgerPolicy.objects.update_or_create(pk=LedgerPolicy.current().pk, defaults={"approval_threshold": "100.00"})
    fee = post_json(client, "/api/transactions/", {"transaction_type": "fee", "account_id": susu.pk,
                                                   "amount": "150.00", "description": "Account search fee"},
                    headers=keyed(api(cashier)))
    assert fee.status_code == 201 and fee.json()["status"] == "pending"
    susu.refresh_from_db()
    assert (susu.balance, susu.held_balance) == (Decimal("500.00"), Decimal("150.00"))


@pytest.mark.parametrize("kind", ["payment", "fee"])
def test_a_mobile_banker_may_not_record_payments_or_fees(client, api, mobile_banker, owner, kind):
    _, susu, _ = owner
    susu.member.assigned_banker = mobile_banker  # not even on their own member's account
    susu.member.save(update_fields=["assigned_banker"])
    response = post_json(client, "/api/transactions/", {"transaction_type": kind, "account_id": susu.pk,
                                                        "amount": "5.00", "description": "Something"},
                         headers=keyed(api(mobile_banker)))
    assert response.status_code == 403
    assert not Transaction.objects.filter(transaction_type=kind).exists()


def test_unknown_account_is_a_specific_404(client, api, cashier):
    response = post_json(client, "/api/transactions/deposit/", {"account_id": 987654, "amount": "5.00"},
                         headers=keyed(api(cashier)))
    assert response.status_code == 404
    assert response.json() == {"code": "account_not_found", "detail": "There is no account 987654 that you may use."}


def test_frozen_account_is_409_and_same_account_transfer_is_422(client, api, cashier, customer, manager, owner):
    from apps.ledger.services import account_set_status

    _, susu, monthly = owner
    same = post_json(client, "/api/transactions/transfer/", {
        "from_account_id": susu.pk, "to_account_number": susu.account_number, "amount": "5.00"},
        headers=keyed(api(customer)))
    assert same.status_code == 422 and "different account" in same.json()["detail"]
    account_set_status(actor=manager, account=monthly, status="frozen", reason="Court order 12/26")
    frozen = post_json(client, "/api/transactions/transfer/", {
        "from_account_id": susu.pk, "to_account_number": monthly.account_number, "amount": "5.00"},
        headers=keyed(api(customer)))
    assert frozen.status_code == 409 and frozen.json()["code"] == "account_frozen"
    assert "Court order 12/26" in frozen.json()["detail"]
    susu.refresh_from_db()
    assert susu.balance == Decimal("500.00")


def test_a_refused_transfer_is_on_record_for_the_payer_only(client, api, customer, owner, make_user, cashier,
                                                            operations_manager):
    _, susu, _ = owner
    payee_user = make_user("customer")
    payee = make_member(registrar=cashier, verifier=operations_manager, user=payee_user, first_name="Ama")
    target = open_account(actor=cashier, member=payee)
    refused = post_json(client, "/api/transactions/transfer/", {
        "from_account_id": susu.pk, "to_account_number": target.account_number, "amount": "900.00"},
        headers=keyed(api(customer)))
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_funds"
    mine = client.get("/api/transactions/?type=transfer", headers=api(customer)).json()["items"]
    assert [(t["status"], t["amount"], t["to_account_id"]) for t in mine] == [("failed", "900.00", target.pk)]
    payee_headers = api(payee_user)  # the payee never learns of it (the reason quotes the payer's balance)
    assert client.get("/api/transactions/", headers=payee_headers).json()["count"] == 0
    assert client.get(f"/api/accounts/{target.pk}/transactions/", headers=payee_headers).json()["count"] == 0
    assert client.get(f"/api/transactions/{mine[0]['id']}/", headers=payee_headers).status_code == 404
    target.refresh_from_db()
    assert target.balance == Decimal("0.00")


def test_a_member_does_not_see_staff_attempts_refused_on_their_account(client, api, cashier, customer, owner):
    """Only the person who attempted a refused movement sees it outside the back office: a cashier's
    refusal quotes the cashier's own daily total or drawer."""
    _, susu, _ = owner
    refused = post_json(client, "/api/transactions/withdrawal/", {"account_id": susu.pk, "amount": "900.00"},
                        headers=keyed(api(cashier)))
    assert refused.status_code == 409
    assert Transaction.objects.filter(status="failed", initiated_by=cashier).count() == 1
    headers = api(customer)
    assert client.get("/api/transactions/?status=failed", headers=headers).json()["count"] == 0
    listed = client.get(f"/api/accounts/{susu.pk}/transactions/", headers=headers).json()["items"]
    assert "failed" not in {t["status"] for t in listed}
    assert client.get("/api/transactions/?status=failed", headers=api(cashier)).json()["count"] == 1


def test_account_transactions_are_paginated_newest_first(client, api, cashier, customer, owner):
    _, susu, _ = owner
    for value in ("1.00", "2.00", "3.00"):
        post_json(client, "/api/transactions/deposit/", {"account_id": susu.pk, "amount": value},
                  headers=keyed(api(cashier)))
    page = client.get(f"/api/accounts/{susu.pk}/transactions/?page=1&page_size=2", headers=api(customer)).json()
    assert page["count"] == 4
    assert [item["amount"] for item in page["items"]] == ["3.00", "2.00"]


def test_a_refused_movement_is_marked_not_posted_with_nothing_moved(client, api, customer, owner, make_user,
                                                                    cashier, operations_manager):
    """Issue 12, item 12: a client summing what moved never counts a refused attempt."""
    _, susu, monthly = owner
    refused = post_json(client, "/api/transactions/transfer/", {
        "from_account_id": susu.pk, "to_account_number": monthly.account_number, "amount": "900.00"},
        headers=keyed(api(customer)))
    done = post_json(client, "/api/transactions/transfer/", {
        "from_account_id": susu.pk, "to_account_number": monthly.account_number, "amount": "10.00"},
        headers=keyed(api(customer)))
    assert refused.status_code == 409 and done.status_code == 201

    listed = {t["status"]: t for t in client.get("/api/transactions/?type=transfer",
                                                 headers=api(customer)).json()["items"]}

    assert (listed["failed"]["posted"], listed["failed"]["amount_moved"]) == (False, "0.00")
    assert (listed["completed"]["posted"], listed["completed"]["amount_moved"]) == (True, "10.00")
