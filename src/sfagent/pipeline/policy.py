"""What the decide stage weighs: when a person must take over, how technical and how upset
the writer is. Small, explicit rules; a tenant's own rules come on top of these."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sfagent.pipeline.turn import Turn
from sfagent.responder.composer import EmotionalStrategy, TechnicalLevel

# Why a person takes over, told to the user, for the intents the catalog marks `escalate`.
HANDOFF_REASONS: dict[str, str] = {
    "request_human": "you asked for a person",
    "refund_request": "refunds and billing disputes are decided by our billing team",
    "complaint": "you raised a complaint, which a person should handle",
    "service_outage": "a production outage needs a person straight away",
}
# Below this an intent is too unsure to hand off on its own say-so.
HANDOFF_INTENT_CONFIDENCE = 0.5
SMALL_TALK_INTENTS = frozenset({"greeting", "thanks", "goodbye"})
SMALL_TALK_CONFIDENCE = 0.7
# Words that mark a message a machine should not try to settle, whatever its intent.
_HANDOFF_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\b(hacked|compromised|phish\w*|breach\w*|leak(ed|s)?|exposed|unauthori[sz]ed "
            r"(access|login)|stolen)\b",
            re.IGNORECASE,
        ),
        "a possible security incident needs a person straight away",
    ),
    (
        re.compile(
            r"\b(data loss|lost (all|our|the) (data|records)|(all|thousands of) \w+ (were|got|are) "
            r"(deleted|gone|wiped)|wiped out)\b",
            re.IGNORECASE,
        ),
        "possible data loss needs a person straight away",
    ),
    (
        re.compile(
            r"\b(lawyer|legal action|lawsuit|sue\b|subpoena|gdpr request|data subject request|"
            r"chargeback|dispute (the|this|a) (charge|invoice))",
            re.IGNORECASE,
        ),
        "legal and payment disputes are handled by people",
    ),
    (
        re.compile(
            r"\b(talk|speak|chat) (to|with) (a |an )?(human|person|someone|agent|representative)|"
            r"\b(real|live) (person|human|agent)\b",
            re.IGNORECASE,
        ),
        "you asked for a person",
    ),
)
_CODE_MARKERS = re.compile(r"```|\bSystem\.\w+|\bSELECT\b.+\bFROM\b|\btrigger\b.+\bon\b", re.S)


@dataclass(frozen=True, slots=True)
class Handoff:
    reason: str


def handoff_needed(turn: Turn) -> Handoff | None:
    """Why this message should go to a person now, if it should."""
    for pattern, reason in _HANDOFF_PATTERNS:
        if pattern.search(turn.content):
            return Handoff(reason)
    spec = turn.understanding.spec if turn.understanding is not None else None
    if spec is not None and spec.escalate and (turn.confidence or 0.0) >= HANDOFF_INTENT_CONFIDENCE:
        return Handoff(HANDOFF_REASONS.get(spec.name, "this needs a person"))
    return None


def knowledge_answer_allowed(turn: Turn) -> bool:
    """Whether the message asks something an article could answer.

    Dialogue acts and out-of-scope messages ("sorry, back now", "it doesn't work") share
    only common words with any article, so a match would be noise. A recognised error is
    evidence enough whatever the words around it.
    """
    if turn.diagnosis is not None and turn.diagnosis.errors:
        return True
    spec = turn.understanding.spec if turn.understanding is not None else None
    if turn.understanding is None:
        return True
    return spec is not None and spec.group != "DIALOGUE" and spec.name != "oos"


def is_small_talk(turn: Turn) -> bool:
    """A greeting, thanks or goodbye with nothing else worth answering in it."""
    return (
        turn.intent in SMALL_TALK_INTENTS
        and (turn.confidence or 0.0) >= SMALL_TALK_CONFIDENCE
        and turn.diagnosis is not None
        and not turn.diagnosis.found_anything
    )


def technical_level(turn: Turn) -> TechnicalLevel:
    """Pasted code, queries or logs mark an expert; plain questions get the fuller version."""
    if turn.diagnosis is not None and turn.diagnosis.artifacts:
        return TechnicalLevel.EXPERT
    if _CODE_MARKERS.search(turn.content):
        return TechnicalLevel.EXPERT
    return TechnicalLevel.INTERMEDIATE


def emotional_strategy(turn: Turn) -> EmotionalStrategy:
    """The tone of the reply, from this message's emotion and sentiment."""
    emotion = turn.emotion or "neutral"
    sentiment = turn.sentiment or 0.0
    if emotion == "anger":
        return EmotionalStrategy.EMPATHETIC_ESCALATE
    if emotion == "frustration" or sentiment <= -0.5:
        return EmotionalStrategy.APOLOGETIC_EXPEDITE
    if emotion == "confusion":
        return EmotionalStrategy.CLARIFYING
    if emotion == "joy" and sentiment > 0.3:
        return EmotionalStrategy.REINFORCING
    return EmotionalStrategy.PROFESSIONAL
