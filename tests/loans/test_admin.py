"""The console's loan products and schedule preview: who sees and changes what, the sidebar entry."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.loans.models import LoanProduct
from tests.support import form_fields

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:loans_loanproduct_changelist")
ADD = reverse("admin:loans_loanproduct_add")
PREVIEW = reverse("admin:loans_schedule_preview")
STAFF = ["cashier", "mobile_banker", "manager", "operations_manager"]


@pytest.mark.parametrize("role", STAFF)
def test_staff_see_the_products_and_the_preview(console, make_user, product, role):
    client = console(make_user(role))
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert "Salary loan" in page.content.decode()
    detail = client.get(reverse("admin:loans_loanproduct_change", args=[product.pk]))
    assert detail.status_code == 200
    assert client.get(reverse("admin:loans_loanproduct_history", args=[product.pk])).status_code == 200
    assert client.get(PREVIEW).status_code == 200


@pytest.mark.parametrize("role", ["cashier", "mobile_banker", "manager"])
def test_only_operations_managers_add_or_change_products(console, make_user, product, role):
    client = console(make_user(role))
    assert client.get(ADD).status_code == 403
    change = reverse("admin:loans_loanproduct_change", args=[product.pk])
    assert client.post(change, {"name": "Renamed"}).status_code == 403
    product.refresh_from_db()
    assert product.name == "Salary loan"


def test_the_sidebar_shows_loans_to_an_operations_manager(console, operations_manager, customer):
    from apps.core.sidebar import navigation

    page = console(operations_manager).get(reverse("admin:index"))
    groups = {group["title"]: [item["title"] for item in group["items"]] for group in navigation(page.wsgi_request)}
    assert groups["Loans"] == ["Loan officer portfolio", "Loan applications", "Loan approvals", "Loan products",
                               "Schedule preview", "Loans policy", "Portfolio at risk"]
    assert CHANGELIST in page.content.decode() and PREVIEW in page.content.decode()


def _add_form(client) -> dict:
    data = form_fields(client.get(ADD).content.decode())
    data.update({
        "name": "Emergency loan", "code": "EMERGENCY", "interest_method": "flat", "amortization": "equal_instalments",
        "interest_rate": "3", "interest_rate_period": "month", "interest_calculation": "period",
        "days_in_year": "actual", "repayment_every": "1", "repayment_frequency": "month", "min_term": "1",
        "max_term": "6", "min_amount": "100.00", "max_amount": "3000.00", "currency_decimals": "2",
        "penalty_rate": "0", "penalty_grace_days": "0", "guarantors_required": "0", "is_active": "on",
        "fees-TOTAL_FORMS": "1", "fees-0-name": "Processing fee", "fees-0-kind": "flat", "fees-0-amount": "15",
        "fees-0-when": "disbursement",
    })
    return data


def test_an_operations_manager_adds_a_product_in_the_console(console, operations_manager):
    client = console(operations_manager)
    data = _add_form(client)
    assert data["loans_receivable_account"]  # the standard chart's accounts are offered
    response = client.post(ADD, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    product = LoanProduct.objects.get(code="EMERGENCY")
    assert product.fees.get().amount == Decimal("15")
    assert product.loans_receivable_account.code == "1100"
    assert AuditEvent.objects.filter(action="loanproduct.add", target_id=str(product.pk)).exists()
    assert product.history.count() == 1


def test_the_console_refuses_a_bad_product_in_words(console, operations_manager):
    client = console(operations_manager)
    data = {**_add_form(client), "min_term": "12", "max_term": "6"}
    response = client.post(ADD, data)
    assert response.status_code == 200
    assert "The longest term must not be shorter than the shortest term." in response.content.decode()
    assert not LoanProduct.objects.exists()


def test_the_preview_page_shows_the_schedule(console, cashier, product):
    client = console(cashier)
    response = client.post(PREVIEW, {"product": product.pk, "principal": "1200.00", "term": "6",
                                     "disbursement_date": "2026-01-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="schedule-table"' in html
    assert "GH₵ 1,200.00 lent over 6 repayments" in html
    assert "Processing fee: GH₵ 12.00, deducted from the amount paid out" in html
    assert LoanProduct.objects.count() == 1


def test_the_preview_page_says_what_is_wrong(console, cashier, product):
    client = console(cashier)
    response = client.post(PREVIEW, {"product": product.pk, "principal": "50.00", "term": "6",
                                     "disbursement_date": "2026-01-31"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "The amount must be between GH₵ 500.00 and GH₵ 20,000.00 for Salary loan." in html
    assert 'data-testid="schedule-table"' not in html
    response = client.post(PREVIEW, {"product": product.pk, "principal": "1e3", "term": "6",
                                     "disbursement_date": "2026-01-31"})
    assert response.status_code == 422


def test_a_customer_has_no_console(client, customer):
    client.force_login(customer)
    assert client.get(PREVIEW).status_code in (302, 403)
    assert client.get(CHANGELIST).status_code in (302, 403)
