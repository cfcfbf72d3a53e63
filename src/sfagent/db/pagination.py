"""Opaque keyset cursors for list endpoints."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from sfagent.errors import SfagentError


class InvalidCursor(SfagentError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__("invalid cursor: pass back the next_cursor value exactly as received")


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, expected_length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(values, list) or len(values) != expected_length:
        raise InvalidCursor()
    return values


def decode_time_cursor(cursor: str) -> tuple[datetime, str]:
    """A (created_at, id) cursor; any malformed part is the caller's error (400)."""
    created_at, item_id = decode_cursor(cursor, 2)
    try:
        moment = datetime.fromisoformat(str(created_at))
    except ValueError as exc:
        raise InvalidCursor() from exc
    if moment.tzinfo is None or not isinstance(item_id, str):
        raise InvalidCursor()
    return moment.astimezone(UTC), item_id


def decode_sequence_cursor(cursor: str) -> int:
    """A message-sequence cursor."""
    (sequence,) = decode_cursor(cursor, 1)
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        raise InvalidCursor()
    return sequence
