"""Reading a message against what the conversation already holds: which topic it belongs to
(the current one, a new one, or an earlier one the user comes back to), which slots it fills,
whether it points at an earlier turn, and whether it answers a question the assistant asked
(did the fix work? how would you rate this?)."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sfagent.pipeline.dialogue import DialogueMemory, DialogueState, Topic

# Slot -> the entity type that fills it.
SLOT_ENTITY_TYPES: dict[str, str] = {
    "object": "SALESFORCE_OBJECT",
    "field": "FIELD_NAME",
    "error": "ERROR",
    "record_id": "RECORD_ID",
    "endpoint": "API_ENDPOINT",
    "api_version": "API_VERSION",
    "product": "PRODUCT",
}
ORG_ID_PREFIX = "00D"
# Dialogue acts that never open a topic of their own.
CONVERSATIONAL_INTENTS = frozenset({"greeting", "thanks", "goodbye", "affirm", "deny"})
# An unprompted new problem must be this sure before it opens a topic of its own while the
# assistant waits on an answer to its question (the reply usually is that answer).
IMPLICIT_SWITCH_CONFIDENCE = 0.9
NEW_PROBLEM_CONFIDENCE = 0.5

_SWITCH = re.compile(
    r"^\W*(wait|hold on|hang on|before that|but first|first\b|actually|one more thing|oh and|"
    r"also)\b|\b(another|different|separate|unrelated|new|other) (question|issue|problem|"
    r"thing)\b|\bbefore (we|that|you)\b",
    re.IGNORECASE,
)
_RETURN = re.compile(
    r"\b(back to|go(ing)? back to|return(ing)? to|resume|continue with|pick up)\b|"
    r"\babout (the|my|that) [\w ]{1,40}? again\b|^\W*(ok|okay|right|now)[,.!]?\s+(the|my) ",
    re.IGNORECASE,
)
_REFERENCE = re.compile(
    r"\b(the|that|this|my|same) (\w+ )?(error|exception|log|debug log|code|query|trigger|class|"
    r"stack ?trace|message)s? (i|we) (pasted|posted|sent|shared|gave|showed|mentioned)\b|"
    r"\b(error|exception|log|code|query|trigger|stack ?trace)s? (from |in )?(above|earlier|before)"
    r"\b|\b(above|earlier|previous|before) (error|exception|log|code|query|message)\b|"
    r"\b(that|the same) (error|exception) (again|still)\b|\bsame error\b",
    re.IGNORECASE,
)
_BEGINNER = re.compile(
    r"\b(i'?m|i am|we'?re|we are) (new|a beginner|not (a |very )?(technical|developer|dev|coder))"
    r"|\bnot a (developer|dev|programmer|coder)\b|\bno (coding|code|developer) (experience|"
    r"background)\b|\bexplain (it )?(like|simply|in plain)|\bnon-?technical\b",
    re.IGNORECASE,
)
_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "that",
        "this",
        "with",
        "from",
        "have",
        "what",
        "when",
        "where",
        "which",
        "your",
        "about",
        "again",
        "back",
        "there",
        "their",
        "them",
        "they",
        "then",
        "than",
        "into",
        "just",
        "still",
        "some",
        "also",
        "okay",
        "going",
    ]
)


class ShiftKind(enum.StrEnum):
    CONTINUE = "continue"  # more about the current topic
    NEW = "new"  # the first topic, or a new one after the last was settled
    SWITCH = "switch"  # a new topic on top of an unsettled one, kept for later
    RETURN = "return"  # back to an earlier topic


@dataclass(frozen=True, slots=True)
class Shift:
    kind: ShiftKind
    index: int | None = None  # the earlier topic's place in the stack, for RETURN


@dataclass(frozen=True, slots=True)
class MessageReading:
    """What the NLU said about a message, as the dialogue needs it."""

    text: str
    intent: str | None
    confidence: float
    category: str | None
    problem: bool  # a support problem (not a dialogue act, not out of scope)

    @property
    def opens_topic(self) -> bool:
        """A problem, or something that may be one ("it doesn't work"); not small talk."""
        return self.problem or self.intent not in CONVERSATIONAL_INTENTS


def detect_shift(reading: MessageReading, memory: DialogueMemory) -> Shift:
    """Whether the message continues the current topic, opens one, or returns to an earlier one."""
    topic = memory.topic
    if topic is None:
        return Shift(ShiftKind.NEW) if reading.opens_topic else Shift(ShiftKind.CONTINUE)
    if _RETURN.search(reading.text):
        index = _earlier_topic(reading, memory)
        if index is not None:
            return Shift(ShiftKind.RETURN, index)
    if DialogueState(topic.state) is DialogueState.RESOLVED:
        return Shift(ShiftKind.NEW) if reading.opens_topic else Shift(ShiftKind.CONTINUE)
    if not _new_area(reading, topic):
        return Shift(ShiftKind.CONTINUE)
    if _SWITCH.search(reading.text):
        return Shift(ShiftKind.SWITCH)
    if topic.asked is not None or not topic_has_area(topic):
        return Shift(ShiftKind.CONTINUE)  # the answer to our question, or the area now named
    if reading.confidence >= IMPLICIT_SWITCH_CONFIDENCE and reading.category != topic.category:
        return Shift(ShiftKind.SWITCH)
    return Shift(ShiftKind.CONTINUE)


def names_area(reading: MessageReading) -> bool:
    """A support problem the intent model is sure enough of to name a topic's area."""
    return reading.problem and reading.confidence >= NEW_PROBLEM_CONFIDENCE


def topic_has_area(topic: Topic) -> bool:
    """Whether the topic's area is known (not a vague opener's "other")."""
    return topic.key is not None and topic.category not in (None, "other")


def _new_area(reading: MessageReading, topic: Topic) -> bool:
    return (
        names_area(reading) and reading.intent != topic.key and reading.category != topic.category
    )


def _earlier_topic(reading: MessageReading, memory: DialogueMemory) -> int | None:
    """The topic a "back to ..." message names, the current one included (it may be on top
    again because the one above it was settled): by intent, then by shared words, else the
    one below the current when there is exactly one."""
    every = list(enumerate(memory.topics))
    earlier = every[:-1]
    for index, topic in reversed(every):
        if reading.intent is not None and topic.key == reading.intent:
            return index
    words = content_words(reading.text)
    best, best_overlap = None, 0
    for index, topic in reversed(every):
        overlap = len(words & topic_words(topic))
        if overlap > best_overlap:
            best, best_overlap = index, overlap
    if best is not None:
        return best
    return earlier[0][0] if len(earlier) == 1 else None


def topic_words(topic: Topic) -> set[str]:
    words = set((topic.key or "").split("_")) | set((topic.category or "").split("_"))
    for text in topic.texts[:2]:
        words |= content_words(text)
    return words


def content_words(text: str) -> set[str]:
    return {
        word
        for word in re.findall(r"[a-z][a-z]+", text.lower())
        if len(word) >= 4 and word not in _STOPWORDS
    }


def refers_to_earlier(text: str) -> bool:
    """ "The error I pasted above", "that error again": the user points at an earlier turn."""
    return _REFERENCE.search(text) is not None


def slot_values(entities: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Slots a message's entities fill (values by entity type), an org id among record ids."""
    slots: dict[str, str] = {}
    for slot, entity_type in SLOT_ENTITY_TYPES.items():
        for value in entities.get(entity_type, ()):
            if slot == "record_id" and value.startswith(ORG_ID_PREFIX):
                slots.setdefault("org_id", value)
            else:
                slots.setdefault(slot, value)
    return slots


def says_beginner(text: str) -> bool:
    return _BEGINNER.search(text) is not None
