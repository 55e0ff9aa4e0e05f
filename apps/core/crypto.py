"""Encryption at rest for personal identifiers (national ID numbers).

Values are Fernet-encrypted with FIELD_ENCRYPTION_KEY. A keyed HMAC of the normalised value
(the "blind index") lets us find and de-duplicate members by ID number without decrypting.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


def _key() -> bytes:
    configured = settings.FIELD_ENCRYPTION_KEY
    if configured:
        return configured.encode()
    # Embedded default only (production refuses to start without a key): derive from SECRET_KEY.
    return base64.urlsafe_b64encode(hashlib.sha256(f"field-key:{settings.SECRET_KEY}".encode()).digest())


def encrypt(value: str) -> str:
    return Fernet(_key()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return Fernet(_key()).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("Encrypted value cannot be read with the configured FIELD_ENCRYPTION_KEY.")


def blind_index(value: str) -> str:
    return hmac.new(_key(), value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stores ciphertext; Python code always sees the plain value."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
