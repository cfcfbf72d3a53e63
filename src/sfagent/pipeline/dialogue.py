"""Dialogue states, the transitions allowed between them, and the memory a conversation keeps.

The lifecycle status (conversations.lifecycle) says who owns a conversation; the dialogue
state says where the assistant is in solving it: asking, answering, waiting for the user to
confirm a fix. Every move is checked against ALLOWED_MOVES and recorded with its reason.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, fields
from typing import Any


class DialogueState(enum.StrEnum):
    INITIALIZATION = "initialization"  # nothing asked yet (a greeting at most)
    GATHERING_CONTEXT = "gathering_context"  # the area is known; a detail (the error) is missing
    PROCESSING = "processing"  # a message is being worked on
    CLARIFICATION_NEEDED = "clarification_needed"  # the assistant cannot tell what this is about
    SOLUTION_PROVIDED = "solution_provided"  # an answer went out
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # asked whether the answer fixed it
    ESCALATION_REQUIRED = "escalation_required"  # a person must take over
    RESOLVED = "resolved"  # the user confirmed the fix
    ABANDONED = "abandoned"  # the user went quiet


D = DialogueState
ALLOWED_MOVES: dict[DialogueState, frozenset[DialogueState]] = {
    D.INITIALIZATION: frozenset({D.PROCESSING, D.ABANDONED, D.ESCALATION_REQUIRED}),
    D.PROCESSING: frozenset(
        {
            D.GATHERING_CONTEXT,
            D.CLARIFICATION_NEEDED,
            D.SOLUTION_PROVIDED,
            D.ESCALATION_REQUIRED,
            D.RESOLVED,
        }
    ),
    D.GATHERING_CONTEXT: frozenset({D.PROCESSING, D.ESCALATION_REQUIRED, D.ABANDONED}),
    D.CLARIFICATION_NEEDED: frozenset({D.PROCESSING, D.ESCALATION_REQUIRED, D.ABANDONED}),
    D.SOLUTION_PROVIDED: frozenset({D.AWAITING_CONFIRMATION, D.PROCESSING, D.ABANDONED}),
    D.AWAITING_CONFIRMATION: frozenset(
        {D.PROCESSING, D.RESOLVED, D.ESCALATION_REQUIRED, D.ABANDONED}
    ),
    # A person hands the conversation back, or closes it as solved.
    D.ESCALATION_REQUIRED: frozenset({D.GATHERING_CONTEXT, D.RESOLVED}),
    D.RESOLVED: frozenset({D.PROCESSING, D.ESCALATION_REQUIRED}),
    D.ABANDONED: frozenset({D.PROCESSING, D.ESCALATION_REQUIRED}),
}


class InvalidDialogueMove(ValueError):
    def __init__(self, current: DialogueState, target: DialogueState) -> None:
        allowed = ", ".join(sorted(state.value for state in ALLOWED_MOVES[current]))
        super().__init__(
            f"dialogue cannot move from {current.value} to {target.value} (allowed: {allowed})"
        )


@dataclass(frozen=True, slots=True)
class DialogueMove:
    """One recorded change of dialogue state."""

    from_state: DialogueState
    to_state: DialogueState
    reason: str


def plan_moves(
    current: DialogueState, steps: list[tuple[DialogueState, str]]
) -> list[DialogueMove]:
    """The moves from `current` through each (target, reason); raises on a forbidden one.
    A step to the state the dialogue is already in is no move and is skipped."""
    moves: list[DialogueMove] = []
    state = current
    for target, reason in steps:
        if target is state:
            continue
        if target not in ALLOWED_MOVES[state]:
            raise InvalidDialogueMove(state, target)
        moves.append(DialogueMove(state, target, reason))
        state = target
    return moves


# Slots that belong to the whole conversation, and those that belong to one topic (an export
# and a login problem have different errors, objects and records).
CONVERSATION_SLOTS = ("org_id", "api_version", "product", "technical_level")
TOPIC_SLOTS = ("object", "field", "error", "record_id", "endpoint")
MAX_TOPICS = 5
MAX_TOPIC_TEXTS = 6
MAX_TOPIC_TEXT_CHARS = 4_000
SENTIMENT_HISTORY = 6


@dataclass
class Topic:
    """One problem the user raised: what it is, what is known, what was tried."""

    key: str | None  # the intent that opened it; None while the area is unknown
    category: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # the user's messages about it
    state: str = DialogueState.PROCESSING.value
    asked: str | None = None  # what the last question asked for ("error", "feature")
    clarifications: int = 0  # questions asked about it
    failed_clarifications: int = 0  # answers to them that added nothing
    offered: list[str] = field(default_factory=list)  # fixes given: article ids, causes
    failed_fixes: int = 0  # fixes the user said did not work
    opened_at: int = 0  # the sequence of the message that opened it

    def remember(self, text: str) -> None:
        self.texts.append(text[:MAX_TOPIC_TEXT_CHARS])
        del self.texts[:-MAX_TOPIC_TEXTS]

    @property
    def label(self) -> str:
        """Words for the user: "data export", "password reset"."""
        return (self.key or self.category or "your question").replace("_", " ")


@dataclass
class DialogueMemory:
    """What the assistant remembers between turns, stored on the conversation."""

    state: DialogueState = DialogueState.INITIALIZATION
    slots: dict[str, str] = field(default_factory=dict)
    topics: list[Topic] = field(default_factory=list)  # a stack: the last is current
    sentiments: list[float] = field(default_factory=list)
    emotions: list[str] = field(default_factory=list)
    awaiting_csat: bool = False
    last_artifact_sequence: int | None = None  # the last message that pasted an error or code

    @property
    def topic(self) -> Topic | None:
        return self.topics[-1] if self.topics else None

    def all_slots(self) -> dict[str, str]:
        """Conversation slots with the current topic's on top."""
        topic = self.topic
        return {**self.slots, **(topic.slots if topic else {})}

    def push(self, topic: Topic) -> None:
        self.topics.append(topic)
        del self.topics[:-MAX_TOPICS]

    def bring_to_top(self, index: int) -> Topic:
        topic = self.topics.pop(index)
        self.topics.append(topic)
        return topic

    def drop_current(self) -> None:
        if self.topics:
            self.topics.pop()

    def feel(self, sentiment: float | None, emotion: str | None) -> None:
        if sentiment is not None:
            self.sentiments.append(round(sentiment, 4))
            del self.sentiments[:-SENTIMENT_HISTORY]
        if emotion is not None:
            self.emotions.append(emotion)
            del self.emotions[:-SENTIMENT_HISTORY]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, *, context: dict[str, Any]) -> DialogueMemory:
        """The stored memory; a new one seeded with the facts the conversation was opened with."""
        if not data:
            return cls(slots=seed_slots(context))
        topics = [Topic(**_known(Topic, topic)) for topic in data.get("topics", [])]
        known = _known(cls, data)
        known["state"] = DialogueState(known.get("state", DialogueState.INITIALIZATION))
        known["topics"] = topics
        return cls(**known)


def memory_of(
    dialogue: dict[str, Any] | None, context: dict[str, Any], state: str
) -> DialogueMemory:
    """A conversation's memory, its state taken from the state column: people move that
    too (resolve, hand back, the idle sweeper), the stored memory only on a turn."""
    memory = DialogueMemory.from_json(dialogue, context=context)
    memory.state = DialogueState(state)
    return memory


def seed_slots(context: dict[str, Any]) -> dict[str, str]:
    """Conversation slots from the context given at creation (org id, API version...)."""
    slots: dict[str, str] = {}
    for name in (*CONVERSATION_SLOTS, *TOPIC_SLOTS):
        value = context.get(name)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value):
            slots[name] = str(value)[:200]
    return slots


def _known(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    """The keys of data that kind has as fields: memory written by a newer version loads."""
    names = {item.name for item in fields(kind)}
    return {key: value for key, value in data.items() if key in names}
