"""The demo's data, kept in fixtures/demo/*.json (what the world is made of; the code here is how it behaves)."""

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.conf import settings

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "demo"


@cache
def load(name: str) -> dict:
    """fixtures/demo/<name>.json, read once. Amounts are strings there: `money()` makes them Decimals."""
    with open(FIXTURES / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


def money(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))
