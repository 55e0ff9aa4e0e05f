"""The applications API: GET/POST /api/loans/, GET /api/loans/{id}/, approve, reject, guarantee accept/decline."""

from decimal import Decimal

import pytest

from apps.ledger.models import Account
from apps.loans.models import Loan, LoanGuarantee
from apps.members.services import member_assign
from tests.support import post_json

pytestmark = pytest.mark.django_db

LOANS = "/api/loans/"
LOAN_KEYS = {"id", "number", "member_id", "product_id", "status", "principal", "term", "rate", "disbursed_on",
             "outstanding", "days_in_arrears", "delinquency_bucket", "next_due", "created_by"}


def body(world, **overrides):
    data = {"product_id": world["product"].pk, "amount": "8000.00", "term": 12, "purpose": "Stock",
            "account_id": world["account"].pk,
            "guarantors": [{"member_id": world["guarantor"].pk, "amount": "3000.00"}]}
    return {**data, **overrides}


def test_a_customer_applies_and_reads_the_loan(client, headers, world):
    h = headers(world["user"])
    response = post_json(client, LOANS, body(world), headers=h)
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == LOAN_KEYS
    assert data["status"] == "submitted" and data["principal"] == "8000.00" and data["rate"] == "2.00"
    assert data["member_id"] == world["member"].pk and data["created_by"] == world["user"].pk
    assert data["outstanding"] == {"principal": "0.00", "interest": "0.00", "fees": "0.00", "penalties": "0.00",
                                   "total": "0.00"}
    assert data["disbursed_on"] is None and data["next_due"] is None and data["delinquency_bucket"] == "current"
    detail = client.get(f"{LOANS}{data['id']}/", headers=h)
    assert detail.status_code == 200 and detail.json() == data
    listing = client.get(LOANS, headers=h).json()
    assert [row["id"] for row in listing["items"]] == [data["id"]]


def test_another_members_loan_is_404_and_hidden_from_the_list(client, headers, world):
    loan_id = post_json(client, LOANS, body(world), headers=headers(world["user"])).json()["id"]
    h = headers(world["g_user"])
    assert client.get(f"{LOANS}{loan_id}/", headers=h).status_code == 404
    assert client.get(LOANS, headers=h).json()["items"] == []


def test_bad_input_is_422_and_saves_nothing(client, headers, world):
    h = headers(world["user"])
    for bad in ({"amount": "100.00"}, {"term": 99}, {"amount": "-5"}, {"amount": "1.234"},
                {"account_id": world["g_account"].pk}, {"purpose": ""}):
        response = post_json(client, LOANS, body(world, **bad), headers=h)
        assert response.status_code == 422, (bad, response.content)
    assert not Loan.objects.exists()


def test_unknown_product_is_404_and_signed_out_is_401(client, headers, world):
    assert post_json(client, LOANS, body(world, product_id=999999), headers=headers(world["user"])).status_code == 404
    assert post_json(client, LOANS, body(world)).status_code == 401


def test_staff_apply_for_a_member(client, headers, world, cashier, mobile_banker, operations_manager, manager):
    response = post_json(client, LOANS, body(world, member_id=world["member"].pk), headers=headers(cashier))
    assert response.status_code == 201 and response.json()["created_by"] == cashier.pk
    h = headers(mobile_banker)
    assert post_json(client, LOANS, body(world, member_id=world["member"].pk), headers=h).status_code == 404
    member_assign(actor=operations_manager, member=world["member"], banker=mobile_banker)
    response = post_json(client, LOANS, body(world, member_id=world["member"].pk), headers=h)
    assert response.status_code == 201
    mine = client.get(f"{LOANS}?officer={mobile_banker.pk}", headers=h).json()["items"]
    assert [row["id"] for row in mine] == [response.json()["id"]]
    assert post_json(client, LOANS, body(world, member_id=world["member"].pk),
                     headers=headers(manager)).status_code == 403


def test_guarantee_accept_decline_and_four_eyes(client, headers, world, manager, make_user):
    loan_id = post_json(client, LOANS, body(world), headers=headers(world["user"])).json()["id"]
    h_manager = headers(manager)
    refused = post_json(client, f"{LOANS}{loan_id}/approve/", {}, headers=h_manager)
    assert refused.status_code == 409 and refused.json()["code"] == "ineligible_guarantees_accepted"
    assert post_json(client, f"{LOANS}{loan_id}/guarantee/accept/", {},
                     headers=headers(world["user"])).status_code == 404  # not the guarantor
    accepted = post_json(client, f"{LOANS}{loan_id}/guarantee/accept/", {}, headers=headers(world["g_user"]))
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Account.objects.get(pk=world["g_account"].pk).held_balance == Decimal("3000.00")
    again = post_json(client, f"{LOANS}{loan_id}/guarantee/decline/", {}, headers=headers(world["g_user"]))
    assert again.status_code == 409
    assert post_json(client, f"{LOANS}{loan_id}/approve/", {}, headers=headers(world["user"])).status_code == 403
    assert post_json(client, f"{LOANS}{loan_id}/approve/", {"approved_amount": "9000.00"},
                     headers=h_manager).status_code == 422
    approved = post_json(client, f"{LOANS}{loan_id}/approve/", {"approved_amount": "7000.00", "note": "ok"},
                         headers=h_manager)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["principal"] == "7000.00"
    assert client.get(f"{LOANS}?status=approved", headers=h_manager).json()["count"] == 1


def test_the_creator_gets_403(client, headers, world, cashier, manager):
    loan_id = post_json(client, LOANS, body(world, member_id=world["member"].pk), headers=headers(cashier)).json()["id"]
    assert post_json(client, f"{LOANS}{loan_id}/approve/", {}, headers=headers(cashier)).status_code == 403


def test_reject_needs_a_reason_and_releases(client, headers, world, manager):
    loan_id = post_json(client, LOANS, body(world), headers=headers(world["user"])).json()["id"]
    post_json(client, f"{LOANS}{loan_id}/guarantee/accept/", {}, headers=headers(world["g_user"]))
    h = headers(manager)
    assert post_json(client, f"{LOANS}{loan_id}/reject/", {"reason": ""}, headers=h).status_code == 422
    response = post_json(client, f"{LOANS}{loan_id}/reject/", {"reason": "Too much debt"}, headers=h)
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert LoanGuarantee.objects.get().status == LoanGuarantee.Status.RELEASED
    assert Account.objects.get(pk=world["g_account"].pk).held_balance == 0


def test_decline_holds_nothing(client, headers, world):
    loan_id = post_json(client, LOANS, body(world), headers=headers(world["user"])).json()["id"]
    response = post_json(client, f"{LOANS}{loan_id}/guarantee/decline/", {}, headers=headers(world["g_user"]))
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert Account.objects.get(pk=world["g_account"].pk).held_balance == 0


def test_bucket_filter(client, headers, world, manager):
    loan_id = post_json(client, LOANS, body(world), headers=headers(world["user"])).json()["id"]
    Loan.objects.filter(pk=loan_id).update(status="active", days_in_arrears=45)
    h = headers(manager)
    assert client.get(f"{LOANS}?bucket=31-60", headers=h).json()["count"] == 1
    assert client.get(f"{LOANS}?bucket=current", headers=h).json()["count"] == 0
    assert client.get(f"{LOANS}{loan_id}/", headers=h).json()["delinquency_bucket"] == "31-60"
    assert client.get(f"{LOANS}?bucket=nonsense", headers=h).status_code == 422


def test_documents_upload_list_and_download_to_the_owner_only(client, headers, world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    h = headers(world["user"])
    loan_id = post_json(client, LOANS, body(world), headers=h).json()["id"]
    url = f"{LOANS}{loan_id}/documents/"
    bad = client.post(url, {"kind": "payslip", "file": SimpleUploadedFile("x.exe", b"MZ")}, headers=h)
    assert bad.status_code == 422
    response = client.post(url, {"kind": "payslip", "file": SimpleUploadedFile("slip.pdf", b"%PDF-1.4")}, headers=h)
    assert response.status_code == 201, response.content
    doc_id = response.json()["id"]
    assert [row["id"] for row in client.get(url, headers=h).json()] == [doc_id]
    download = client.get(f"{url}{doc_id}/", headers=h)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4"
    other = headers(world["g_user"])
    assert client.get(f"{url}{doc_id}/", headers=other).status_code == 404
    assert client.post(url, {"kind": "payslip", "file": SimpleUploadedFile("s.pdf", b"x")},
                       headers=other).status_code == 404
    assert list(tmp_path.rglob("*.pdf"))  # stored under the private root, not MEDIA_ROOT


def test_an_optional_idempotency_key_answers_the_first_application(client, headers, world):
    h = {**headers(world["user"]), "Idempotency-Key": "apply-1"}
    first = post_json(client, LOANS, body(world), headers=h)
    again = post_json(client, LOANS, body(world), headers=h)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert Loan.objects.count() == 1
    other = post_json(client, LOANS, body(world, amount="7000.00"), headers=h)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    assert Loan.objects.count() == 1


def test_a_guarantor_lists_the_requests_waiting_for_them(client, headers, world, cashier):
    loan_id = post_json(client, LOANS, body(world), headers=headers(world["user"])).json()["id"]
    h = headers(world["g_user"])
    rows = client.get(f"{LOANS}guarantee-requests/", headers=h).json()
    assert [(row["loan_id"], row["amount"], row["loan_amount"], row["status"]) for row in rows] == [
        (loan_id, "3000.00", "8000.00", "requested")]
    assert rows[0]["applicant"] == world["member"].full_name
    assert client.get(f"{LOANS}guarantee-requests/", headers=headers(world["user"])).json() == []
    assert client.get(f"{LOANS}guarantee-requests/", headers=headers(cashier)).status_code == 403
    post_json(client, f"{LOANS}{loan_id}/guarantee/decline/", {}, headers=h)
    assert client.get(f"{LOANS}guarantee-requests/", headers=h).json() == []


def test_the_guarantor_may_name_the_account_to_hold(client, headers, world, cashier):
    from tests.ledger.factories import fund, open_account

    second = fund(open_account(actor=cashier, member=world["guarantor"], kind="daily_susu"), "4000.00",
                  cashier=cashier)
    loan_id = post_json(client, LOANS, body(world), headers=headers(world["user"])).json()["id"]
    h = headers(world["g_user"])
    wrong = post_json(client, f"{LOANS}{loan_id}/guarantee/accept/", {"account_id": world["account"].pk}, headers=h)
    assert wrong.status_code == 422 and LoanGuarantee.objects.get().status == "requested"
    response = post_json(client, f"{LOANS}{loan_id}/guarantee/accept/", {"account_id": second.pk}, headers=h)
    assert response.status_code == 200 and response.json()["account_id"] == second.pk
    assert Account.objects.get(pk=second.pk).held_balance == Decimal("3000.00")
    assert Account.objects.get(pk=world["g_account"].pk).held_balance == 0
