"""Money helpers. Money is always Decimal with two places; never a float.

`quantize` rounds half-up, the convention for amounts a person types or a fee computes;
`quantize_interest` rounds half-even (banker's rounding) so interest rounding errors do
not drift one way over many postings.
"""

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

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


def parse_amount(raw, *, allow_zero: bool = False) -> Decimal:
    """Turn user input (str, int or Decimal; never float) into an exact money amount.

    Refuses text, NaN, infinities, more than two decimal places, zero and negatives.
    """
    if isinstance(raw, bool) or raw is None:
        raise InvalidAmount("Enter an amount.")
    if isinstance(raw, float):
        raw = repr(raw)  # JSON numbers arrive as floats: judge the digits the client sent
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise InvalidAmount("Enter the amount as a number, for example 150.00.")
    if not value.is_finite():
        raise InvalidAmount("Enter the amount as a number, for example 150.00.")
    if abs(value) > MAX_AMOUNT:
        # Checked before quantize(): a value with more than 28 digits cannot be quantized at all.
        raise InvalidAmount(f"The amount is too large: at most {MAX_AMOUNT:,.2f}.")
    if value.as_tuple().exponent < -2 and value != value.quantize(CENT):
        raise InvalidAmount("An amount can have at most two decimal places.")
    if value < 0:
        raise InvalidAmount("The amount must be positive.")
    if value == 0 and not allow_zero:
        raise InvalidAmount("The amount must be greater than zero.")
    return value.quantize(CENT)


def format_money(value: Decimal, currency: str = "GH₵") -> str:
    return f"{currency} {value:,.2f}"
