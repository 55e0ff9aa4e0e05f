"""The servicing API: disburse, schedule, make_payment, payoff-quote, write-off and its approval."""

from decimal import Decimal

import pytest

from apps.ledger.models import Posting
from apps.loans.models import Loan, LoanTransaction
from tests.ledger.factories import open_drawer
from tests.support import post_json

pytestmark = pytest.mark.django_db
LOANS = "/api/loans/"


def key(value):
    return {"Idempotency-Key": value}


def test_a_manager_disburses_once_with_a_key(client, headers, approved_loan, manager):
    h = headers(manager)
    url = f"{LOANS}{approved_loan.pk}/disburse/"
    assert post_json(client, url, {}, headers=h).status_code == 428
    response = post_json(client, url, {}, headers={**h, **key("d-1")})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "active" and data["outstanding"]["principal"] == "8000.00"
    assert data["next_due"] is not None
    assert data["transaction"]["amount"] == "7920.00" and data["transaction"]["status"] == "completed"
    again = post_json(client, url, {}, headers={**h, **key("d-1")})
    assert again.status_code == 201 and again.json()["transaction"]["id"] == data["transaction"]["id"]
    assert LoanTransaction.objects.filter(kind="disbursal").count() == 1
    second = post_json(client, url, {}, headers={**h, **key("d-2")})
    assert second.status_code == 409 and second.json()["code"] == "already_disbursed"


def test_a_customer_cannot_disburse(client, headers, approved_loan, world):
    response = post_json(client, f"{LOANS}{approved_loan.pk}/disburse/", {},
                         headers={**headers(world["user"]), **key("x")})
    assert response.status_code == 403


def test_the_schedule_shows_what_is_paid(client, headers, active_loan, world):
    h = headers(world["user"])
    pay = post_json(client, f"{LOANS}{active_loan.pk}/make_payment/", {"amount": "100.00"},
                    headers={**h, **key("p-1")})
    assert pay.status_code == 201, pay.content
    body = pay.json()
    assert set(body) == {"transaction", "allocation", "outstanding"}
    assert Decimal(body["allocation"]["interest"]) + Decimal(body["allocation"]["principal"]) == Decimal("100.00")
    assert body["transaction"]["amount"] == "100.00"
    schedule = client.get(f"{LOANS}{active_loan.pk}/schedule/", headers=h).json()
    first = schedule["instalments"][0]
    assert first["paid"] == "100.00" and first["status"] == "partly_paid"
    assert schedule["principal"] == "8000.00" and len(schedule["instalments"]) == 12


def test_a_payment_above_the_payoff_is_409_and_posts_nothing(client, headers, active_loan, world):
    h = headers(world["user"])
    quote = client.get(f"{LOANS}{active_loan.pk}/payoff-quote/", headers=h).json()
    assert set(quote) == {"date", "principal", "interest", "fees", "penalties", "total"}
    count = Posting.objects.count()
    too_much = str(Decimal(quote["total"]) + Decimal("0.01"))
    response = post_json(client, f"{LOANS}{active_loan.pk}/make_payment/", {"amount": too_much},
                         headers={**h, **key("p-2")})
    assert response.status_code == 409 and response.json()["code"] == "over_payoff"
    assert Posting.objects.count() == count


@pytest.mark.parametrize("amount", ["0", "-1", "1.005"])
def test_bad_payment_amounts_are_422(client, headers, active_loan, world, amount):
    response = post_json(client, f"{LOANS}{active_loan.pk}/make_payment/", {"amount": amount},
                         headers={**headers(world["user"]), **key(f"bad-{amount}")})
    assert response.status_code == 422


def test_another_customer_gets_404_everywhere(client, headers, active_loan, world):
    h = headers(world["g_user"])
    assert client.get(f"{LOANS}{active_loan.pk}/schedule/", headers=h).status_code == 404
    assert client.get(f"{LOANS}{active_loan.pk}/payoff-quote/", headers=h).status_code == 404
    response = post_json(client, f"{LOANS}{active_loan.pk}/make_payment/", {"amount": "10.00"},
                         headers={**h, **key("o-1")})
    assert response.status_code == 404


def test_a_cashier_takes_cash(client, headers, active_loan, cashier):
    open_drawer(cashier)
    response = post_json(client, f"{LOANS}{active_loan.pk}/make_payment/", {"amount": "50.00", "channel": "cash"},
                         headers={**headers(cashier), **key("c-1")})
    assert response.status_code == 201, response.content


def test_write_off_is_asked_then_approved_by_another_manager(client, headers, active_loan, manager, second_manager):
    url = f"{LOANS}{active_loan.pk}/write-off/"
    response = post_json(client, url, {"reason": "Absconded"}, headers=headers(manager))
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending" and response.json()["loan_status"] == "active"
    request_id = response.json()["id"]
    own = post_json(client, f"{LOANS}requests/{request_id}/approve/", {}, headers=headers(manager))
    assert own.status_code == 403
    again = post_json(client, url, {"reason": "Absconded"}, headers=headers(manager))
    assert again.status_code == 409 and again.json()["code"] == "request_pending"
    ok = post_json(client, url, {"reason": "Agreed"}, headers=headers(second_manager))
    assert ok.status_code == 201 and ok.json()["status"] == "approved" and ok.json()["id"] == request_id
    assert ok.json()["loan_status"] == "written_off"
    active_loan.refresh_from_db()
    assert active_loan.status == Loan.Status.WRITTEN_OFF


def test_a_write_off_request_is_approved_through_the_requests_endpoint(client, headers, active_loan, manager,
                                                                       second_manager):
    request_id = post_json(client, f"{LOANS}{active_loan.pk}/write-off/", {"reason": "Absconded"},
                           headers=headers(manager)).json()["id"]
    ok = post_json(client, f"{LOANS}requests/{request_id}/approve/", {}, headers=headers(second_manager))
    assert ok.status_code == 200 and ok.json()["status"] == "approved"


def test_a_cashier_cannot_ask_for_a_write_off(client, headers, active_loan, cashier):
    response = post_json(client, f"{LOANS}{active_loan.pk}/write-off/", {"reason": "x"}, headers=headers(cashier))
    assert response.status_code == 403
