"""The API's request parser: JSON numbers kept exact, and text with control characters refused.

Every body and query string of the API passes through here (NinjaAPI(parser=...)), so the rule of
apps.core.text holds on every endpoint without each schema repeating it.
"""

import json

from ninja.errors import ValidationError
from ninja.parser import Parser

from apps.core.money import JsonNumber
from apps.core.text import MESSAGE, has_control_characters


class ControlCharacterInBody(ValueError):
    """A body field holds a control character; `field` names it (dotted for nested values)."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(f"{field}: {MESSAGE}")


def _first_bad_field(value, path: str = "") -> str | None:
    if isinstance(value, str):
        return (path or "body") if has_control_characters(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            field = f"{path}.{key}" if path else str(key)
            if has_control_characters(str(key)):
                return field
            found = _first_bad_field(item, field)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_bad_field(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class CoastalParser(Parser):
    def parse_body(self, request):
        # Non-integer numbers become JsonNumber (a Decimal that remembers how it was written), never
        # a float: amounts stay exact, and `1e3` can be refused as an amount (apps.core.money). So do
        # NaN and Infinity, which Python's json accepts: the field that holds one then refuses it.
        data = json.loads(request.body, parse_float=JsonNumber, parse_constant=JsonNumber)
        field = _first_bad_field(data)
        if field:
            raise ControlCharacterInBody(field)
        return data

    def parse_querydict(self, data, list_fields, request):
        for key, values in data.lists():
            if has_control_characters(key) or any(isinstance(v, str) and has_control_characters(v) for v in values):
                raise ValidationError([{"loc": ("query", key), "msg": MESSAGE, "type": "control_characters"}])
        return super().parse_querydict(data, list_fields, request)
