"""The grounding guard: an LLM answer may only state what the sources, diagnostics or customer said.

It checks the claims that hurt most when invented — citations, code identifiers, error codes
and limits — and lets prose through. A claim is grounded when the same item appears in a
retrieved source, a diagnostic finding or the customer's own words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sfagent.responder.llm.prompt import PromptDiagnostic, PromptSource

_FENCED_CODE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
# [kb-12] or [kb-12, kb-7]; not a link's text ("[see](url)") nor an index ("rows[0]").
_CITATION = re.compile(
    r"(?<![\w\]])\[([A-Za-z0-9][\w.:/-]*(?:\s*,\s*[A-Za-z0-9][\w.:/-]*)*)\](?!\()"
)
_CHECKBOX = {"x", "X"}

_DOTTED = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b")
_CUSTOM_SUFFIX = re.compile(r"\b[A-Za-z]\w*?__(?:c|r|e|b|x|mdt|kav|share|history|feed|s)\b", re.I)
_EXCEPTION = re.compile(r"\b[A-Z]\w*[a-z0-9]Exception\b")
_ERROR_CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
_NAMESPACE = "system."

_TIME_UNITS_MS = {
    "ms": 1,
    "millisecond": 1,
    "milliseconds": 1,
    "sec": 1_000,
    "secs": 1_000,
    "second": 1_000,
    "seconds": 1_000,
    "min": 60_000,
    "mins": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
}
_COUNT_UNITS = [
    *("kb", "mb", "gb", "bytes", "characters", "chars", "rows", "records", "queries", "query"),
    *("statements", "callouts", "calls", "requests", "jobs", "batches", "fields", "objects"),
    *("items", "emails", "events", "messages", "transactions", "triggers", "days", "users"),
    *("licenses", "percent", "%", "lines", "iterations", "elements", "levels"),
    # Bare "100 SOQL" counts too; a following noun, when present, is preferred.
    *("apex", "soql", "sosl", "dml"),
]
# Salesforce docs say "rows" and "records" for the same limit.
_UNIT_SYNONYMS = {"query": "queries", "chars": "characters", "%": "percent", "rows": "records"}
_UNIT_WORDS = sorted([*_TIME_UNITS_MS, *_COUNT_UNITS], key=len, reverse=True)
_UNIT = "(?:" + "|".join(re.escape(unit) for unit in _UNIT_WORDS) + ")"
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A number, at most two qualifying words ("100 synchronous SOQL queries"), then a unit.
_QUANTITY = re.compile(
    rf"(?<![\w.,])(?P<number>{_NUMBER})\s*(?:[A-Za-z][\w-]*\s+){{0,2}}(?P<unit>{_UNIT})(?![\w])",
    re.IGNORECASE,
)
_EVIDENCE_NUMBER = re.compile(rf"(?<![\w.,])(?:{_NUMBER})(?![\w])")
_EVIDENCE_UNIT = re.compile(rf"(?<![A-Za-z]){_UNIT}(?![A-Za-z])", re.IGNORECASE)
# How far from a number a unit word may stand in the evidence and still belong to it.
_EVIDENCE_WINDOW = 60


@dataclass(frozen=True)
class GroundingVerdict:
    """The guard's finding; `passed` only when nothing checked was ungrounded."""

    passed: bool
    score: float
    checked: int
    unknown_citations: tuple[str, ...] = ()
    ungrounded_identifiers: tuple[str, ...] = ()
    ungrounded_error_codes: tuple[str, ...] = ()
    ungrounded_quantities: tuple[str, ...] = ()
    empty: bool = False

    @property
    def offending(self) -> tuple[str, ...]:
        return (
            self.unknown_citations
            + self.ungrounded_identifiers
            + self.ungrounded_error_codes
            + self.ungrounded_quantities
        )


def check_grounding(
    answer: str,
    *,
    sources: Sequence[PromptSource],
    diagnostics: Sequence[PromptDiagnostic] = (),
    user_input: str | Sequence[str] = "",
) -> GroundingVerdict:
    """Whether every citation, identifier, error code and limit in `answer` is grounded."""
    if not answer.strip():
        return GroundingVerdict(passed=False, score=0.0, checked=0, empty=True)
    evidence = _Evidence(sources, diagnostics, user_input)
    citations = extract_citations(answer)
    identifiers = extract_identifiers(answer)
    error_codes = extract_error_codes(answer)
    quantities = extract_quantities(answer)
    unknown = tuple(c for c in citations if c not in evidence.article_ids)
    bad_identifiers = tuple(i for i in identifiers if not evidence.has_identifier(i))
    bad_codes = tuple(c for c in error_codes if not evidence.has_text(c))
    bad_quantities = tuple(q.text for q in quantities if not evidence.has_quantity(q))
    checked = len(citations) + len(identifiers) + len(error_codes) + len(quantities)
    failed = len(unknown) + len(bad_identifiers) + len(bad_codes) + len(bad_quantities)
    return GroundingVerdict(
        passed=failed == 0,
        score=1.0 if checked == 0 else (checked - failed) / checked,
        checked=checked,
        unknown_citations=unknown,
        ungrounded_identifiers=bad_identifiers,
        ungrounded_error_codes=bad_codes,
        ungrounded_quantities=bad_quantities,
    )


def response_confidence(
    understanding_confidence: float,
    retrieval_confidence: float,
    grounding: float | bool,
) -> float:
    """One confidence from understanding, retrieval and grounding (a guard score or pass/fail).

    A weighted geometric mean: any factor near zero drags the whole near zero, because a
    reply is only as trustworthy as its weakest step. Retrieval weighs most: it decides what
    the reply can say at all.
    """
    factors = (
        (_unit(understanding_confidence), 0.3),
        (_unit(retrieval_confidence), 0.4),
        (_unit(float(grounding)), 0.3),
    )
    if any(value == 0.0 for value, _ in factors):
        return 0.0
    return math.exp(sum(weight * math.log(value) for value, weight in factors))


def extract_citations(answer: str) -> tuple[str, ...]:
    """Article ids cited as [id] outside code, in order of first appearance."""
    found: list[str] = []
    for match in _CITATION.finditer(_without_code(answer)):
        found += [part.strip() for part in match.group(1).split(",")]
    return _unique(item for item in found if item not in _CHECKBOX)


def extract_identifiers(answer: str) -> tuple[str, ...]:
    """Apex-looking names: `Database.update`, `Account__c`, `DmlException`."""
    dotted = [m.group(0) for m in _DOTTED.finditer(answer) if _looks_like_code(m.group(0))]
    custom = [m.group(0) for m in _CUSTOM_SUFFIX.finditer(answer)]
    exceptions = [m.group(0) for m in _EXCEPTION.finditer(answer)]
    names = _unique([*dotted, *custom, *exceptions])
    # `LimitException` inside an already-listed `System.LimitException` is the same claim.
    return tuple(n for n in names if not any(n != o and n in o.split(".") for o in names))


def extract_error_codes(answer: str) -> tuple[str, ...]:
    """Salesforce-style status codes such as UNABLE_TO_LOCK_ROW."""
    return _unique(m.group(0) for m in _ERROR_CODE.finditer(answer))


@dataclass(frozen=True)
class Quantity:
    """A number with its unit, normalised: time to milliseconds, units to lower case."""

    text: str
    value: float
    unit: str
    raw_value: float


def extract_quantities(text: str) -> tuple[Quantity, ...]:
    """Numbers stated with a unit: "100 SOQL queries", "10,000 ms", "50,000 rows".

    0 and 1 are left out: "1 query instead of 100" is advice, not a limit to verify.
    """
    found = [
        _quantity(m.group(0), m.group("number"), m.group("unit")) for m in _QUANTITY.finditer(text)
    ]
    return tuple({q.text: q for q in found if q.raw_value > 1}.values())


class _Evidence:
    """Everything an answer may draw from, indexed for the four kinds of check."""

    def __init__(
        self,
        sources: Sequence[PromptSource],
        diagnostics: Sequence[PromptDiagnostic],
        user_input: str | Sequence[str],
    ) -> None:
        self.article_ids = {source.article_id for source in sources}
        user_texts = [user_input] if isinstance(user_input, str) else list(user_input)
        texts = [f"{s.article_id}\n{s.title}\n{s.text}" for s in sources]
        texts += [_diagnostic_text(d) for d in diagnostics]
        texts += user_texts
        self._texts = texts
        self._folded = "\n".join(texts).casefold()
        self._quantities = {pair for text in texts for pair in _evidence_quantities(text)}

    def has_text(self, item: str) -> bool:
        pattern = rf"(?<![\w]){re.escape(item.casefold())}(?![\w])"
        return re.search(pattern, self._folded) is not None

    def has_identifier(self, identifier: str) -> bool:
        # Apex is case-insensitive and the System namespace is implicit.
        if self.has_text(identifier):
            return True
        folded = identifier.casefold()
        return folded.startswith(_NAMESPACE) and self.has_text(identifier[len(_NAMESPACE) :])

    def has_quantity(self, quantity: Quantity) -> bool:
        return (quantity.value, quantity.unit) in self._quantities


def _evidence_quantities(text: str) -> set[tuple[float, str]]:
    # Sources state limits loosely ("SOQL queries: 100", "100 (synchronous) queries"), so a
    # number pairs with every unit word near it on the same line.
    pairs: set[tuple[float, str]] = set()
    for line in text.splitlines():
        units = [(m.start(), m.group(0)) for m in _EVIDENCE_UNIT.finditer(line)]
        for number in _EVIDENCE_NUMBER.finditer(line):
            for position, unit in units:
                if abs(position - number.start()) <= _EVIDENCE_WINDOW:
                    quantity = _quantity(number.group(0), number.group(0), unit)
                    pairs.add((quantity.value, quantity.unit))
    return pairs


def _quantity(text: str, number: str, unit: str) -> Quantity:
    value = float(number.replace(",", ""))
    unit = unit.lower()
    if unit in _TIME_UNITS_MS:
        return Quantity(text, value * _TIME_UNITS_MS[unit], "ms", value)
    unit = _UNIT_SYNONYMS.get(unit, unit)
    return Quantity(text, value, unit, value)


def _diagnostic_text(diagnostic: PromptDiagnostic) -> str:
    parts = [
        diagnostic.title,
        diagnostic.explanation,
        diagnostic.where or "",
        diagnostic.limit or "",
    ]
    return "\n".join([*parts, *diagnostic.fix_steps])


def _looks_like_code(name: str) -> bool:
    # Prose has dotted words too ("e.g", "salesforce.com"); Apex names carry a capital.
    return any(ch.isupper() for ch in name)


def _without_code(text: str) -> str:
    return _INLINE_CODE.sub(" ", _FENCED_CODE.sub(" ", text))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))
