"""GET/POST /api/loan-products/ and POST /api/loans/schedule-preview/ (API.md, "Loans")."""

from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.loans.models import LoanProduct, LoanProductFee
from tests.support import post_json

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/loan-products/"
PREVIEW = "/api/loans/schedule-preview/"

PRODUCT_BODY = {
    "code": "SUSU-WC", "name": "Susu working-capital loan", "interest_method": "flat",
    "amortization": "equal_instalments", "interest_rate": "4.5", "interest_rate_period": "month",
    "interest_calculation": "period", "days_in_year": "365", "repayment_every": 1, "repayment_frequency": "week",
    "min_term": 4, "max_term": 26, "min_amount": "200.00", "max_amount": "5000.00", "currency_decimals": 2,
    "currency_multiple": "0.05", "instalment_multiple": "1.00", "grace_on_principal": 0, "grace_on_interest": 0,
    "fees": [{"name": "Processing fee", "kind": "percent", "amount": "1.5", "when": "disbursement"},
             {"name": "Loan insurance", "kind": "flat", "amount": "10.00", "when": "capitalised"}],
    "penalty_rate": "0.5", "penalty_grace_days": 2, "max_savings_multiple": "1.00", "guarantors_required": 1,
}
PRODUCT_KEYS = set(PRODUCT_BODY) | {"id", "is_active", "accounts", "description"}
SCHEDULE_KEYS = {"principal", "total_interest", "total_fees", "total_repayment", "instalments"}
INSTALMENT_KEYS = {"number", "due_date", "principal", "interest", "fees", "penalties", "total",
                   "principal_due_after", "paid", "status"}


def test_an_operations_manager_creates_a_product(client, headers, operations_manager):
    response = post_json(client, PRODUCTS, PRODUCT_BODY, headers=headers(operations_manager))
    assert response.status_code == 201, response.content
    body = response.json()
    assert PRODUCT_KEYS <= set(body)
    assert body["interest_rate"] == "4.50" and body["penalty_rate"] == "0.50"
    assert body["min_amount"] == "200.00" and body["currency_multiple"] == "0.05"
    assert body["days_in_year"] == "365" and body["repayment_frequency"] == "week"
    assert body["fees"] == [{"name": "Processing fee", "kind": "percent", "amount": "1.50", "when": "disbursement"},
                            {"name": "Loan insurance", "kind": "flat", "amount": "10.00", "when": "capitalised"}]
    assert body["accounts"]["loans_receivable"] == "1100" and body["accounts"]["recoveries"] == "4040"
    product = LoanProduct.objects.get(pk=body["id"])
    assert product.interest_rate == Decimal("4.5") and product.fees.count() == 2
    assert AuditEvent.objects.filter(action="loanproduct.add", target_id=str(product.pk)).exists()


def test_a_rate_keeps_its_six_places(client, headers, operations_manager):
    body = {**PRODUCT_BODY, "interest_rate": "9.482215", "fees": []}
    response = post_json(client, PRODUCTS, body, headers=headers(operations_manager))
    assert response.status_code == 201, response.content
    assert response.json()["interest_rate"] == "9.482215"


@pytest.mark.parametrize("role", ["cashier", "manager", "mobile_banker", "customer"])
def test_other_roles_may_not_create_products(client, headers, make_user, role):
    response = post_json(client, PRODUCTS, PRODUCT_BODY, headers=headers(make_user(role)))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not LoanProduct.objects.exists()


def test_signed_out_is_401(client):
    assert client.get(PRODUCTS).status_code == 401
    assert post_json(client, PREVIEW, {}).status_code == 401


@pytest.mark.parametrize("change, field", [
    ({"min_term": 10, "max_term": 5}, "max_term"),
    ({"min_amount": "900.00", "max_amount": "100.00"}, "max_amount"),
    ({"interest_rate": "-1"}, "interest_rate"),
    ({"interest_rate": "1.1234567"}, "interest_rate"),
    ({"interest_rate": "1e2"}, "interest_rate"),
    ({"interest_rate": True}, "interest_rate"),
    ({"min_amount": "10.001"}, "min_amount"),
    ({"min_amount": "0"}, "min_amount"),
    ({"currency_multiple": "0"}, "currency_multiple"),
    ({"repayment_every": 0}, "repayment_every"),
    ({"interest_method": "compound"}, "interest_method"),
    ({"days_in_year": "364"}, "days_in_year"),
    ({"fees": [{"name": "x", "kind": "flat", "amount": "1.005", "when": "disbursement"}]}, "fees.0.amount"),
    ({"fees": [{"name": "x", "kind": "percent", "amount": "120", "when": "disbursement"}]}, "fees.0.amount"),
    ({"accounts": {"interest_income": "1100"}}, "interest_income_account"),
    ({"accounts": {"provision": "9999"}}, "provision_account"),
])
def test_bad_products_are_422_naming_the_field(client, headers, operations_manager, change, field):
    response = post_json(client, PRODUCTS, {**PRODUCT_BODY, **change}, headers=headers(operations_manager))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in {error["field"] for error in body["errors"]}, body
    assert not LoanProduct.objects.exists() and not LoanProductFee.objects.exists()


def test_a_duplicate_code_is_422(client, headers, operations_manager, product):
    response = post_json(client, PRODUCTS, {**PRODUCT_BODY, "code": product.code},
                         headers=headers(operations_manager))
    assert response.status_code == 422
    assert "code" in {error["field"] for error in response.json()["errors"]}


def test_signed_in_users_list_the_active_products(client, headers, customer, product, operations_manager):
    from apps.loans.services import loan_product_create

    from .conftest import product_fields

    retired = loan_product_create(actor=operations_manager, **product_fields(code="OLD", name="Old loan"))
    retired.is_active = False
    retired.save()
    body = client.get(PRODUCTS, headers=headers(customer)).json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert PRODUCT_KEYS <= set(item)
    assert item["id"] == product.pk and item["interest_rate"] == "2.00" and item["max_amount"] == "20000.00"


def preview(client, headers, product, **change):
    body = {"product_id": product.pk, "principal": "1200.00", "term": 6, "disbursement_date": "2026-01-31", **change}
    return post_json(client, PREVIEW, body, headers=headers)


@pytest.mark.parametrize("role", ["customer", "cashier", "mobile_banker", "manager", "operations_manager"])
def test_a_preview_has_the_schedule_shape_and_saves_nothing(client, headers, make_user, product, role):
    from apps.audit.models import AuditEvent as Events

    auth = headers(make_user(role))
    counts = LoanProduct.objects.count(), LoanProductFee.objects.count(), Events.objects.count()
    response = preview(client, auth, product)
    assert response.status_code == 200, response.content
    body = response.json()
    assert SCHEDULE_KEYS <= set(body)
    assert body["principal"] == "1200.00"
    rows = body["instalments"]
    assert len(rows) == 6 and [row["number"] for row in rows] == list(range(1, 7))
    assert all(INSTALMENT_KEYS <= set(row) for row in rows)
    assert all(row["status"] == "pending" and row["paid"] == "0.00" and row["penalties"] == "0.00" for row in rows)
    assert sum(Decimal(row["principal"]) for row in rows) == Decimal("1200.00")
    assert rows[-1]["principal_due_after"] == "0.00"
    assert [row["due_date"] for row in rows] == sorted(row["due_date"] for row in rows)
    assert Decimal(body["total_repayment"]) == (Decimal(body["principal"]) + Decimal(body["total_interest"])
                                                + Decimal(body["total_fees"]))
    for row in rows:
        assert Decimal(row["total"]) == Decimal(row["principal"]) + Decimal(row["interest"]) + Decimal(row["fees"])
    assert body["product_fees"] == [{"name": "Processing fee", "when": "disbursement", "amount": "12.00"}]
    after = LoanProduct.objects.count(), LoanProductFee.objects.count(), Events.objects.count()
    assert after == counts


def test_a_preview_of_an_unknown_product_is_404(client, headers, customer):
    response = post_json(client, PREVIEW, {"product_id": 99999, "principal": "1000.00", "term": 6,
                                           "disbursement_date": "2026-01-31"}, headers=headers(customer))
    assert response.status_code == 404
    assert response.json()["code"] == "loan_product_not_found"


@pytest.mark.parametrize("change, field, words", [
    ({"principal": "100.00"}, "principal", "between GH₵ 500.00 and GH₵ 20,000.00"),
    ({"term": 30}, "term", "between 3 and 24"),
    ({"principal": "-5"}, "principal", ""),
    ({"principal": "1000.001"}, "principal", ""),
    ({"principal": 0}, "principal", ""),
    ({"term": 0}, "term", ""),
    ({"disbursement_date": "2026-02-30"}, "disbursement_date", ""),
    ({"first_repayment_date": "2026-01-01"}, "first_repayment_date", "after the disbursal date"),
])
def test_a_bad_preview_is_422_naming_the_field(client, headers, customer, product, change, field, words):
    response = preview(client, headers(customer), product, **change)
    assert response.status_code == 422, response.content
    body = response.json()
    errors = {error["field"]: error["message"] for error in body["errors"]}
    assert field in errors and words in errors[field]


def test_a_preview_on_an_inactive_product_is_422(client, headers, customer, product):
    product.is_active = False
    product.save()
    response = preview(client, headers(customer), product)
    assert response.status_code == 422
    assert "not active" in response.json()["detail"]


@pytest.mark.parametrize("change, field", [
    ({"disbursement_date": "9999-12-31"}, "disbursement_date"),
    ({"disbursement_date": "0001-01-01"}, "disbursement_date"),
    ({"first_repayment_date": "9999-12-31"}, "first_repayment_date"),
    ({"product_id": 10**30}, "product_id"),
])
def test_dates_and_ids_at_the_ends_of_the_calendar_are_422(client, headers, customer, product, change, field):
    response = preview(client, headers(customer), product, **change)
    assert response.status_code == 422, response.content
    assert field in {error["field"] for error in response.json()["errors"]}
