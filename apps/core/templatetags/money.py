"""`{{ amount|cedis }}`: money as people read it, with the currency, the same on every screen."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def cedis(value) -> str:
    """Decimal("1234.5") -> "GH₵ 1,234.50"; empty for None or "" (the currency comes from settings)."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{settings.CURRENCY_SYMBOL} {amount:,.2f}"
