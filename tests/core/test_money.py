"""Money input: exact decimals with at most two places, positive, never a float's rounding noise."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.core.money import MAX_AMOUNT, InvalidAmount, parse_amount, quantize, quantize_interest


@pytest.mark.parametrize("raw, message", [
    ("0", "greater than zero"),
    (0, "greater than zero"),
    ("0.00", "greater than zero"),
    ("-0", "greater than zero"),
    ("-5", "positive"),
    (-0.01, "positive"),
    ("1.005", "two decimal places"),
    (150.555, "two decimal places"),
    ("0.001", "two decimal places"),
    ("NaN", "as a number"),
    (float("nan"), "as a number"),
    ("Infinity", "as a number"),
    ("ten cedis", "as a number"),
    ("", "as a number"),
    ("1,000.00", "as a number"),
    (None, "Enter an amount"),
    (True, "Enter an amount"),
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
    (150.5, Decimal("150.50")),
    ("0.01", Decimal("0.01")),
    (" 42.10 ", Decimal("42.10")),
    (Decimal("7.5"), Decimal("7.50")),
    ("1.500", Decimal("1.50")),  # trailing zeros are not extra precision
    ("1000000000.00", MAX_AMOUNT),
])
def test_accepted(raw, expected):
    value = parse_amount(raw)
    assert value == expected
    assert value.as_tuple().exponent == -2


def test_zero_only_when_allowed():
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")


def test_a_float_is_judged_by_the_digits_the_client_sent():
    # 0.1 + 0.2 is 0.30000000000000004 as a float: that is not an amount anyone typed.
    with pytest.raises(InvalidAmount):
        parse_amount(0.1 + 0.2)
    assert parse_amount(0.3) == Decimal("0.30")


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
