"""Field encryption at rest: AES-256-GCM with the key id in every ciphertext.

A keyring holds one or more 32-byte keys. The first encrypts; every key decrypts, so an
operator rotates by putting the new key first and running `sfagent keys rotate`, which
re-encrypts what the old keys wrote. Each ciphertext is bound to the field it belongs to
(the associated data), so a value copied into another column does not decrypt.

Text values become ``enc:v1:<key id>:<base64url(nonce | ciphertext+tag)>``; binary values
``SFENC1`` + key-id length + key id + nonce + ciphertext+tag.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TEXT_PREFIX = "enc:v1:"
BINARY_PREFIX = b"SFENC1"
_MAX_KEY_ID = 32
_KEY_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class KeyringError(ValueError):
    """A key is malformed, missing, or a ciphertext does not decrypt."""


@dataclass(frozen=True, slots=True)
class EncryptionKey:
    key_id: str
    secret: bytes

    def __repr__(self) -> str:  # never print the key material
        return f"EncryptionKey(key_id={self.key_id!r})"


def parse_key(spec: str) -> EncryptionKey:
    """``<key id>:<base64 of 32 bytes>``, or just the base64 (the id is then derived)."""
    spec = spec.strip()
    key_id, _, encoded = spec.rpartition(":")
    try:
        secret = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError("an encryption key is not valid base64") from None
    if len(secret) != KEY_BYTES:
        raise KeyringError(
            f"an encryption key decodes to {len(secret)} bytes; AES-256 needs {KEY_BYTES} "
            "(generate one with `sfagent keys generate`)"
        )
    if not key_id:
        key_id = hashlib.sha256(secret).hexdigest()[:8]
    if len(key_id) > _MAX_KEY_ID or not set(key_id) <= _KEY_ID_CHARS:
        raise KeyringError(
            f"key id {key_id[:40]!r} must be 1-{_MAX_KEY_ID} letters, digits, '-', '_' or '.'"
        )
    return EncryptionKey(key_id=key_id, secret=secret)


def parse_keys(specs: Iterable[str]) -> list[EncryptionKey]:
    keys = [parse_key(spec) for spec in specs if spec.strip()]
    ids = [key.key_id for key in keys]
    duplicates = sorted({key_id for key_id in ids if ids.count(key_id) > 1})
    if duplicates:
        raise KeyringError(f"key id {duplicates[0]!r} is given twice")
    return keys


def generate_key_spec(key_id: str | None = None) -> str:
    """A new random key in the form the settings read."""
    encoded = base64.b64encode(os.urandom(KEY_BYTES)).decode()
    return f"{key_id}:{encoded}" if key_id else encoded


class Keyring:
    """The keys of one deployment; the first is primary (it encrypts)."""

    def __init__(self, keys: Sequence[EncryptionKey]) -> None:
        if not keys:
            raise KeyringError("a keyring needs at least one key")
        self._keys = {key.key_id: key for key in keys}
        self.primary = keys[0]
        self._ciphers = {key.key_id: AESGCM(key.secret) for key in keys}

    @classmethod
    def load(cls, inline: str | None, key_file: Path | None) -> Keyring | None:
        """Keys from a comma-separated setting and/or a file of one key per line.

        The file is the hook for a key manager: an agent (Vault, a KMS sidecar) writes it and
        sfagent reads it at start-up. Inline keys come first, so the primary may live in either.
        """
        specs: list[str] = []
        if inline:
            specs.extend(inline.split(","))
        if key_file is not None:
            try:
                lines = key_file.read_text(encoding="utf-8").splitlines()
            except OSError as error:
                raise KeyringError(f"cannot read the key file {key_file}: {error}") from None
            specs.extend(line for line in lines if not line.lstrip().startswith("#"))
        keys = parse_keys(specs)
        return cls(keys) if keys else None

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def encrypt(self, plaintext: bytes, context: str) -> tuple[str, bytes]:
        """(key id, nonce | ciphertext+tag) under the primary key."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.primary.key_id].encrypt(nonce, plaintext, context.encode())
        return self.primary.key_id, nonce + sealed

    def decrypt(self, key_id: str, blob: bytes, context: str) -> bytes:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise KeyringError(
                f"data was encrypted with key {key_id!r}, which is not configured "
                "(add it to SFAGENT_ENCRYPTION_KEY or the key file)"
            )
        try:
            return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise KeyringError(
                f"a {context} value does not decrypt with key {key_id!r}: it was altered "
                "or belongs to another field"
            ) from None

    def encrypt_text(self, value: str, context: str) -> str:
        key_id, blob = self.encrypt(value.encode(), context)
        return f"{TEXT_PREFIX}{key_id}:{base64.urlsafe_b64encode(blob).decode()}"

    def decrypt_text(self, value: str, context: str) -> str:
        key_id, encoded = _split_text(value)
        try:
            blob = base64.urlsafe_b64decode(encoded)
        except (binascii.Error, ValueError):
            raise KeyringError(f"a {context} value is not valid ciphertext") from None
        return self.decrypt(key_id, blob, context).decode()

    def encrypt_bytes(self, value: bytes, context: str) -> bytes:
        key_id, blob = self.encrypt(value, context)
        return BINARY_PREFIX + bytes([len(key_id)]) + key_id.encode() + blob

    def decrypt_bytes(self, value: bytes, context: str) -> bytes:
        key_id, blob = _split_bytes(value)
        return self.decrypt(key_id, blob, context)


def is_encrypted_text(value: str) -> bool:
    return value.startswith(TEXT_PREFIX)


def is_encrypted_bytes(value: bytes) -> bool:
    return value.startswith(BINARY_PREFIX)


def text_key_id(value: str) -> str | None:
    """The id of the key a text value was encrypted with; None for plain text."""
    return _split_text(value)[0] if is_encrypted_text(value) else None


def bytes_key_id(value: bytes) -> str | None:
    return _split_bytes(value)[0] if is_encrypted_bytes(value) else None


def _split_text(value: str) -> tuple[str, str]:
    key_id, separator, encoded = value[len(TEXT_PREFIX) :].partition(":")
    if not separator or not key_id:
        raise KeyringError("an encrypted value lacks its key id")
    return key_id, encoded


def _split_bytes(value: bytes) -> tuple[str, bytes]:
    start = len(BINARY_PREFIX)
    if len(value) <= start:
        raise KeyringError("an encrypted value lacks its key id")
    length = value[start]
    key_id = value[start + 1 : start + 1 + length].decode(errors="replace")
    return key_id, value[start + 1 + length :]
