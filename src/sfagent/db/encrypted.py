"""Column types that encrypt on write and decrypt on read when a keyring is configured.

The keyring hangs on the engine's dialect (`install_keyring`), so each engine — and each
test's engine — carries its own keys and no global is involved. Without a keyring values
are written as plain text; values written before a key was configured stay readable, and
`sfagent keys rotate` encrypts them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import LargeBinary, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

from sfagent.security.crypto import (
    Keyring,
    KeyringError,
    is_encrypted_bytes,
    is_encrypted_text,
)

_KEYRING_ATTRIBUTE = "sfagent_keyring"


def install_keyring(engine: AsyncEngine, keyring: Keyring | None) -> None:
    setattr(engine.sync_engine.dialect, _KEYRING_ATTRIBUTE, keyring)


def keyring_of(dialect: Dialect) -> Keyring | None:
    keyring: Keyring | None = getattr(dialect, _KEYRING_ATTRIBUTE, None)
    return keyring


def _required(dialect: Dialect, context: str) -> Keyring:
    keyring = keyring_of(dialect)
    if keyring is None:
        raise KeyringError(
            f"{context} is encrypted but no key is configured: set SFAGENT_ENCRYPTION_KEY "
            "or SFAGENT_ENCRYPTION_KEY_FILE"
        )
    return keyring


class EncryptedText(TypeDecorator[str]):
    """A text column stored as AES-256-GCM ciphertext bound to `context` ("table.column")."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        keyring = keyring_of(dialect)
        if value is None or keyring is None:
            return value
        return keyring.encrypt_text(value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not is_encrypted_text(value):
            return value
        return _required(dialect, self.context).decrypt_text(value, self.context)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document kept as (encrypted) text: its contents are opaque to SQL."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        document = json.dumps(value, separators=(",", ":"), default=str)
        keyring = keyring_of(dialect)
        return keyring.encrypt_text(document, self.context) if keyring else document

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if is_encrypted_text(value):
            value = _required(dialect, self.context).decrypt_text(value, self.context)
        return json.loads(value)


class EncryptedBytes(TypeDecorator[bytes]):
    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        keyring = keyring_of(dialect)
        if value is None or keyring is None:
            return value
        return keyring.encrypt_bytes(value, self.context)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        if value is None or not is_encrypted_bytes(value):
            return value
        return _required(dialect, self.context).decrypt_bytes(bytes(value), self.context)
