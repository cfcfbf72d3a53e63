"""Word-sequence gazetteer matching over a shared tokenisation (linear in the text length)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Generic, TypeVar

Payload = TypeVar("Payload")

# Words may hold inner dots, hyphens and apostrophes: "Force.com", "Omni-Channel", "don't".
_TOKEN = re.compile(r"[^\W_]+(?:[-.'\u2019][^\W_]+)*")
_MAX_GAP = 3


@dataclass(frozen=True, slots=True)
class Tokens:
    """A text cut into words once, shared by every gazetteer."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    lower: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.starts)

    def surface(self, index: int) -> str:
        """The word as written."""
        return self.text[self.starts[index] : self.ends[index]]


def tokenize(text: str) -> Tokens:
    """Split text into words with their offsets."""
    spans = [match.span() for match in _TOKEN.finditer(text)]
    lowered = text.lower().replace("\u2019", "'")
    if len(lowered) == len(text):
        lower = tuple(lowered[start:end] for start, end in spans)
    else:  # a few characters grow when lower-cased; then fold each word on its own
        lower = tuple(text[start:end].lower().replace("\u2019", "'") for start, end in spans)
    starts = tuple(start for start, _ in spans)
    ends = tuple(end for _, end in spans)
    return Tokens(text, starts, ends, lower)


@dataclass(frozen=True, slots=True)
class PhraseMatch(Generic[Payload]):
    """A gazetteer hit covering tokens [first, last]."""

    first: int
    last: int
    start: int
    end: int
    payload: Payload


@dataclass(frozen=True, slots=True)
class _Entry(Generic[Payload]):
    words: tuple[str, ...]
    gaps: tuple[str | None, ...]  # None: any short whitespace; else this exact separator
    surface: tuple[str, ...] | None  # exact spelling required when set
    payload: Payload


class PhraseMatcher(Generic[Payload]):
    """Leftmost-longest, non-overlapping matches of known phrases."""

    def __init__(self, entries: Iterable[tuple[str, Payload, bool]]) -> None:
        """Build from (phrase, payload, exact_case) triples."""
        self._index: dict[str, list[_Entry[Payload]]] = {}
        for phrase, payload, exact_case in entries:
            spans = _spans(phrase)
            surface = tuple(phrase[start:end] for start, end in spans)
            words = tuple(word.lower().replace("\u2019", "'") for word in surface)
            gaps = tuple(_gap_rule(phrase[a[1] : b[0]]) for a, b in pairwise(spans))
            entry = _Entry(words, gaps, surface if exact_case else None, payload)
            self._index.setdefault(words[0], []).append(entry)
        for bucket in self._index.values():
            bucket.sort(key=lambda entry: -len(entry.words))

    def find(self, tokens: Tokens) -> Iterator[PhraseMatch[Payload]]:
        """Yield matches in text order."""
        index = self._index
        next_free = 0
        for position in [i for i, word in enumerate(tokens.lower) if word in index]:
            if position < next_free:
                continue
            entry = self._match_at(tokens, position)
            if entry is None:
                continue
            last = position + len(entry.words) - 1
            yield PhraseMatch(
                position, last, tokens.starts[position], tokens.ends[last], entry.payload
            )
            next_free = last + 1

    def _match_at(self, tokens: Tokens, index: int) -> _Entry[Payload] | None:
        for entry in self._index.get(tokens.lower[index], ()):
            if _entry_matches(tokens, index, entry):
                return entry
        return None


def _spans(phrase: str) -> list[tuple[int, int]]:
    return [match.span() for match in _TOKEN.finditer(phrase)]


def _gap_rule(separator: str) -> str | None:
    return None if separator.isspace() else separator


def _entry_matches(tokens: Tokens, index: int, entry: _Entry[Payload]) -> bool:
    size = len(entry.words)
    if index + size > len(tokens) or tokens.lower[index : index + size] != entry.words:
        return False
    for offset, rule in enumerate(entry.gaps, start=1):
        gap = tokens.text[tokens.ends[index + offset - 1] : tokens.starts[index + offset]]
        if rule is None and (len(gap) > _MAX_GAP or not gap.isspace()):
            return False
        if rule is not None and gap != rule:
            return False
    if entry.surface is None:
        return True
    return all(tokens.surface(index + k) == entry.surface[k] for k in range(size))
