"""Loan products through the service: who may add them, validation in words, audit and history; the
schedule preview's checks. Exact schedule figures are the generator's tests (tests of apps/loans/schedule.py)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.ledger.models import GLAccount
from apps.loans import chart
from apps.loans.models import LoanProduct
from apps.loans.services import loan_product_create, schedule_preview

from .conftest import product_fields

pytestmark = pytest.mark.django_db


def test_the_loans_chart_accounts_are_in_the_chart():
    for code, name, kind in chart.CHART:
        gl = GLAccount.objects.get(code=code)
        assert (gl.name, gl.type) == (name, kind)
    for code in chart.PRODUCT_DEFAULTS.values():
        assert GLAccount.objects.filter(code=code, is_active=True).exists()


def test_an_operations_manager_adds_a_product_with_fees_audited_and_historied(operations_manager):
    product = loan_product_create(actor=operations_manager, fees=[
        {"name": "Insurance", "kind": "flat", "amount": Decimal("20.00"), "when": "capitalised"}],
        **product_fields(code="EMERG", name="Emergency loan"))
    assert product.fees.get().name == "Insurance"
    assert product.loans_receivable_account.code == chart.LOANS_RECEIVABLE
    assert product.penalty_income_account.code == chart.PENALTY_INCOME
    assert product.write_off_account.code == chart.WRITE_OFF_EXPENSE
    event = AuditEvent.objects.get(action="loanproduct.add")
    assert event.actor == operations_manager and event.target_id == str(product.pk)
    assert product.history.get().history_user == operations_manager


@pytest.mark.parametrize("role", ["cashier", "manager", "mobile_banker", "customer", "admin"])
def test_other_roles_may_not_add_products(make_user, role):
    with pytest.raises(PermissionDenied):
        loan_product_create(actor=make_user(role), **product_fields())
    assert not LoanProduct.objects.exists()


@pytest.mark.parametrize("overrides, field, words", [
    ({"min_term": 12, "max_term": 6}, "max_term", "longest term must not be shorter"),
    ({"min_amount": Decimal("900.00"), "max_amount": Decimal("100.00")}, "max_amount", "largest amount"),
    ({"interest_rate": Decimal("-1")}, "interest_rate", "cannot be negative"),
    ({"interest_rate": Decimal("1000.5")}, "interest_rate", "more than 1000 %"),
    ({"interest_rate": Decimal("1.1234567")}, "interest_rate", "6 decimal places"),
    ({"currency_multiple": Decimal("0")}, "currency_multiple", "more than zero"),
    ({"instalment_multiple": Decimal("-1")}, "instalment_multiple", "more than zero"),
    ({"currency_decimals": 3}, "currency_decimals", "at most 2 decimal places"),
    ({"grace_on_principal": 24}, "grace_on_principal", "shorter than the longest term"),
    ({"interest_method": "compound"}, "interest_method", "not a valid choice"),
])
def test_bad_products_are_refused_naming_the_field(operations_manager, overrides, field, words):
    with pytest.raises(ValidationError) as refused:
        loan_product_create(actor=operations_manager, **product_fields(**overrides))
    assert field in refused.value.message_dict
    assert words in " ".join(refused.value.message_dict[field])
    assert not LoanProduct.objects.exists() and not AuditEvent.objects.filter(action="loanproduct.add").exists()


def test_a_bad_fee_is_refused_naming_it(operations_manager):
    with pytest.raises(ValidationError) as refused:
        loan_product_create(actor=operations_manager, fees=[
            {"name": "Processing", "kind": "flat", "amount": Decimal("5.001"), "when": "disbursement"}],
            **product_fields())
    assert "fees.0.amount" in refused.value.message_dict
    assert not LoanProduct.objects.exists()


def test_a_ledger_account_of_the_wrong_type_is_refused(operations_manager):
    with pytest.raises(ValidationError) as refused:
        loan_product_create(actor=operations_manager, accounts={"interest_income_account": chart.LOANS_RECEIVABLE},
                            **product_fields())
    assert "interest_income_account" in refused.value.message_dict


def test_a_duplicate_code_is_refused(operations_manager, product):
    with pytest.raises(ValidationError) as refused:
        loan_product_create(actor=operations_manager, **product_fields(name="Another"))
    assert "code" in refused.value.message_dict


def test_the_preview_checks_amount_term_and_product(product):
    day = date(2026, 1, 31)
    schedule = schedule_preview(product=product, principal=Decimal("1000.00"), term=6, disbursement_date=day)
    assert len(schedule.instalments) == 6
    assert sum(row.principal for row in schedule.instalments) == Decimal("1000.00")
    assert [row.number for row in schedule.instalments] == [1, 2, 3, 4, 5, 6]
    assert all(row.due_date > day for row in schedule.instalments)
    with pytest.raises(ValidationError) as refused:
        schedule_preview(product=product, principal=Decimal("100.00"), term=6, disbursement_date=day)
    assert "between GH₵ 500.00 and GH₵ 20,000.00" in refused.value.message_dict["principal"][0]
    with pytest.raises(ValidationError) as refused:
        schedule_preview(product=product, principal=Decimal("1000.00"), term=30, disbursement_date=day)
    assert "between 3 and 24 repayments" in refused.value.message_dict["term"][0]
    with pytest.raises(ValidationError) as refused:
        schedule_preview(product=product, principal=Decimal("1000.00"), term=6, disbursement_date=day,
                         first_repayment_date=day)
    assert "first_repayment_date" in refused.value.message_dict
    product.is_active = False
    product.save()
    with pytest.raises(ValidationError) as refused:
        schedule_preview(product=product, principal=Decimal("1000.00"), term=6, disbursement_date=day)
    assert "not active" in refused.value.message_dict["product_id"][0]
