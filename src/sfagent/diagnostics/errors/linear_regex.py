"""Regular expressions matched in linear time (RE2), so no pasted text can stall a scan.

Python's `re` backtracks: one careless catalog pattern and one hostile paste can take
minutes. RE2 guarantees time linear in the text, at the price of no look-arounds and no
back-references, which error messages never need.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import re2  # type: ignore[import-untyped]

# RE2's default 8 MiB budget makes its DFA give up on the whole catalog as one set.
SET_MAX_MEM = 64 << 20


class PatternError(ValueError):
    """A pattern RE2 cannot compile."""


@dataclass(frozen=True, slots=True)
class RegexHit:
    """One match: character span, the matched text and the named groups that took part."""

    start: int
    end: int
    text: str
    groups: dict[str, str]


def _options(*, ignore_case: bool, max_mem: int | None = None) -> Any:
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False
    if max_mem is not None:
        options.max_mem = max_mem
    return options


class LinearPattern:
    """A compiled pattern in RE2 syntax."""

    __slots__ = ("_regex", "pattern")

    def __init__(self, pattern: str, *, ignore_case: bool = True) -> None:
        self.pattern = pattern
        try:
            self._regex = re2.compile(pattern, _options(ignore_case=ignore_case))
        except re2.error as error:
            raise PatternError(f"invalid pattern {pattern!r}: {_reason(error)}") from error

    def finditer(self, text: str, *, max_hits: int = 50) -> Iterator[RegexHit]:
        """Non-overlapping matches, left to right, at most `max_hits` of them."""
        for count, match in enumerate(self._regex.finditer(text)):
            if count >= max_hits:
                return
            yield _hit(match)

    def search(self, text: str) -> RegexHit | None:
        """The first match, or None."""
        match = self._regex.search(text)
        return _hit(match) if match is not None else None


def _reason(error: Exception) -> str:
    reason = error.args[0] if error.args else error
    return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)


def _hit(match: Any) -> RegexHit:
    start, end = match.span()
    groups = {name: value for name, value in match.groupdict().items() if value is not None}
    return RegexHit(start=start, end=end, text=match.group(0), groups=groups)


class PatternSet:
    """Tells in one pass over a text which of many patterns match somewhere in it."""

    __slots__ = ("_set", "size")

    def __init__(self, patterns: Sequence[str], *, ignore_case: bool = True) -> None:
        self._set = re2.Set.SearchSet(_options(ignore_case=ignore_case, max_mem=SET_MAX_MEM))
        for pattern in patterns:
            try:
                self._set.Add(pattern)
            except re2.error as error:
                raise PatternError(f"invalid pattern {pattern!r}: {_reason(error)}") from error
        self._set.Compile()
        self.size = len(patterns)

    def matching(self, text: str) -> frozenset[int]:
        """Indexes (in the order given) of the patterns found in `text`."""
        found = self._set.Match(text)
        return frozenset(found) if found else frozenset()
