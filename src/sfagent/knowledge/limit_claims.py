"""Numeric limits an article states ("100 SOQL queries"), to spot articles that contradict."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from sfagent.knowledge.tokens import STOPWORDS, stem

# A number states a limit only when one of these words leads up to it ("at most 100 SOQL
# queries"); "bulk saves of 200 records fail" is an example, not a limit.
_LIMIT_WORDS = re.compile(
    r"\b(?:limits?|limited|maximum|max|at most|up to|no more than|caps?|capped|exceeds?|"
    r"exceeded|allows?|allowed|governor)\b",
    re.IGNORECASE,
)
LEAD_WORDS = 5  # how far before a number a limit word may stand
MAX_RATIO = 10.0  # values further apart than this are different limits, see `contradictions`
_FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_URL = re.compile(r"https?://\S+")
_SENTENCE_BREAK = re.compile(r"\n+|(?<=[.!?;:])\s+")
# 10,000 / 100 / 6.5 standing alone: not part of `v45.0`, `Account2`, `10xxx` or `50%`.
_NUMBER = re.compile(r"(?<![\w.$/-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w%$]|[.,]\d)")
_WORD_AFTER = re.compile(r"\s+([A-Za-z]+)")
# "100 SOQL queries synchronously and 200 asynchronously": the bare 200 is queries too.
_SAME_UNIT_LINK = re.compile(r"^\s*(?:[A-Za-z]+ly\s+)?(?:,\s*)?(?:and|or|,)\s*$")
_MULTIPLIERS = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
# Words that end a unit phrase: "records per batch" is a count of records.
_UNIT_STOP = STOPWORDS | {"per", "each", "every", "total", "more", "less", "fewer", "than"}

LimitClaims = Mapping[str, frozenset[float]]


def limit_claims(body: str) -> dict[str, frozenset[float]]:
    """Unit phrase → the numbers stated for it in sentences about limits (code is ignored)."""
    claims: dict[str, set[float]] = {}
    for sentence in _sentences(body):
        if _LIMIT_WORDS.search(sentence):  # a cheap gate: most sentences state no limit
            for unit, value in _sentence_claims(sentence):
                claims.setdefault(unit, set()).add(value)
    return {unit: frozenset(values) for unit, values in claims.items()}


def contradictions(first: LimitClaims, second: LimitClaims) -> list[str]:
    """Units both texts give numbers for with no number in common, e.g. 100 vs 150 queries.

    Disjoint, not merely different: one text may state both the sync and async limit where the
    other states only one, and that is not a contradiction. Values more than `MAX_RATIO` apart
    are different limits sharing a unit (10,000 DML rows vs 50 million batch records), not a
    disagreement about one.
    """
    return sorted(
        unit
        for unit in first.keys() & second.keys()
        if not first[unit] & second[unit] and _closest_ratio(first[unit], second[unit]) <= MAX_RATIO
    )


def format_values(values: frozenset[float]) -> str:
    """`1,000 or 150` for a detail message."""
    shown = (f"{value:,.0f}" if value.is_integer() else f"{value:,}" for value in sorted(values))
    return " or ".join(shown)


def _closest_ratio(first: frozenset[float], second: frozenset[float]) -> float:
    """How far apart the nearest two values are, as a factor; zero counts as infinitely far."""
    pairs = [(min(a, b), max(a, b)) for a in first for b in second]
    return min(high / low if low > 0 else math.inf for low, high in pairs)


def _sentences(body: str) -> list[str]:
    text = _FENCE.sub("\n", body)
    text = _INLINE_CODE.sub(" ", text)  # `Too many SOQL queries: 101` is an error, not a limit
    text = _URL.sub(" ", text).replace("*", "")
    return [part for part in _SENTENCE_BREAK.split(text) if part.strip()]


def _sentence_claims(sentence: str) -> list[tuple[str, float]]:
    claims: list[tuple[str, float]] = []
    previous_unit, previous_end = "", -1
    for found in _NUMBER.finditer(sentence):
        value = float(found.group(1).replace(",", ""))
        unit, end = _unit_after(sentence, found.end())
        if unit in _MULTIPLIERS:
            value *= _MULTIPLIERS[unit]
            unit, end = _unit_after(sentence, end)
        linked = bool(previous_unit) and bool(
            _SAME_UNIT_LINK.match(sentence[previous_end : found.start()])
        )
        if not unit and linked:
            unit, end = previous_unit, found.end()
        # "limited to 6 MB synchronously and 12 MB asynchronously": 12 MB is a limit too.
        continued = bool(unit) and unit == previous_unit
        if unit and (linked or continued or _led_by_limit_word(sentence, found.start())):
            claims.append((unit, value))
            previous_unit, previous_end = unit, end
    return claims


def _led_by_limit_word(sentence: str, start: int) -> bool:
    lead = sentence[:start].split()[-LEAD_WORDS:]
    return bool(_LIMIT_WORDS.search(" ".join(lead)))


def _unit_after(sentence: str, position: int) -> tuple[str, int]:
    """The unit phrase after a number and where it ends: one word, or two after an acronym.

    "150 DML statements" → "dml statement"; "10 seconds per callout" → "second".
    """
    words: list[str] = []
    end = position
    while len(words) < 2 and (found := _WORD_AFTER.match(sentence, end)):
        word = found.group(1)
        if word.lower() in _UNIT_STOP or word.lower().endswith("ly"):
            break
        words.append(stem(word.lower()))
        end = found.end()
        # Only an acronym qualifies the next word (SOQL queries); "records through" does not.
        if not (word.isupper() and len(word) > 1):
            break
    return " ".join(words), end
