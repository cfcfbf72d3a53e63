"""Running rules over a text: RE2 on UTF-8 bytes, spans mapped back to characters."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any

from .rule import EXCERPT_CHARS, AttackFinding, _Rule

# Same-length substitutions only, so spans found in the normalised text hold in the original.
_LOOKALIKES = str.maketrans(
    {
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
    }
)
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Subject:
    """The text as RE2 sees it (UTF-8 bytes) and the way back to character offsets."""

    __slots__ = ("_starts", "data", "normalised")

    def __init__(self, text: str) -> None:
        self.normalised = text
        if not text.isascii():
            self.normalised = _SURROGATE.sub("\ufffd", text.translate(_LOOKALIKES))
        self.data = self.normalised.encode("utf-8")
        self._starts: list[int] | None = None

    def char_offset(self, byte_offset: int) -> int:
        if len(self.data) == len(self.normalised):
            return byte_offset
        if self._starts is None:
            sizes = (len(ch.encode("utf-8")) for ch in self.normalised)
            self._starts = list(accumulate(sizes, initial=0))
        return bisect_left(self._starts, byte_offset)


def _next_char(data: bytes, position: int) -> int:
    position += 1
    while position < len(data) and data[position] & 0xC0 == 0x80:
        position += 1
    return position


def _accepted_spans(rule: _Rule, data: bytes, limit: int | None) -> Iterator[tuple[int, int]]:
    """Byte spans of the rule's accepted matches; a rejected match is retried one character on."""
    position, found = 0, 0
    while (limit is None or found < limit) and position <= len(data):
        match = rule.regex.search(data, position)
        if match is None:
            return
        start, end = match.span(rule.hit_group)
        if start < 0:  # a hit group inside an alternative that did not take part
            start, end = match.span()
        if rule.accept is not None and not rule.accept(_groups(match)):
            # Past the start of the hit, not of the match: a shorter leading context must not
            # turn a rejected hit into an accepted one.
            position = _next_char(data, start)
            continue
        found += 1
        yield start, end
        position = end if end > match.start() else _next_char(data, match.start())


def _groups(match: Any) -> dict[str, str]:
    return {
        name.decode(): value.decode("utf-8", "replace")
        for name, value in match.groupdict().items()
        if value is not None
    }


def _matches(text: str, rules: Sequence[_Rule], limit: int | None) -> Iterator[AttackFinding]:
    subject = _Subject(text)
    for rule in rules:
        for byte_start, byte_end in _accepted_spans(rule, subject.data, limit):
            start, end = subject.char_offset(byte_start), subject.char_offset(byte_end)
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                yield AttackFinding(
                    rule.kind, rule.rule, start, end, text[start:end][:EXCERPT_CHARS]
                )
