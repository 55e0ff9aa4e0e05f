"""The Idempotency-Key of money-moving POSTs (API.md)."""

from apps.core.text import has_control_characters

from .errors import ApiError

MAX_KEY_LENGTH = 128

IDEMPOTENCY_HEADER = {"parameters": [{
    "in": "header", "name": "Idempotency-Key", "required": True,
    "description": "A unique value per movement (e.g. a UUID). Sent again with the same body, it answers the "
                   "first result and posts nothing; with a different body it is 409. Missing: 428.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}]}
"""`openapi_extra` of every money-moving operation, so clients (and the fuzzer) see the header."""


def idempotency_key(request) -> str:
    """The request's Idempotency-Key header, which every money-moving POST must send (428 without).

    The same key with the same body answers the first result again and posts nothing; a different
    body is 409. Without a key, a retry after a lost answer would move the money twice, so there is
    no such thing as a keyless movement."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise ApiError(428, "idempotency_key_required",
                       "Send an Idempotency-Key header (a unique value per movement, e.g. a UUID) so a retry "
                       "cannot move the money twice.")
    if len(key) > MAX_KEY_LENGTH or has_control_characters(key):
        raise ApiError(422, "invalid", f"Idempotency-Key must be at most {MAX_KEY_LENGTH} printable characters.")
    return key
