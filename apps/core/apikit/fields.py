"""Field types shared by the API's schemas."""

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

from apps.core.money import InvalidAmount, parse_amount


def _amount(value) -> Decimal:
    try:
        return parse_amount(value)
    except InvalidAmount as exc:
        raise ValueError(str(exc))


_AMOUNT_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$"},
        {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01},
    ],
    "description": 'A positive amount: "150.00", or a JSON number with at most two decimal places.',
    "examples": ["150.00"],
}

Amount = Annotated[Decimal, BeforeValidator(_amount), WithJsonSchema(_AMOUNT_SCHEMA)]
"""A money amount in a request, through apps.core.money.parse_amount (the one strict parser)."""

