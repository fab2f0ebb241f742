"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) with key rotation via MultiFernet.

Keys come from the environment (``CREDENTIAL_KEYS``, newest first); a development key is
generated once under var/ when unset. Plaintext credentials never reach logs or templates.
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialError(Exception):
    """A stored credential cannot be decrypted (wrong or rotated-away key)."""


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = settings.COUNTERSIGN["CREDENTIAL_KEYS"]
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def encrypt_credential(data: dict) -> str:
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt_credential(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise CredentialError(
            "The stored credential cannot be decrypted with the current keys"
        ) from exc


def mask_secret(value: str) -> str:
    """What a person may see of a secret: its length class and last four characters."""
    if not value:
        return ""
    tail = value[-4:] if len(value) >= 12 else ""
    return f"••••••{tail}"
