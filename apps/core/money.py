"""Money helpers. Money is always Decimal with two places; never a float.

`parse_amount` is the one parser of amounts people and clients send; `format_money` the one
formatter of amounts people read (the `cedis` and `amount` template filters call it).

`quantize` rounds half-up, the convention for amounts a person types or a fee computes;
`quantize_interest` rounds half-even (banker's rounding) so interest rounding errors do
not drift one way over many postings.
"""

import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

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
        raise InvalidAmount(f"The amount is too large: at most {format_money(MAX_AMOUNT, symbol=False)}.")
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
        raise InvalidAmount(f"The amount is too large: at most {format_money(MAX_AMOUNT, symbol=False)}.")
    if value == 0 and not allow_zero:
        raise InvalidAmount("The amount must be greater than zero.")
    return value.quantize(CENT)


def format_money(value, *, symbol: bool = True, signed: bool = False, blank: str = "") -> str:
    """The one way an amount is written for people, on every screen, PDF, message and e-mail.

    Decimal("1234.5") -> "GH₵ 1,234.50" (the currency is settings.CURRENCY_SYMBOL); symbol=False
    gives "1,234.50" for a column or a sentence that names the currency already; signed=True puts
    "+" before an amount above zero (a variance). Two places, rounded half-up, thousands always
    grouped with commas whatever the locale. None or "" gives `blank`; text that is not a number
    comes back unchanged."""
    if value is None or value == "":
        return blank
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(value)
    if amount == 0:
        amount = abs(amount)  # never "-0.00"
    text = f"{amount:+,.2f}" if signed and amount > 0 else f"{amount:,.2f}"
    return f"{settings.CURRENCY_SYMBOL} {text}" if symbol else text


def in_currency(label: str) -> str:
    """A label naming the currency: "Amount" -> "Amount (GH₵)"."""
    return f"{label} ({settings.CURRENCY_SYMBOL})"


def money_cell(value) -> str:
    """An amount in a console list or detail cell: "1,234.50", or "—" when there is none."""
    return format_money(value, symbol=False, blank="—")
