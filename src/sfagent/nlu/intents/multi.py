"""Multi-intent messages: split into clauses, keep the clauses with confident, distinct intents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sfagent.nlu.intents.code_regions import code_regions, overlaps
from sfagent.nlu.intents.model import IntentModel, IntentPrediction

BOUNDARY = re.compile(
    r"""
      [ \t]*(?:\r?\n)+\s*                                 # line breaks
    | \s*;\s*
    | (?<=[.!?])\s+(?=\S)                                 # sentence ends
    | \s*,\s*also\b[\s,]*
    | [\s,]*\b(?:and\s+also|and\s+another\s+thing(?:\s+is)?|another\s+thing(?:\s+is)?
               |and\s+additionally|additionally|plus|and)\b[\s,:]*
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Used with .match(text, start), which anchors at start (a "^" would not match there).
LEADING_CONNECTIVE = re.compile(
    r"(?:and\s+)?(?:also|plus|additionally|another\s+thing(?:\s+is)?)\b[\s,:]*", re.IGNORECASE
)
TRIM = " \t\r\n,;:-"


@dataclass(frozen=True, slots=True)
class IntentSpan:
    """One intent found in a message and the characters [start, end) that express it."""

    intent: str
    confidence: float
    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


def split_intents(
    text: str,
    model: IntentModel,
    *,
    min_confidence: float = 0.5,
    max_clauses: int = 8,
    whole: IntentPrediction | None = None,
) -> list[IntentSpan]:
    """The intents in a message, one span each; a single span when it holds one intent.

    Clauses come from line breaks, semicolons, sentence ends and connectives (and, also, plus,
    another thing); pasted code is never cut. A clause that is out of scope, unsure (under
    `min_confidence`) or of the same intent as its neighbour is merged back into it.
    `whole`, the caller's prediction for the whole text, saves predicting it again.
    """
    clauses = _clauses(text)
    if not clauses:
        return []
    if 2 <= len(clauses) <= max_clauses:
        spans = _merge_until_stable(text, clauses, model, min_confidence)
        if len(spans) >= 2:
            return spans
    bounds = _trimmed(text, 0, len(text))
    if bounds is None:
        return []
    prediction = whole or model.predict(text[bounds[0] : bounds[1]])
    return [_span(text, *bounds, prediction)]


def _clauses(text: str) -> list[tuple[int, int]]:
    protected = code_regions(text)
    clauses: list[tuple[int, int]] = []
    start = 0
    for boundary in BOUNDARY.finditer(text):
        if boundary.end() == boundary.start() or overlaps(*boundary.span(), protected):
            continue
        if (piece := _trimmed(text, start, boundary.start())) is not None:
            clauses.append(piece)
        start = boundary.end()
    if (piece := _trimmed(text, start, len(text))) is not None:
        clauses.append(piece)
    return clauses


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start] in TRIM:
        start += 1
    if connective := LEADING_CONNECTIVE.match(text, start, end):
        start = connective.end()
    while end > start and text[end - 1] in TRIM:
        end -= 1
    return (start, end) if end > start else None


def _merge_until_stable(
    text: str, clauses: list[tuple[int, int]], model: IntentModel, min_confidence: float
) -> list[IntentSpan]:
    predictions = model.predict_many([text[start:end] for start, end in clauses])
    spans = [
        _span(text, start, end, p) for (start, end), p in zip(clauses, predictions, strict=True)
    ]
    while len(spans) >= 2 and (pair := _pair_to_merge(spans, min_confidence)) is not None:
        first, second = spans[pair], spans[pair + 1]
        merged_prediction = model.predict(text[first.start : second.end])
        spans[pair : pair + 2] = [_span(text, first.start, second.end, merged_prediction)]
    if any(not _confident(span, min_confidence) for span in spans):
        return []
    return spans


def _pair_to_merge(spans: list[IntentSpan], min_confidence: float) -> int | None:
    """Index of the first adjacent pair to join: repeated intent first, then unsure clauses."""
    for index in range(len(spans) - 1):
        if spans[index].intent == spans[index + 1].intent:
            return index
    for index, span in enumerate(spans):
        if not _confident(span, min_confidence):
            # An unsure clause usually continues the one before it.
            return index - 1 if index > 0 else 0
    return None


def _confident(span: IntentSpan, min_confidence: float) -> bool:
    return span.intent != "oos" and span.confidence >= min_confidence


def _span(text: str, start: int, end: int, prediction: IntentPrediction) -> IntentSpan:
    return IntentSpan(prediction.intent, prediction.confidence, start, end, text[start:end])
