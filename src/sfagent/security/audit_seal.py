"""The seal on an organization's audit head: an HMAC with a key derived from the server's
secret, which the database never holds."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

_SEAL_KEY_ATTRIBUTE = "sfagent_audit_seal_key"


def seal_key_for(secret_key: str) -> bytes:
    """The key that seals audit heads, derived from the server's secret (never stored)."""
    return hmac.new(secret_key.encode(), b"sfagent audit head seal v1", hashlib.sha256).digest()


def install_seal_key(engine: AsyncEngine, key: bytes) -> None:
    """Give the engine's sessions the key; like the encryption keyring, it rides the dialect."""
    setattr(engine.sync_engine.dialect, _SEAL_KEY_ATTRIBUTE, key)


def head_seal(key: bytes, organization_id: str, sequence: int, entry_hash: str) -> str:
    message = f"{organization_id}:{sequence}:{entry_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seal_key_of(session: AsyncSession) -> bytes | None:
    key: bytes | None = getattr(session.get_bind().dialect, _SEAL_KEY_ATTRIBUTE, None)
    return key
