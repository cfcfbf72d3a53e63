"""Taking prompt injections out of what the LLM sees; every other kind stays in the text."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence

from .rule import AttackFinding, AttackKind
from .scanner import _scan

REMOVED = "[removed: instruction to the assistant]"
# What may sit between two removed instructions and go with them: 'ignore X and print Y'.
_CONNECTOR = re.compile(r"[\s,;:.&-]*(?:and|then|and then|also)?[\s,;:.&-]*", re.IGNORECASE)
_CONNECTOR_CHARS = 20


def _marker_starts(text: str) -> list[int]:
    starts, start = [], text.find(REMOVED)
    while start >= 0:
        starts.append(start)
        start = text.find(REMOVED, start + len(REMOVED))
    return starts


def _touches_marker(markers: list[int], start: int, end: int) -> bool:
    before = bisect_left(markers, end) - 1  # the last marker that starts inside or before
    return before >= 0 and markers[before] + len(REMOVED) > start


def _removable(text: str, findings: Sequence[AttackFinding]) -> list[tuple[int, int]]:
    """Merged spans of prompt injections, leaving earlier replacements alone."""
    markers = _marker_starts(text)
    spans = sorted(
        (f.start, f.end)
        for f in findings
        if f.kind is AttackKind.PROMPT_INJECTION
        and 0 <= f.start < f.end <= len(text)
        and not _touches_marker(markers, f.start, f.end)
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and _joins(text[merged[-1][1] : start]):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _joins(gap: str) -> bool:
    return len(gap) <= _CONNECTOR_CHARS and _CONNECTOR.fullmatch(gap) is not None


def _replace(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with each of the sorted, disjoint `spans` replaced by the marker."""
    pieces, cursor = [], 0
    for start, end in spans:
        pieces += [text[cursor:start], REMOVED]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def neutralise_prompt_injection(text: str, findings: Sequence[AttackFinding] | None = None) -> str:
    """The text the LLM sees: each prompt injection replaced by a marker, everything else kept."""
    current = text
    pending = _scan(text, None) if findings is None else findings
    # Removing one instruction can expose another ('ignore <x> your rules'), so repeat until
    # nothing is left. Every pass replaces unmarked text, so the passes are bounded by its length.
    for _ in range(len(text) + 1):
        spans = _removable(current, pending)
        if not spans:
            return current
        current = _replace(current, spans)
        pending = _scan(current, None)
    return current
