"""The demo's loan products (fixtures/demo/bank.json), made through the loans service."""

from datetime import date
from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.demo.loans import configure_loan_products
from apps.demo.staff import demo_staff, seed_users
from apps.loans.models import LoanProduct
from apps.loans.services import fee_amounts, schedule_preview

pytestmark = pytest.mark.django_db


def test_the_three_demo_loan_products_once_each():
    seed_users(password="Demo-password-2026")
    staff = demo_staff()
    configure_loan_products(staff.operations)
    configure_loan_products(staff.operations)  # a second run adds nothing
    products = {p.code: p for p in LoanProduct.objects.all()}
    assert set(products) == {"SUSU-WC", "SALARY", "EMERGENCY"}
    susu, salary, emergency = products["SUSU-WC"], products["SALARY"], products["EMERGENCY"]
    assert (susu.repayment_frequency, susu.interest_method) == ("week", "flat")
    assert (salary.repayment_frequency, salary.interest_method, salary.interest_rate,
            salary.interest_rate_period) == ("month", "declining_balance", Decimal("2"), "month")
    assert emergency.max_term <= 6
    assert AuditEvent.objects.filter(action="loanproduct.add", actor=staff.operations).count() == 3
    assert salary.history.get().history_user == staff.operations
    for product in products.values():
        schedule = schedule_preview(product=product, principal=product.min_amount, term=product.min_term,
                                    disbursement_date=date(2026, 3, 2))
        capitalised = sum((fee.amount for fee in fee_amounts(product, product.min_amount)
                           if fee.when == "capitalised"), Decimal("0"))
        assert sum(row.principal for row in schedule.instalments) == product.min_amount + capitalised
