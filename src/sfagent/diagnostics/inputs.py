"""Turn what a user pasted or uploaded into text an analyser can read, or say why not."""

from __future__ import annotations

from dataclasses import dataclass

# Bytes that never occur in source code, queries or error text but always in binary formats.
_BINARY_MARKERS = (b"\x00", b"\x89PNG", b"PK\x03\x04", b"%PDF", b"\x1f\x8b", b"\xff\xd8\xff")
_SNIFF_BYTES = 8192
_CONTROL_SHARE_LIMIT = 0.1
# C0 control characters other than tab, line feed, vertical tab, form feed, carriage return.
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32)])


class InputRejected(ValueError):
    """The input cannot be analysed; the message says what to change."""


class InputTooLarge(InputRejected):
    """The input is over the size limit for its kind."""

    def __init__(self, message: str, *, limit_bytes: int) -> None:
        super().__init__(message)
        self.limit_bytes = limit_bytes


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Text ready to analyse, with how it was read."""

    text: str
    size_bytes: int
    replacement_chars: int

    @property
    def decoding_replaced(self) -> bool:
        """True when invalid UTF-8 bytes were replaced by U+FFFD."""
        return self.replacement_chars > 0


def looks_binary(data: bytes) -> bool:
    """True for data that is clearly not text (NUL bytes, known file signatures, control noise)."""
    head = data[:_SNIFF_BYTES]
    if any(marker in head for marker in _BINARY_MARKERS):
        return True
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls / len(head) > _CONTROL_SHARE_LIMIT


def decode_input(data: bytes | str, *, what: str, max_bytes: int) -> DecodedText:
    """Decode pasted or uploaded input as UTF-8, refusing binary data and oversize input."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise InputTooLarge(
            f"The {what} is {_megabytes(len(raw))}; the limit is {_megabytes(max_bytes)}. "
            f"Paste only the part that fails.",
            limit_bytes=max_bytes,
        )
    if looks_binary(raw):
        raise InputRejected(f"This looks like a binary file, not {what} text.")
    if isinstance(data, str):
        text = data.encode("utf-8", "replace").decode("utf-8")
    else:
        text = raw.decode("utf-8", "replace")
    if raw[:3] == b"\xef\xbb\xbf":
        text = text[1:]
    if not text.strip():
        raise InputRejected(f"The {what} is empty.")
    return DecodedText(text=text, size_bytes=len(raw), replacement_chars=text.count("\ufffd"))


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
