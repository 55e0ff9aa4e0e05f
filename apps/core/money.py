"""Money helpers. Money is always Decimal with two places; never a float.

`quantize` rounds half-up, the convention for amounts a person types or a fee computes;
`quantize_interest` rounds half-even (banker's rounding) so interest rounding errors do
not drift one way over many postings.
"""

import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The most one amount may be: a billion cedis, far above any real movement of a credit union, and
# low enough that sums of them cannot overflow a balance column (DecimalField(max_digits=18,
# decimal_places=2) holds up to 9,999,999,999,999,999.99: ten million such movements).
MAX_AMOUNT = Decimal("1000000000.00")


class InvalidAmount(ValueError):
    """An amount that is not a positive decimal with at most two places."""


def quantize(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def quantize_interest(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


# What a person or a client may send as an amount: ASCII digits, optionally a point and one or two
# more digits. No sign, exponent, grouping, underscore, spaces or other scripts' digits: Python's
# Decimal() would take "1e3", "1_000", " +5 " and "١٢٣", and each of those once posted money nobody meant.
PLAIN_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
AMOUNT_HELP = "Enter the amount as a number in plain digits, with at most two decimal places, for example 150.00."
_MAX_AMOUNT_LENGTH = 24  # far more than any amount up to MAX_AMOUNT needs; longer text is refused unread


class JsonNumber(Decimal):
    """A JSON number as the client wrote it: the API's JSON parser makes every non-integer number one
    (never a float), and `literal` keeps its text, so `1e3` can be told apart from `1000.00`."""

    literal: str

    def __new__(cls, literal: str):
        number = super().__new__(cls, literal)
        number.literal = literal
        return number


def _amount_text(raw) -> str:
    if isinstance(raw, bool) or raw is None:
        raise InvalidAmount("Enter an amount.")
    if isinstance(raw, JsonNumber):
        return raw.literal
    if isinstance(raw, Decimal):
        return format(raw.normalize(), "f") if raw.is_finite() else str(raw)  # 7.500 made in code is 7.50
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, str):
        return raw
    raise InvalidAmount(AMOUNT_HELP)  # a float is not money: it cannot say 0.10 exactly


def parse_amount(raw, *, allow_zero: bool = False) -> Decimal:
    """The one parser of money amounts, for the API, forms, the admin and commands.

    Takes a string of ASCII digits with an optional point and at most two places, a JSON number
    with at most two places (`JsonNumber`), an int, or a Decimal; refuses everything else with a
    message a person can act on. Zero is refused unless `allow_zero`; nothing above MAX_AMOUNT passes.
    """
    text = _amount_text(raw)
    if text == "":
        raise InvalidAmount("Enter an amount.")
    if len(text) > _MAX_AMOUNT_LENGTH:
        raise InvalidAmount(f"The amount is too large: at most {MAX_AMOUNT:,.2f}.")
    if not PLAIN_AMOUNT.fullmatch(text):
        if text.startswith("-") and PLAIN_AMOUNT.fullmatch(text[1:]):
            raise InvalidAmount("The amount must be positive.")
        if "," in text and PLAIN_AMOUNT.fullmatch(text.replace(",", "")):
            raise InvalidAmount(f"Type the amount without commas, as a number: {text.replace(',', '')}.")
        if re.fullmatch(r"-?[0-9]*\.[0-9]{3,}", text):
            raise InvalidAmount("An amount can have at most two decimal places.")
        raise InvalidAmount(AMOUNT_HELP)
    value = Decimal(text)
    if value > MAX_AMOUNT:
        raise InvalidAmount(f"The amount is too large: at most {MAX_AMOUNT:,.2f}.")
    if value == 0 and not allow_zero:
        raise InvalidAmount("The amount must be greater than zero.")
    return value.quantize(CENT)


def format_money(value: Decimal, currency: str = "GH₵") -> str:
    return f"{currency} {value:,.2f}"
