"""Form fields shared by the console and the portal."""

from django import forms
from django.core.exceptions import ValidationError

from .money import MAX_AMOUNT, InvalidAmount, format_money, parse_amount


class AmountField(forms.CharField):
    """A money amount typed by a person, read by the one strict parser (apps.core.money.parse_amount):
    digits with at most two decimal places, no grouping commas, signs or exponents."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("maxlength", "24")

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_amount(text, allow_zero=self.allow_zero)
        except InvalidAmount as exc:
            raise ValidationError(str(exc), code="invalid_amount")

    def prepare_value(self, value):
        return f"{value:f}" if hasattr(value, "as_tuple") else value


def money_formfield(db_field, **kwargs):
    """The form field the console uses for a money column (a DecimalField with two places): the strict
    amount parser instead of Decimal(), which takes "1e3", "1_000" and other scripts' digits."""
    if getattr(db_field, "decimal_places", None) != 2:
        return None
    return AmountField(allow_zero=True, required=not db_field.blank, label=db_field.verbose_name.capitalize(),
                       help_text=db_field.help_text or f"At most {format_money(MAX_AMOUNT)}.", **kwargs)
