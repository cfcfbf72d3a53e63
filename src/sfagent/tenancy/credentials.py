"""API key material and staff password hashing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

API_KEY_PREFIX = "sfa"
_password_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    """A freshly generated key: the full secret is shown once, only its hash is stored."""

    prefix: str
    secret: str
    key_hash: str


def generate_api_key() -> IssuedApiKey:
    prefix = f"{API_KEY_PREFIX}_{secrets.token_hex(6)}"
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    return IssuedApiKey(prefix=prefix, secret=secret, key_hash=hash_api_key(secret))


def hash_api_key(secret: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is safe here and keeps auth cheap.
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key_prefix(secret: str) -> str | None:
    """The identifying prefix of a presented key, or None when it is not shaped like one."""
    parts = secret.split("_")
    if len(parts) < 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 12:
        return None
    return f"{parts[0]}_{parts[1]}"


def api_key_matches(secret: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(secret), key_hash)


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
