"""The demo bank's product rules and service charges (fixtures/demo/bank.json), set by its operations manager
before the first business day, so the year pays its charges. Shares keep their rules (withdrawn only on exit)."""

from django.db import transaction

from apps.audit.services import record
from apps.ledger.models import Product, ServiceCharge

from .data import load, money

KINDS = (Product.Kind.DAILY_SUSU, Product.Kind.SHARES, Product.Kind.MONTHLY_CONTRIBUTION)
AMOUNTS = ("amount", "rate", "minimum", "maximum", "daily_withdrawal_limit", "minimum_balance")


def _values(row: dict) -> dict:
    return {name: money(value) if name in AMOUNTS else value for name, value in row.items()}


def active_products() -> dict[str, Product]:
    """The newest active product of each demo kind."""
    return {p.kind: p for p in Product.objects.filter(kind__in=KINDS, is_active=True).order_by("-pk")}


def configure_products(actor) -> None:
    """Save the rules and charges as the console saves them for the operations manager: validated, in the
    model history under their name, audited with the fields changed. Only what differs is saved, so a
    second run changes nothing."""
    bank = load("bank")
    products = active_products()
    with transaction.atomic():
        for kind, rules in bank["product_rules"].items():
            _save_config(actor, products[kind], _values(rules))
        for row in bank["service_charges"]:
            values = {**_values(row), "product": products.get(row["product"])}
            _save_config(actor, ServiceCharge.objects.filter(name=row["name"]).first() or ServiceCharge(), values)


def _save_config(actor, obj, values: dict) -> None:
    fields = sorted(name for name, value in values.items() if getattr(obj, name) != value)
    if not fields:
        return
    adding = obj.pk is None
    for name in fields:
        setattr(obj, name, values[name])
    obj.full_clean()
    obj._history_user = actor
    obj.save()
    record(actor, f"{obj._meta.model_name}.{'add' if adding else 'change'}", obj, fields=fields)
