"""End-to-end answer quality: labelled customer questions, and how to score the agent's replies.

A case (one JSON object a line) is a realistic customer message with what a good reply must do:

- ``id``: unique within the file;
- ``message``: the customer's text, exactly as it would be sent;
- ``category``: the fine support category a correct triage gives it;
- ``must_mention``: 2-4 lowercase key concepts of the correct fix; a reply passes only if it
  mentions every one. ``a|b`` lists alternatives (either will do);
- ``should_escalate``: whether the agent should hand the conversation to a person;
- ``source_hint`` (optional): where the question was modelled from.

Labelling conventions: the category is where the fix lives. An exception Apex throws because
of how the code is written (``List has no rows for assignment``, a callout after uncommitted
DML or from a trigger) is ``apex_runtime_error``; a callout the remote side or its settings
refuse is ``api_integration``, and so is an integration's OAuth flow (JWT bearer, refresh
tokens, ``invalid_grant``, ``redirect_uri_mismatch``): the issue files API authentication
under technical integration work; a person's own login, password, MFA or SSO is
``authentication_login``. A governor-limit exception is ``governor_limit`` even when it
surfaces in a trigger; a Flow loop limit is ``flow_automation``;
storage and user-licence limits are ``billing_account``; design questions ("which async Apex
should I use?") are ``how_to_config``; an escalation keeps the category of its subject (an outage
caused by a SOQL limit is still ``governor_limit``), and ``other`` holds the rest (platform
outages, security incidents, legal requests, off-topic messages).

How a concept is matched (:func:`mentions`), so a reply author can predict the outcome:

1. Text is lowercased and split into tokens: maximal runs of ASCII letters and digits. Every
   other character separates tokens, so ``UNABLE_TO_LOCK_ROW`` reads ``unable to lock row`` and
   ``Test.setMock`` reads ``test setmock``. Hyphenated words are also read joined, so
   ``multi-factor`` and ``multifactor`` match each other.
2. A concept is one or more alternatives separated by ``|``; it is mentioned if any alternative
   is. An alternative of several words matches only the same words in a row.
3. Word by word, with ``w`` the concept's word and ``t`` the reply's:
   - a word containing a digit must equal ``t`` exactly (``101`` never matches ``1010``);
   - a word of at most 3 characters matches ``t`` equal to it or to it plus ``s``
     (``api`` matches ``APIs``, not ``apiary``);
   - a longer word is stemmed by dropping the first of the endings ``ies``, ``es``, ``ing``,
     ``ed``, ``s``, ``e``, ``y`` whose removal leaves at least 4 characters, and matches any
     ``t`` that starts with that stem: ``bulkify`` (stem ``bulkif``) matches ``bulkified`` and
     ``bulkification``; ``query`` (stem ``quer``) matches ``queries``; ``sharing`` (``shar``)
     matches ``share``. Matching is anchored at the start of a token, so ``soql`` does not
     match inside ``mysoql``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sfagent.nlu.catalog import SUPPORT_CATEGORIES

MIN_CONCEPTS = 2
MAX_CONCEPTS = 4
_REQUIRED_FIELDS = ("id", "message", "category", "must_mention", "should_escalate")
_OPTIONAL_FIELDS = ("source_hint",)
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_TOKEN = re.compile(r"[a-z0-9]+")
_HYPHENATED = re.compile(r"(?<=[a-z0-9])-(?=[a-z0-9])")
_ENDINGS = ("ies", "es", "ing", "ed", "s", "e", "y")
_MIN_STEM = 4
_SHORT_WORD = 3


class AnswerCaseError(ValueError):
    """A case file line that is not a valid answer case; the message names file, line and field."""


@dataclass(frozen=True, slots=True)
class AnswerCase:
    """One labelled customer question."""

    id: str
    message: str
    category: str
    must_mention: tuple[str, ...]
    should_escalate: bool
    source_hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this case is stored as."""
        return {
            "id": self.id,
            "message": self.message,
            "category": self.category,
            "must_mention": list(self.must_mention),
            "should_escalate": self.should_escalate,
            "source_hint": self.source_hint,
        }


class AnswerOutcome(NamedTuple):
    """What the agent did with one case: its category, its reply, and whether it escalated."""

    category: str
    reply: str
    escalated: bool


# --------------------------------------------------------------------------- loading


def load_answer_cases(path: str | Path) -> list[AnswerCase]:
    """Read and validate a JSONL case file; blank lines are skipped.

    Raises :class:`AnswerCaseError` naming the file, the line and the field at the first problem:
    invalid JSON, a missing or unknown field, an unknown category, ``must_mention`` not 2-4
    distinct lowercase concepts, or an id used twice.
    """
    source = Path(path)
    cases: list[AnswerCase] = []
    seen: dict[str, int] = {}
    with source.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            case = _parse_line(source, number, line)
            if case.id in seen:
                raise _error(
                    source, number, "id", f"{case.id!r} already used on line {seen[case.id]}"
                )
            seen[case.id] = number
            cases.append(case)
    return cases


def _error(source: Path, line: int, field_name: str | None, problem: str) -> AnswerCaseError:
    where = f"{source}:{line}"
    return AnswerCaseError(
        f"{where}: {field_name}: {problem}" if field_name else f"{where}: {problem}"
    )


def _parse_line(source: Path, number: int, line: str) -> AnswerCase:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _error(source, number, None, f"invalid JSON ({exc.msg})") from exc
    if not isinstance(raw, dict):
        raise _error(source, number, None, "expected a JSON object")
    for name in _REQUIRED_FIELDS:
        if name not in raw:
            raise _error(source, number, name, "missing")
    unknown = sorted(set(raw) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS))
    if unknown:
        raise _error(source, number, unknown[0], "unknown field")

    case_id = raw["id"]
    if not isinstance(case_id, str) or not _ID_PATTERN.match(case_id):
        raise _error(source, number, "id", "must be lowercase letters, digits, '.', '_' or '-'")
    message = raw["message"]
    if not isinstance(message, str) or not message.strip():
        raise _error(source, number, "message", "must be a non-empty string")
    category = raw["category"]
    if not isinstance(category, str) or category not in SUPPORT_CATEGORIES:
        raise _error(source, number, "category", f"unknown category {category!r}")
    escalate = raw["should_escalate"]
    if not isinstance(escalate, bool):
        raise _error(source, number, "should_escalate", "must be true or false")
    hint = raw.get("source_hint", "")
    if not isinstance(hint, str):
        raise _error(source, number, "source_hint", "must be a string")
    problem = _concepts_problem(raw["must_mention"])
    if problem:
        raise _error(source, number, "must_mention", problem)
    return AnswerCase(
        id=case_id,
        message=message,
        category=category,
        must_mention=tuple(raw["must_mention"]),
        should_escalate=escalate,
        source_hint=hint,
    )


def _concepts_problem(value: object) -> str | None:
    if not isinstance(value, list):
        return "must be a list of strings"
    if not MIN_CONCEPTS <= len(value) <= MAX_CONCEPTS:
        return f"must have {MIN_CONCEPTS}-{MAX_CONCEPTS} concepts, has {len(value)}"
    for concept in value:
        if not isinstance(concept, str):
            return f"{concept!r} is not a string"
        if concept != concept.lower():
            return f"{concept!r} is not lowercase"
        alternatives = concept.split("|")
        if any(not _TOKEN.search(alternative) for alternative in alternatives):
            return f"{concept!r} has an empty alternative"
    if len(set(value)) != len(value):
        return "concepts repeat"
    return None


# --------------------------------------------------------------------------- matching


def _token_forms(text: str) -> tuple[tuple[str, ...], ...]:
    """The text's tokens with hyphens as separators, and (if different) with hyphens removed."""
    lowered = text.lower()
    split = tuple(_TOKEN.findall(lowered))
    joined = tuple(_TOKEN.findall(_HYPHENATED.sub("", lowered)))
    return (split,) if joined == split else (split, joined)


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


def _word_matcher(word: str) -> Callable[[str], bool]:
    if any(character.isdigit() for character in word):
        return lambda token: token == word
    if len(word) <= _SHORT_WORD:
        plural = word + "s"
        return lambda token: token in (word, plural)
    stem = _stem(word)
    return lambda token: token.startswith(stem)


def _phrase_in(phrase: Sequence[str], tokens: Sequence[str]) -> bool:
    matchers = [_word_matcher(word) for word in phrase]
    width = len(matchers)
    for start in range(len(tokens) - width + 1):
        if all(matcher(tokens[start + offset]) for offset, matcher in enumerate(matchers)):
            return True
    return False


def _mentions_in(forms: Sequence[Sequence[str]], concept: str) -> bool:
    for alternative in concept.split("|"):
        for phrase in _token_forms(alternative):
            if phrase and any(_phrase_in(phrase, tokens) for tokens in forms):
                return True
    return False


def mentions(reply: str, concept: str) -> bool:
    """Whether ``reply`` mentions ``concept`` (rules in the module docstring)."""
    return _mentions_in(_token_forms(reply), concept)


def missing_concepts(reply: str, concepts: Iterable[str]) -> list[str]:
    """The concepts ``reply`` does not mention, in order."""
    forms = _token_forms(reply)
    return [concept for concept in concepts if not _mentions_in(forms, concept)]


# --------------------------------------------------------------------------- scoring


def _ratio(numerator: int, denominator: int, *, empty: float = 0.0) -> float:
    return numerator / denominator if denominator else empty


@dataclass(frozen=True, slots=True)
class ConceptCoverage:
    """How often one concept string was mentioned, over the cases that require it."""

    mentioned: int
    required: int

    @property
    def rate(self) -> float:
        """Share of the replies that needed the concept and mentioned it."""
        return _ratio(self.mentioned, self.required)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"mentioned": self.mentioned, "required": self.required, "rate": round(self.rate, 4)}


@dataclass(frozen=True, slots=True)
class EscalationScore:
    """Escalation as a binary decision; the positive class is "hand over to a person".

    With nothing predicted positive, precision is 1.0 (no false alarm was raised); with nothing
    labelled positive, recall is 1.0 (nothing was missed).
    """

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def precision(self) -> float:
        """Share of escalations that should have happened."""
        return _ratio(self.true_positives, self.true_positives + self.false_positives, empty=1.0)

    @property
    def recall(self) -> float:
        """Share of cases needing a person that were escalated."""
        return _ratio(self.true_positives, self.true_positives + self.false_negatives, empty=1.0)

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0.0 when both are 0)."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "true_negatives": self.true_negatives,
        }


@dataclass(frozen=True, slots=True)
class CategoryBreakdown:
    """Results for the cases labelled with one category, and for the predictions of it."""

    cases: int
    category_correct: int
    all_mentioned: int
    predicted: int

    @property
    def accuracy(self) -> float:
        """Recall of the category: share of its cases triaged to it."""
        return _ratio(self.category_correct, self.cases)

    @property
    def precision(self) -> float:
        """Share of the predictions of this category that were right (0.0 if never predicted)."""
        return _ratio(self.category_correct, self.predicted)

    @property
    def must_mention_recall(self) -> float:
        """Share of its cases whose reply mentioned every concept."""
        return _ratio(self.all_mentioned, self.cases)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "cases": self.cases,
            "predicted": self.predicted,
            "accuracy": round(self.accuracy, 4),
            "precision": round(self.precision, 4),
            "must_mention_recall": round(self.must_mention_recall, 4),
        }


@dataclass(frozen=True, slots=True)
class CaseResult:
    """How the agent did on one case."""

    id: str
    expected_category: str
    predicted_category: str
    missing: tuple[str, ...]
    should_escalate: bool
    escalated: bool

    @property
    def category_correct(self) -> bool:
        """Whether the predicted category is the labelled one."""
        return self.predicted_category == self.expected_category

    @property
    def all_mentioned(self) -> bool:
        """Whether the reply mentioned every required concept."""
        return not self.missing

    @property
    def passed(self) -> bool:
        """Right category, every concept, and the right escalation decision."""
        return (
            self.category_correct and self.all_mentioned and self.escalated == self.should_escalate
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "id": self.id,
            "expected_category": self.expected_category,
            "predicted_category": self.predicted_category,
            "missing": list(self.missing),
            "should_escalate": self.should_escalate,
            "escalated": self.escalated,
            "passed": self.passed,
        }


@dataclass(frozen=True, slots=True)
class AnswerScore:
    """Scores of a set of outcomes against their cases."""

    total: int
    category_correct: int
    all_mentioned: int
    concepts_mentioned: int
    concepts_required: int
    escalation: EscalationScore
    per_concept: Mapping[str, ConceptCoverage]
    per_category: Mapping[str, CategoryBreakdown]
    results: tuple[CaseResult, ...] = field(default=())

    @property
    def category_accuracy(self) -> float:
        """Share of cases triaged to their labelled category."""
        return _ratio(self.category_correct, self.total)

    @property
    def must_mention_recall(self) -> float:
        """Share of replies that mentioned every required concept."""
        return _ratio(self.all_mentioned, self.total)

    @property
    def concept_recall(self) -> float:
        """Share of all required concepts (counted over every case) that were mentioned."""
        return _ratio(self.concepts_mentioned, self.concepts_required)

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        """Cases with a wrong category, a missing concept or the wrong escalation decision."""
        return tuple(result for result in self.results if not result.passed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, for ``sfagent eval answers --json``."""
        return {
            "total": self.total,
            "category_accuracy": round(self.category_accuracy, 4),
            "must_mention_recall": round(self.must_mention_recall, 4),
            "concept_recall": round(self.concept_recall, 4),
            "escalation": self.escalation.to_dict(),
            "per_category": {name: part.to_dict() for name, part in self.per_category.items()},
            "per_concept": {name: part.to_dict() for name, part in self.per_concept.items()},
            "failures": [result.to_dict() for result in self.failures],
        }


def score_answers(
    cases: Sequence[AnswerCase],
    outcomes: Sequence[AnswerOutcome | tuple[str, str, bool]],
) -> AnswerScore:
    """Score ``outcomes[i]`` (predicted category, reply, escalated) against ``cases[i]``.

    ``per_category`` has every support category that was labelled or predicted, in the order of
    the category list; ``per_concept`` is keyed by the concept string as written in the cases.
    """
    if len(cases) != len(outcomes):
        raise ValueError(f"{len(cases)} cases but {len(outcomes)} outcomes")
    results: list[CaseResult] = []
    concept_counts: dict[str, list[int]] = {}
    for case, raw in zip(cases, outcomes, strict=True):
        outcome = AnswerOutcome(*raw)
        missing = tuple(missing_concepts(outcome.reply, case.must_mention))
        for concept in case.must_mention:
            counts = concept_counts.setdefault(concept, [0, 0])
            counts[1] += 1
            if concept not in missing:
                counts[0] += 1
        results.append(
            CaseResult(
                id=case.id,
                expected_category=case.category,
                predicted_category=outcome.category,
                missing=missing,
                should_escalate=case.should_escalate,
                escalated=bool(outcome.escalated),
            )
        )

    escalation = EscalationScore(
        true_positives=sum(r.escalated and r.should_escalate for r in results),
        false_positives=sum(r.escalated and not r.should_escalate for r in results),
        false_negatives=sum(not r.escalated and r.should_escalate for r in results),
        true_negatives=sum(not r.escalated and not r.should_escalate for r in results),
    )
    return AnswerScore(
        total=len(results),
        category_correct=sum(r.category_correct for r in results),
        all_mentioned=sum(r.all_mentioned for r in results),
        concepts_mentioned=sum(counts[0] for counts in concept_counts.values()),
        concepts_required=sum(counts[1] for counts in concept_counts.values()),
        escalation=escalation,
        per_concept={
            concept: ConceptCoverage(mentioned=counts[0], required=counts[1])
            for concept, counts in sorted(concept_counts.items())
        },
        per_category=_per_category(results),
        results=tuple(results),
    )


def _per_category(results: Sequence[CaseResult]) -> dict[str, CategoryBreakdown]:
    labelled = {r.expected_category for r in results}
    predicted = {r.predicted_category for r in results}
    known: set[str] = set(SUPPORT_CATEGORIES)
    names: list[str] = [name for name in SUPPORT_CATEGORIES if name in labelled | predicted]
    names += sorted((labelled | predicted) - known)
    breakdown: dict[str, CategoryBreakdown] = {}
    for name in names:
        own = [r for r in results if r.expected_category == name]
        breakdown[name] = CategoryBreakdown(
            cases=len(own),
            category_correct=sum(r.category_correct for r in own),
            all_mentioned=sum(r.all_mentioned for r in own),
            predicted=sum(r.predicted_category == name for r in results),
        )
    return breakdown
