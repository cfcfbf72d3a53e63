"""The error catalog: loaded and compiled once, matched against whatever a user pastes."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from functools import cache

from sfagent.diagnostics.errors.details import extract_details
from sfagent.diagnostics.errors.linear_regex import LinearPattern, PatternError, PatternSet
from sfagent.diagnostics.errors.loading import CatalogError, load_entries
from sfagent.diagnostics.errors.model import (
    CatalogEntry,
    ErrorAnalysis,
    ErrorMatch,
    StackFrame,
)
from sfagent.diagnostics.errors.ranking import Candidate, best_per_entry, score_hit
from sfagent.diagnostics.errors.scan import ScanWindow, scan_windows
from sfagent.diagnostics.errors.stack import frames_in_windows
from sfagent.diagnostics.inputs import decode_input

MAX_HITS_PER_PATTERN = 50
# A trace printed before its message (some JSON key orders) is still taken within this reach.
TRACE_BEFORE_REACH = 2_000


class ErrorCatalog:
    """Catalog entries with their patterns compiled; `match` finds entries in a text."""

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        self.entries: tuple[CatalogEntry, ...] = tuple(entries)
        self._by_id = {entry.id: entry for entry in self.entries}
        if len(self._by_id) != len(self.entries):
            raise CatalogError("catalog entry ids must be unique")
        # Pattern i of the flat list belongs to entry _owners[i].
        flat = [(entry, pattern) for entry in self.entries for pattern in entry.patterns]
        self._owners = [entry for entry, _ in flat]
        try:
            self._patterns = [LinearPattern(pattern) for _, pattern in flat]
            self._prefilter = PatternSet([pattern for _, pattern in flat])
            self._contexts = {
                entry.id: PatternSet(entry.context) for entry in self.entries if entry.context
            }
        except PatternError as error:
            raise CatalogError(str(error)) from error

    @classmethod
    def load(cls) -> ErrorCatalog:
        """Build a catalog from the shipped TOML files."""
        return cls(load_entries())

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> CatalogEntry | None:
        """The entry with this id, or None."""
        return self._by_id.get(entry_id)

    def match(
        self, text: str, *, limit: int = 3, managed_namespaces: Collection[str] = ()
    ) -> list[ErrorMatch]:
        """The entries recognised in `text`, most likely first, at most `limit` of them."""
        return list(self.analyze(text, limit=limit, managed_namespaces=managed_namespaces).matches)

    def analyze(
        self, text: str, *, limit: int = 3, managed_namespaces: Collection[str] = ()
    ) -> ErrorAnalysis:
        """Matches plus every stack frame found and how much of the text was scanned.

        `managed_namespaces` are installed package prefixes: their frames are not taken as
        the origin of an error (see `parse_stack_trace`).
        """
        windows, scanned = scan_windows(text)
        frames = frames_in_windows(windows, managed_namespaces=managed_namespaces)
        candidates = [c for window in windows for c in self._candidates(window)]
        ranked = best_per_entry(candidates)[: max(limit, 0)]
        matches = tuple(self._to_match(candidate, text, frames) for candidate in ranked)
        return ErrorAnalysis(
            matches=matches, frames=tuple(frames), total_chars=len(text), scanned_chars=scanned
        )

    def _candidates(self, window: ScanWindow) -> list[Candidate]:
        found = self._prefilter.matching(window.text)
        context_seen: dict[str, bool] = {}
        candidates: list[Candidate] = []
        for index in sorted(found):
            entry = self._owners[index]
            if entry.id in self._contexts and entry.id not in context_seen:
                context_seen[entry.id] = bool(self._contexts[entry.id].matching(window.text))
            if not context_seen.get(entry.id, True):
                continue  # a flow-only entry says nothing about a paste without a flow
            for hit in self._patterns[index].finditer(window.text, max_hits=MAX_HITS_PER_PATTERN):
                candidates.append(
                    score_hit(entry, hit, window, context_seen=entry.id in context_seen)
                )
        return candidates

    def _to_match(self, candidate: Candidate, text: str, frames: list[StackFrame]) -> ErrorMatch:
        hit, window = candidate.hit, candidate.window
        start = candidate.start
        return ErrorMatch(
            entry=candidate.entry,
            score=candidate.score,
            matched_text=text[start : window.offset + hit.end],
            span=(start, window.offset + hit.end),
            line=text.count("\n", 0, start) + 1,
            details=extract_details(candidate.entry, hit, window.text),
            frames=trace_for(frames, start),
        )


def trace_for(frames: Sequence[StackFrame], start: int) -> tuple[StackFrame, ...]:
    """The stack trace printed after a message, else one printed just before it."""
    after = [frame for frame in frames if frame.start >= start]
    if after:
        return _trace_containing(frames, after[0])
    before = [frame for frame in frames if start - TRACE_BEFORE_REACH <= frame.start < start]
    return _trace_containing(frames, before[-1]) if before else ()


def _trace_containing(frames: Sequence[StackFrame], anchor: StackFrame) -> tuple[StackFrame, ...]:
    return tuple(frame for frame in frames if frame.trace == anchor.trace)


@cache
def default_catalog() -> ErrorCatalog:
    """The shipped catalog, loaded and compiled on first use."""
    return ErrorCatalog.load()


def match_error(
    text: str, *, limit: int = 3, managed_namespaces: Collection[str] = ()
) -> list[ErrorMatch]:
    """Known Salesforce errors recognised in `text`, most likely first."""
    return default_catalog().match(text, limit=limit, managed_namespaces=managed_namespaces)


def analyze_error(
    text: str, *, limit: int = 3, managed_namespaces: Collection[str] = ()
) -> ErrorAnalysis:
    """Matches, stack frames and scan coverage for `text` (what the CLI and API show)."""
    return default_catalog().analyze(text, limit=limit, managed_namespaces=managed_namespaces)


def analyze_error_input(
    data: str | bytes,
    *,
    max_bytes: int,
    limit: int = 3,
    managed_namespaces: Collection[str] = (),
) -> ErrorAnalysis:
    """`analyze_error` for pasted or uploaded input: refuses binary, empty and oversize input."""
    decoded = decode_input(data, what="error text", max_bytes=max_bytes)
    return analyze_error(decoded.text, limit=limit, managed_namespaces=managed_namespaces)
