"""Money in templates, written by `apps.core.money.format_money` so every screen and PDF agree.

`{{ x|cedis }}` -> "GH₵ 1,234.50" (the currency from settings); `{{ x|amount }}` -> "1,234.50" for a
column or sentence that names the currency already; either with `:"signed"` puts "+" before an
amount above zero. `{% currency_symbol %}` is the symbol alone, and `{{ "Amount"|in_currency }}`
a label naming it ("Amount (GH₵)"), usable inside a component's `with title=...`.
"""

from django import template
from django.conf import settings

from apps.core.money import format_money
from apps.core.money import in_currency as _in_currency

register = template.Library()


@register.filter
def cedis(value, option: str = "") -> str:
    """Decimal("1234.5") -> "GH₵ 1,234.50"; empty for None or ""."""
    return format_money(value, signed=option == "signed")


@register.filter
def amount(value, option: str = "") -> str:
    """Decimal("1234.5") -> "1,234.50"; empty for None or ""."""
    return format_money(value, symbol=False, signed=option == "signed")


@register.simple_tag
def currency_symbol() -> str:
    return settings.CURRENCY_SYMBOL


@register.filter
def in_currency(label) -> str:
    """"Balance" -> "Balance (GH₵)"."""
    return _in_currency(label)
