"""Fixtures for the loans tests: a product made through the service, and console clients."""

from decimal import Decimal

import pytest

from apps.loans.services import loan_product_create
from tests.ledger.factories import fund, make_member, open_account


def product_fields(**overrides) -> dict:
    fields = {
        "code": "SALARY", "name": "Salary loan", "interest_method": "declining_balance",
        "amortization": "equal_instalments", "interest_rate": Decimal("2"), "interest_rate_period": "month",
        "interest_calculation": "period", "days_in_year": "actual", "repayment_every": 1,
        "repayment_frequency": "month", "min_term": 3, "max_term": 24, "min_amount": Decimal("500.00"),
        "max_amount": Decimal("20000.00"), "penalty_rate": Decimal("1.5"), "penalty_grace_days": 3,
        "max_savings_multiple": Decimal("2.00"), "guarantors_required": 1,
    }
    return {**fields, **overrides}


@pytest.fixture
def product(operations_manager):
    return loan_product_create(actor=operations_manager, fees=[
        {"name": "Processing fee", "kind": "percent", "amount": Decimal("1"), "when": "disbursement"}],
        **product_fields())


@pytest.fixture
def console(staff_client, totp_device):
    """console(user) -> a test client signed in to the staff console (second factor where the role needs one)."""

    def make(user):
        if user.role in ("manager", "operations_manager", "admin"):
            totp_device(user)
        return staff_client(user)

    return make


@pytest.fixture
def headers(api, totp_device, code_for):
    """headers(user) -> Bearer headers, with a second factor for the roles that need one."""
    from apps.core.roles import Role

    def make(user):
        if Role(user.role).otp_required:
            return api(user, otp=code_for(totp_device(user)))
        return api(user)

    return make


@pytest.fixture
def world(product, cashier, operations_manager, make_user):
    """A verified member with a user and 5,000 of savings; a guarantor with 3,000; a second manager."""
    user = make_user("customer")
    member = make_member(registrar=cashier, verifier=operations_manager, user=user)
    account = fund(open_account(actor=cashier, member=member, kind="monthly_contribution"), "5000.00",
                   cashier=cashier)
    g_user = make_user("customer")
    guarantor = make_member(registrar=cashier, verifier=operations_manager, user=g_user, first_name="Kofi")
    g_account = fund(open_account(actor=cashier, member=guarantor, kind="monthly_contribution"), "3000.00",
                     cashier=cashier)
    return {"user": user, "member": member, "account": account, "g_user": g_user, "guarantor": guarantor,
            "g_account": g_account, "product": product}
