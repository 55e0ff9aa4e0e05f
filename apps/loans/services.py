"""Loan products and the schedule preview.

`loan_product_create` is how an operations manager adds a product (the API and the seed data call it; the
console saves through its ModelAdmin with the same validation, audited likewise). `schedule_preview`
shows the schedule a loan would have, before anyone applies: nothing is saved.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.audit.services import record
from apps.core.calendar import working_calendar
from apps.core.money import format_money, quantize
from apps.core.roles import Role
from apps.ledger.models import GLAccount

from . import chart
from .models import LoanProduct, LoanProductFee
from .schedule import Schedule, ScheduleTerms, generate_schedule

PRODUCT_FIELDS = {
    "code", "name", "description", "interest_method", "amortization", "interest_rate", "interest_rate_period",
    "interest_calculation", "days_in_year", "repayment_every", "repayment_frequency", "min_term", "max_term",
    "min_amount", "max_amount", "currency_decimals", "currency_multiple", "instalment_multiple",
    "grace_on_principal", "grace_on_interest", "penalty_rate", "penalty_grace_days", "max_savings_multiple",
    "guarantors_required", "is_active",
}
FEE_FIELDS = {"name", "kind", "amount", "when"}
# Dates a schedule may start from: wide enough for any real loan, and far from the calendar's ends.
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2199, 12, 31)


def can_manage_products(user) -> bool:
    return getattr(user, "role", None) == Role.OPERATIONS_MANAGER and user.has_perm("loans.add_loanproduct")


def loan_product_create(*, actor, fees=(), accounts=None, request=None, **fields) -> LoanProduct:
    """Add a loan product with its fees. Operations managers only; validated field by field (the
    ValidationError names the field) and audited in the same transaction.

    `accounts` maps product GL fields (`loans_receivable_account`, ...) to GL account codes; any not
    given take the standard chart's account (apps/loans/chart.py)."""
    if not can_manage_products(actor):
        raise PermissionDenied("Only an operations manager may add loan products.")
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise ValidationError(f"Unknown loan product fields: {', '.join(sorted(unknown))}.")
    product = LoanProduct(**fields)
    _set_accounts(product, accounts or {})
    fee_rows = [_fee(product, index, row) for index, row in enumerate(fees)]
    errors = {}
    try:
        product.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for index, fee in enumerate(fee_rows):
        try:
            fee.full_clean(exclude=["product"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"fees.{index}.{name}"] = messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        product._history_user = actor
        product.save()
        for fee in fee_rows:
            fee.product = product
            fee._history_user = actor
            fee.save()
        record(actor, "loanproduct.add", product, request=request, code=product.code,
               fees=[fee.name for fee in fee_rows])
    return product


def _set_accounts(product: LoanProduct, accounts: dict) -> None:
    unknown = set(accounts) - set(chart.PRODUCT_DEFAULTS)
    if unknown:
        raise ValidationError(f"Unknown ledger account fields: {', '.join(sorted(unknown))}.")
    for field, default_code in chart.PRODUCT_DEFAULTS.items():
        code = accounts.get(field) or default_code
        gl = GLAccount.objects.filter(code=code, is_active=True).first()
        if gl is None:
            raise ValidationError({field: f"There is no active GL account {code}."})
        setattr(product, field, gl)


def _fee(product, index: int, row) -> LoanProductFee:
    row = dict(row)
    unknown = set(row) - FEE_FIELDS
    if unknown:
        raise ValidationError({f"fees.{index}": f"Unknown fee fields: {', '.join(sorted(unknown))}."})
    return LoanProductFee(product=product, **row)


def schedule_terms(product: LoanProduct, term: int) -> ScheduleTerms:
    """The generator's terms for a loan of `term` repayments on this product."""
    return ScheduleTerms(
        interest_method=product.interest_method,
        amortization=product.amortization,
        interest_rate=Decimal(product.interest_rate),
        interest_rate_period=product.interest_rate_period,
        interest_calculation=product.interest_calculation,
        days_in_year=product.days_in_year,
        repayment_every=product.repayment_every,
        repayment_frequency=product.repayment_frequency,
        term=term,
        currency_decimals=product.currency_decimals,
        currency_multiple=product.currency_multiple,
        instalment_multiple=product.instalment_multiple,
        grace_on_principal=product.grace_on_principal,
        grace_on_interest=product.grace_on_interest,
    )


def loan_terms_validate(*, product: LoanProduct, principal: Decimal, term: int) -> None:
    """Whether a loan of this amount and term may be made on the product: the product is active and the
    amount and term are in its ranges. Raises ValidationError naming the field."""
    if not product.is_active:
        raise ValidationError({"product_id": f"The product {product.name} is not active: it takes no new loans."})
    errors = {}
    if principal < product.min_amount or principal > product.max_amount:
        errors["principal"] = (f"The amount must be between {format_money(product.min_amount)} and "
                               f"{format_money(product.max_amount)} for {product.name}.")
    if term < product.min_term or term > product.max_term:
        errors["term"] = (f"The term must be between {product.min_term} and {product.max_term} repayments "
                          f"for {product.name}.")
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class FeeAmount:
    name: str
    when: str
    amount: Decimal


def fee_value(kind: str, amount, principal: Decimal) -> Decimal:
    """What one fee comes to on a loan of `principal`: a flat fee as it is, a percent fee of the
    principal rounded half-up to the cent."""
    amount = Decimal(amount)
    return quantize(amount if kind == LoanProductFee.Kind.FLAT else principal * amount / 100)


def fee_amounts(product: LoanProduct, principal: Decimal) -> list[FeeAmount]:
    """What each of the product's fees comes to on a loan of `principal`. A fee deducted at disbursal is
    kept back from what is paid out; a capitalised one is added to the principal owed (the schedule is
    made on it: `schedule_preview`, `servicing.disbursal_schedule`)."""
    return [FeeAmount(fee.name, fee.when, fee_value(fee.kind, fee.amount, principal)) for fee in product.fees.all()]


def capitalised(fees: list[FeeAmount]) -> Decimal:
    return sum((fee.amount for fee in fees if fee.when == LoanProductFee.When.CAPITALISED), Decimal("0.00"))


def schedule_preview(*, product: LoanProduct, principal: Decimal, term: int, disbursement_date: date,
                     first_repayment_date: date | None = None) -> Schedule:
    """The schedule a loan of `principal` over `term` repayments would have: on the principal owed, the
    amount lent plus any capitalised fees. Nothing is saved."""
    loan_terms_validate(product=product, principal=principal, term=term)
    for field, day in (("disbursement_date", disbursement_date), ("first_repayment_date", first_repayment_date)):
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValidationError({field: f"Give a date between {EARLIEST_DATE:%Y} and {LATEST_DATE:%Y}."})
    if first_repayment_date is not None and first_repayment_date <= disbursement_date:
        raise ValidationError({"first_repayment_date": "The first repayment must come after the disbursal date."})
    days = working_calendar()  # holidays and non-working weekdays operations configured
    try:
        owed = principal + capitalised(fee_amounts(product, principal))
        return generate_schedule(schedule_terms(product, term), principal=owed,
                                 disbursement_date=disbursement_date, first_repayment_date=first_repayment_date,
                                 holidays=days.holidays, non_working_weekdays=days.non_working_weekdays)
    except (ValueError, ArithmeticError) as exc:  # the generator refuses terms it cannot schedule
        raise ValidationError(str(exc)) from exc
