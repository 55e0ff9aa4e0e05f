"""The demo bank's loan products (fixtures/demo/bank.json "loan_products"), added by its operations manager
through the loans service before the first business day: validated, audited and in the model history.
A product whose code is already there is left as it is, so a second run adds nothing."""

from decimal import Decimal

from apps.loans.models import LoanProduct
from apps.loans.services import loan_product_create

from .data import load, money

AMOUNTS = ("min_amount", "max_amount", "currency_multiple", "instalment_multiple", "max_savings_multiple")
RATES = ("interest_rate", "penalty_rate")


def _values(row: dict) -> dict:
    values = {}
    for name, value in row.items():
        if name in AMOUNTS:
            value = money(value)
        elif name in RATES:
            value = Decimal(str(value))
        values[name] = value
    return values


def configure_loan_products(actor) -> list[LoanProduct]:
    """The demo's loan products, each created once."""
    products = []
    for row in load("bank")["loan_products"]:
        existing = LoanProduct.objects.filter(code=row["code"]).first()
        if existing is not None:
            products.append(existing)
            continue
        values = _values(row)
        fees = [{**fee, "amount": Decimal(str(fee["amount"]))} for fee in values.pop("fees", [])]
        products.append(loan_product_create(actor=actor, fees=fees, **values))
    return products
