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


@pytest.fixture
def second_manager(make_user):
    return make_user("manager")


@pytest.fixture
def approved_loan(world, manager):
    """world's member: 8,000 over 12 months on the salary product, guaranteed by Kofi, approved."""
    from apps.loans import applications

    loan = applications.loan_apply(actor=world["user"], product=world["product"], amount="8000.00", term=12,
                                   purpose="Stock for the shop", account=world["account"],
                                   guarantors=[{"member": world["guarantor"], "amount": "3000.00"}])
    applications.guarantee_accept(actor=world["g_user"], guarantee=loan.guarantees.get())
    return applications.loan_approve(actor=manager, loan=loan)


@pytest.fixture
def active_loan(approved_loan, manager):
    """The approved loan paid into the member's account on the open business date."""
    from apps.loans.servicing import loan_disburse

    loan_disburse(actor=manager, loan=approved_loan)
    approved_loan.refresh_from_db()
    return approved_loan
