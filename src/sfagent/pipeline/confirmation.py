"""Answers to the two questions the assistant asks after a fix: did it work, and a 1-5 rating."""

from __future__ import annotations

import enum
import re


class Confirmation(enum.StrEnum):
    WORKED = "worked"
    FAILED = "failed"


# Checked first: "not fixed", "didn't work" hold the words of a yes.
_FAILED = re.compile(
    r"^\W*(no|nope|nah|not really|negative)\b|\b(didn'?t|did not|doesn'?t|does not|won'?t|"
    r"isn'?t|is not|hasn'?t|has not)( \w+)? (work|help|fix|change|solve)\w*|\bstill (failing|"
    r"fails|failed|broken|getting|get|see|seeing|the same|not|happening|there|erroring|"
    r"throws|throwing|an? error)\b|\bsame (error|problem|issue|message|thing)\b|\bnot (fixed|"
    r"working|solved|resolved)\b|\bno (luck|change|difference|good)\b|\bnothing changed\b",
    re.IGNORECASE,
)
_WORKED = re.compile(
    r"^\W*(yes|yep|yeah|yup|ya|sure|correct)\b|\b(it|that|this) (worked|works|did it|did the "
    r"trick|fixed it|solved it|helped)\b|\b(works|working) now\b|\b(fixed|solved|resolved|sorted)"
    r"( it| now)?\b|\ball good\b|\bperfect\b|\bthat'?s it\b",
    re.IGNORECASE,
)
# How sure the intent model must be that a bare "thanks" or "yes" is one.
CONFIRMING_INTENT_CONFIDENCE = 0.6
_CONFIRMING_INTENTS = {"affirm": Confirmation.WORKED, "thanks": Confirmation.WORKED}
_DENYING_INTENTS = {"deny": Confirmation.FAILED}

_RATING = re.compile(
    r"^\W*(?:(?:i'?d|i would|i)\s+)?(?:(?:give|rate|say)\s+(?:it|you|this)?\s*(?:an?\s+)?)?"
    r"(?P<score>[1-5]|one|two|three|four|five)(?![\d.])\s*(?:(?:/|out of|of)\s*(?:5|five))?"
    r"\s*(?:stars?)?(?:\W|$)",
    re.IGNORECASE,
)
_RATING_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def read_confirmation(text: str, intent: str | None, confidence: float) -> Confirmation | None:
    """Whether the message says the fix worked, did not, or neither (a new question)."""
    if _FAILED.search(text):
        return Confirmation.FAILED
    if _WORKED.search(text):
        return Confirmation.WORKED
    if intent is not None and confidence >= CONFIRMING_INTENT_CONFIDENCE:
        return _CONFIRMING_INTENTS.get(intent) or _DENYING_INTENTS.get(intent)
    return None


def read_rating(text: str) -> int | None:
    """A 1-5 score at the start of the message ("5", "4/5", "I'd give it 3 stars")."""
    match = _RATING.match(text.strip())
    if match is None:
        return None
    score = match.group("score").lower()
    return _RATING_WORDS.get(score) or int(score)
