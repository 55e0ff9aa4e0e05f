"""Formatting for statements: money with thousands separators, the same in every locale."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(value) -> str:
    """1234.5 -> "1,234.50"; empty for None. Decimal in, never a float."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"
