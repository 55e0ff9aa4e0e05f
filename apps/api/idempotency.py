"""The Idempotency-Key of money-moving POSTs (API.md)."""

from .errors import ApiError

MAX_KEY_LENGTH = 128


def idempotency_key(request) -> str | None:
    """The request's Idempotency-Key header, or None. API.md has money-moving POSTs *take* one
    (the same key and body answer the first result again; a different body is 409) without
    requiring it, so a request without one is served: clients should always send one, or a retry
    after a lost answer moves the money twice."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(422, "invalid", f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.")
    return key or None
