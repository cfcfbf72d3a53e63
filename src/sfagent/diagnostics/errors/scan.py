"""Bounds what is scanned of a pasted text: its head and tail, cleaned for matching."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SCAN_CHARS = 200_000
# Error headlines sit at the top of a paste; a debug log's FATAL_ERROR sits at its end.
TAIL_CHARS = 40_000
HEAD_CHARS = MAX_SCAN_CHARS - TAIL_CHARS
# Lone surrogates (from broken decoding) cannot be encoded for the regex engine.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Newlines escaped inside JSON strings ("stackTrace":"Class.A.b: line 1\\nClass.C.d: ...")
# are read as line breaks, so frames and line-start rules work inside API responses.
_ESCAPED_BREAK = re.compile(r"\\[nrt]")


@dataclass(frozen=True, slots=True)
class ScanWindow:
    """A slice of the pasted text that is scanned; `offset` is where it starts."""

    offset: int
    text: str


def scan_windows(text: str) -> tuple[list[ScanWindow], int]:
    """The windows to scan (whole text, or head and tail) and how many characters they hold."""
    if len(text) <= MAX_SCAN_CHARS:
        windows = [ScanWindow(0, _clean(text))]
    else:
        tail_start = len(text) - TAIL_CHARS
        windows = [
            ScanWindow(0, _clean(text[:HEAD_CHARS])),
            ScanWindow(tail_start, _clean(text[tail_start:])),
        ]
    return windows, sum(len(window.text) for window in windows)


def _clean(text: str) -> str:
    # Same length in, same length out, so offsets still point into the original text.
    return _ESCAPED_BREAK.sub(" \n", _SURROGATE.sub("\ufffd", text))
