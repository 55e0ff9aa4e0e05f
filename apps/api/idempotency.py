"""The Idempotency-Key of money-moving POSTs (API.md)."""

from .errors import ApiError

MAX_KEY_LENGTH = 128


def idempotency_key(request) -> str:
    """The request's Idempotency-Key header, required on every money-moving POST: without one, a
    client that retries after losing the answer (a dropped connection, a timeout) would move the
    money twice."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise ApiError(422, "idempotency_key_required",
                       "Send an Idempotency-Key header: a new random value for each movement, and the same "
                       "value again when you retry it.")
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(422, "invalid", f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.")
    return key
