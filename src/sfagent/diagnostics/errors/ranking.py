"""Scores each pattern match so the root error of a paste outranks its wrappers and echoes."""

from __future__ import annotations

from dataclasses import dataclass

from sfagent.diagnostics.errors.linear_regex import RegexHit
from sfagent.diagnostics.errors.model import CatalogEntry
from sfagent.diagnostics.errors.scan import ScanWindow

BASE_SCORE = 100.0
# A wrapper ("Insert failed.", "An unexpected error occurred") yields to any specific error.
GENERIC_PENALTY = 60.0
# The uncaught error of a debug log, versus one that was thrown and maybe caught.
FATAL_BONUS = 30.0
HANDLED_PENALTY = 15.0
# Debug log lines that only echo a value (a caught exception stored in a variable, a debug
# statement) rank below the line where the exception was thrown.
ECHO_PENALTY = 20.0
ECHO_MARKERS = ("|variable_assignment|", "|user_debug|")
# "caused by:" lines restate a deeper error after the headline.
CAUSED_BY_PENALTY = 10.0
# An entry bound to a setting (a flow, a deployment) beats the general entry in that setting.
CONTEXT_BONUS = 20.0
EXCEPTION_AGREES_BONUS = 5.0
# Longer matches are more specific; capped so length never outweighs the rules above.
LENGTH_BONUS_MAX = 8.0
LENGTH_FOR_MAX_BONUS = 120
PREFIX_CHARS = 300


@dataclass(frozen=True, slots=True)
class Candidate:
    """One pattern match of one entry, with its score."""

    entry: CatalogEntry
    hit: RegexHit  # offsets relative to the window
    window: ScanWindow
    score: float

    @property
    def start(self) -> int:
        """Offset of the match in the whole text."""
        return self.window.offset + self.hit.start


def score_hit(
    entry: CatalogEntry, hit: RegexHit, window: ScanWindow, *, context_seen: bool
) -> Candidate:
    """Score one match from the entry's kind, the line it sits on and the paste's setting.

    `context_seen` tells whether the entry's context text appears in the paste; entries
    with a context are only matched where it does (the caller skips them otherwise).
    """
    prefix = line_prefix(window.text, hit.start).lower()
    score = BASE_SCORE + entry.priority
    if entry.generic:
        score -= GENERIC_PENALTY
    if "fatal_error" in prefix:
        score += FATAL_BONUS
    elif "exception_thrown" in prefix:
        score -= HANDLED_PENALTY
    elif any(marker in prefix for marker in ECHO_MARKERS):
        score -= ECHO_PENALTY
    if "caused by" in prefix:
        score -= CAUSED_BY_PENALTY
    if entry.context and context_seen:
        score += CONTEXT_BONUS
    if entry.exception and entry.exception.lower() in prefix + hit.text.lower():
        score += EXCEPTION_AGREES_BONUS
    score += LENGTH_BONUS_MAX * min(len(hit.text), LENGTH_FOR_MAX_BONUS) / LENGTH_FOR_MAX_BONUS
    return Candidate(entry=entry, hit=hit, window=window, score=score)


def line_prefix(text: str, start: int) -> str:
    """The text before `start` on its line, at most PREFIX_CHARS of it."""
    floor = max(0, start - PREFIX_CHARS)
    line_start = text.rfind("\n", floor, start) + 1
    return text[max(floor, line_start) : start]


def best_per_entry(candidates: list[Candidate]) -> list[Candidate]:
    """Each entry's best candidate, best first; ties go to the earlier match."""
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        current = best.get(candidate.entry.id)
        if current is None or _rank(candidate) < _rank(current):
            best[candidate.entry.id] = candidate
    return sorted(best.values(), key=_rank)


def _rank(candidate: Candidate) -> tuple[float, int]:
    return (-candidate.score, candidate.start)
