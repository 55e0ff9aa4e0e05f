"""Money input: exact decimals with at most two places, positive, never a float's rounding noise."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.core.money import (
    MAX_AMOUNT,
    InvalidAmount,
    JsonNumber,
    format_money,
    money_cell,
    parse_amount,
    quantize,
    quantize_interest,
)


@pytest.mark.parametrize("raw, message", [
    ("0", "greater than zero"),
    (0, "greater than zero"),
    ("0.00", "greater than zero"),
    ("-0", "positive"),
    ("-5", "positive"),
    (Decimal("-0.01"), "positive"),
    ("1.005", "two decimal places"),
    ("1.500", "two decimal places"),  # three places, even when the last is a zero
    ("0.001", "two decimal places"),
    (JsonNumber("150.555"), "two decimal places"),
    ("NaN", "as a number"),
    (Decimal("NaN"), "as a number"),
    ("Infinity", "as a number"),
    ("ten cedis", "as a number"),
    ("", "Enter an amount"),
    (None, "Enter an amount"),
    (True, "Enter an amount"),
    (False, "Enter an amount"),
    # What Python's Decimal() takes but no person means as money (issue 12):
    ("1e3", "as a number"),
    ("1E+2", "as a number"),
    (JsonNumber("1e3"), "as a number"),
    (JsonNumber("1.5E2"), "as a number"),
    ("1_000", "as a number"),
    ("+5", "as a number"),
    (" 5 ", "as a number"),
    ("5.", "as a number"),
    (".5", "as a number"),
    ("1,000.00", "without commas, as a number: 1000.00"),
    ("1,0,0", "without commas"),
    ("\u0661\u0662\u0663", "as a number"),  # Arabic-Indic digits
    ("\uff15", "as a number"),  # a full-width 5
    ("0x10", "as a number"),
    (150.5, "as a number"),  # a float is never money; JSON numbers arrive as JsonNumber
    (0.1 + 0.2, "as a number"),
    ([5], "as a number"),
    ("1000000000.01", "too large"),
    ("10000000000000000.00", "too large"),
    ("123456789012345678901234567.123", "too large"),
])
def test_refused(raw, message):
    with pytest.raises(InvalidAmount, match=message):
        parse_amount(raw)


@pytest.mark.parametrize("raw, expected", [
    ("150", Decimal("150.00")),
    (150, Decimal("150.00")),
    (JsonNumber("150.5"), Decimal("150.50")),
    (JsonNumber("0.30"), Decimal("0.30")),
    ("0.01", Decimal("0.01")),
    ("42.10", Decimal("42.10")),
    ("007", Decimal("7.00")),
    (Decimal("7.5"), Decimal("7.50")),
    (Decimal("7.500"), Decimal("7.50")),  # a Decimal made in code is judged by its value
    ("1000000000.00", MAX_AMOUNT),
])
def test_accepted(raw, expected):
    value = parse_amount(raw)
    assert value == expected
    assert value.as_tuple().exponent == -2


def test_zero_only_when_allowed():
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")


def test_rounding_rules():
    assert quantize(Decimal("2.345")) == Decimal("2.35")  # half up
    assert quantize_interest(Decimal("2.345")) == Decimal("2.34")  # half even
    assert quantize_interest(Decimal("2.355")) == Decimal("2.36")


amounts = st.decimals(min_value=Decimal("0.01"), max_value=MAX_AMOUNT, places=2, allow_nan=False,
                      allow_infinity=False)


@given(amounts)
def test_any_two_place_amount_round_trips(amount):
    assert parse_amount(str(amount)) == amount
    assert parse_amount(amount) == amount
    assert parse_amount(f"{amount:f}") == amount
    assert str(parse_amount(amount)) == f"{amount:.2f}"


@given(st.decimals(min_value=Decimal("0.00"), max_value=MAX_AMOUNT - 1, places=2),
       st.integers(min_value=1, max_value=9))
def test_a_third_decimal_place_is_always_refused(amount, digit):
    with pytest.raises(InvalidAmount, match="two decimal places"):
        parse_amount(f"{amount:.2f}{digit}")


# --- the one formatter ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, kwargs, expected", [
    (Decimal("1234.5"), {}, "GH₵ 1,234.50"),
    (Decimal("1234567.891"), {}, "GH₵ 1,234,567.89"),
    (Decimal("0.005"), {}, "GH₵ 0.01"),  # half-up, like floatformat
    (Decimal("-0.001"), {}, "GH₵ 0.00"),  # never "-0.00"
    (Decimal("-20"), {}, "GH₵ -20.00"),
    (5, {}, "GH₵ 5.00"),
    ("12.3", {}, "GH₵ 12.30"),
    (Decimal("1234.5"), {"symbol": False}, "1,234.50"),
    (Decimal("12"), {"signed": True}, "GH₵ +12.00"),
    (Decimal("-12"), {"signed": True}, "GH₵ -12.00"),
    (Decimal("0"), {"signed": True}, "GH₵ 0.00"),
    (None, {}, ""),
    ("", {}, ""),
    (None, {"blank": "—"}, "—"),
    ("n/a", {}, "n/a"),
])
def test_format_money(value, kwargs, expected):
    assert format_money(value, **kwargs) == expected


def test_the_currency_comes_from_settings(settings):
    from django.template import Context, Template

    settings.CURRENCY_SYMBOL = "KES"
    assert format_money(Decimal("1")) == "KES 1.00" and money_cell(None) == "—" and money_cell(1) == "1.00"
    rendered = Template('{% load money %}{{ a|cedis }} {{ a|amount }} {{ b|cedis:"signed" }} {% currency_symbol %}'
                        ).render(Context({"a": Decimal("1500"), "b": Decimal("2")}))
    assert rendered == "KES 1,500.00 1,500.00 KES +2.00 KES"
