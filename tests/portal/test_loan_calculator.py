"""The member's loan calculator: the loans app's schedule, for members only, and nothing saved."""

from decimal import Decimal

import pytest

from apps.loans.models import LoanProduct
from apps.loans.services import loan_product_create
from tests.loans.conftest import product_fields
from tests.support import staff_client_for

pytestmark = pytest.mark.django_db
URL = "/my/loans/calculator/"


@pytest.fixture
def salary_loan(operations_manager) -> LoanProduct:
    return loan_product_create(actor=operations_manager, fees=[
        {"name": "Processing fee", "kind": "percent", "amount": Decimal("1"), "when": "disbursement"}],
        **product_fields())


def test_a_member_sees_the_products_and_the_repayments_of_a_loan(customer, salary_loan):
    client = staff_client_for(customer)
    page = client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Salary loan" in text and "GH₵ 500.00 to GH₵ 20,000.00" in text and "3 to 24" in text

    shown = client.post(URL, {"product": salary_loan.pk, "principal": "1000.00", "term": "3"})
    assert shown.status_code == 200
    schedule = shown.context["schedule"]
    assert len(schedule.instalments) == 3
    assert sum(row.principal for row in schedule.instalments) == Decimal("1000.00")
    text = shown.content.decode()
    assert 'data-testid="loan-schedule"' in text
    assert f"you repay GH₵ {schedule.total_repayment:,.2f} in all" in text
    assert "Processing fee: GH₵ 10.00, taken from the amount paid out" in text
    assert shown["Cache-Control"].startswith("private") or "no-store" in shown["Cache-Control"]


def test_an_amount_outside_the_range_is_refused_with_the_reason(customer, salary_loan):
    client = staff_client_for(customer)
    refused = client.post(URL, {"product": salary_loan.pk, "principal": "100.00", "term": "3"})
    assert refused.status_code == 422
    assert refused.context["schedule"] is None
    assert refused.context["form"].errors["principal"]
    badly_typed = client.post(URL, {"product": salary_loan.pk, "principal": "1,000", "term": "3"})
    assert badly_typed.status_code == 422
    assert "without commas" in badly_typed.content.decode()
    too_long = client.post(URL, {"product": salary_loan.pk, "principal": "1000.00", "term": "48"})
    assert too_long.status_code == 422 and too_long.context["form"].errors["term"]


def test_staff_and_strangers_do_not_use_the_member_calculator(cashier, salary_loan):
    assert staff_client_for(cashier).get(URL).status_code == 403
    from django.test import Client

    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
