"""API models for conversations and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sfagent.conversations.lifecycle import ConversationStatus
from sfagent.validation import InputModel

Channel = Literal["api", "web", "websocket", "slack", "email"]
# "note": a staff member's internal note, never shown to the customer.
Role = Literal["user", "assistant", "agent", "system", "note"]

# Absolute ceiling on message content; the tenant's own (smaller) limit is checked in the
# service so the 422 can name the tenant's number.
CONTENT_CEILING = 100_000


class ConversationCreate(InputModel):
    channel: Channel = "api"
    user_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The end user's id in your system. Ignored for end-user tokens.",
    )
    subject: str | None = Field(default=None, max_length=300)
    context: dict[str, Any] = Field(
        default_factory=dict, description="Known facts: org id, API version, product..."
    )


class MessageCreate(InputModel):
    content: str = Field(min_length=1, max_length=CONTENT_CEILING)


class AttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    url: str = Field(description="Where to read it back (same credentials)")


class RatingIn(InputModel):
    score: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")


class FeedbackIn(InputModel):
    helpful: bool


class TransitionRequest(InputModel):
    reason: str | None = Field(default=None, max_length=300)


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    sequence: int
    role: Role
    content: str
    created_at: datetime
    intent: str | None = None
    confidence: float | None = None
    entities: dict[str, Any] | None = None
    sentiment: float | None = None
    emotion: str | None = None
    language: str | None = None
    model_used: str | None = None
    processing_time_ms: float | None = None
    analysis: dict[str, Any] | None = Field(
        default=None,
        description="For user messages: the decision taken, its reason, what the NLU "
        "understood (intents, category, priority, sentiment, emotion, language), diagnostics, "
        "sources and per-stage timings.",
    )


class ConversationOut(BaseModel):
    id: str
    status: ConversationStatus
    channel: Channel
    user_id: str | None
    subject: str | None
    context: dict[str, Any]
    message_count: int
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    dialogue_state: str = Field(
        description="Where the assistant is in solving it: initialization, gathering_context, "
        "processing, clarification_needed, solution_provided, awaiting_confirmation, "
        "escalation_required, resolved or abandoned."
    )
    csat_score: int | None = Field(default=None, description="The user's 1-5 rating, if given")
    greeting: MessageOut | None = None


class Citation(BaseModel):
    """A knowledge article the reply relied on."""

    article_id: str
    title: str


class MessageResponse(BaseModel):
    """The assistant's reply to one posted message, and what the pipeline learned."""

    id: str = Field(description="The id of the reply message")
    conversation_id: str
    user_message_id: str
    response: str
    confidence: float | None
    intent: str | None
    category: str | None = Field(
        default=None,
        description="The support category of the message (one of the 15 fine categories), "
        "from its intents and what it contains.",
    )
    understanding: dict[str, Any] | None = Field(
        default=None,
        description="What the NLU understood: top intents with confidence, the intents of a "
        "multi-intent message with their spans, category and group, priority, entities with "
        "character spans, sentiment (with per-aspect scores), emotion and language.",
    )
    action: str | None = Field(
        default=None,
        description="What the agent did with the message: answer, clarify, confirm or escalate.",
    )
    suggested_actions: list[str]
    requires_escalation: bool
    state: ConversationStatus
    dialogue_state: str = Field(description="The dialogue state after this turn")
    topic: str | None = Field(
        default=None, description="The current topic: the intent that opened it"
    )
    slots: dict[str, str] = Field(
        default_factory=dict,
        description="What the conversation knows: org id, API version, product, technical "
        "level, and the current topic's object, field, error, record id and endpoint.",
    )
    processing_time_ms: float
    stage_timings_ms: dict[str, float]
    diagnostics: dict[str, Any] | None = Field(
        default=None,
        description="What the diagnostics engine found in the message: pasted artifacts, "
        "recognised errors, rule findings and the causes it named.",
    )
    citations: list[Citation] = Field(
        default_factory=list,
        description="Every knowledge article the reply used, in the order it cites them.",
    )
    created_at: datetime


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


class DialogueTransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_state: str
    to_state: str
    reason: str
    message_sequence: int | None
    created_at: datetime


class TopicOut(BaseModel):
    key: str | None
    category: str | None
    state: str
    slots: dict[str, str]
    clarifications: int
    failed_fixes: int


class DialogueOut(BaseModel):
    """The dialogue of one conversation: its state, memory and every move with its reason."""

    state: str
    slots: dict[str, str]
    topics: list[TopicOut] = Field(description="The topic stack, the current topic last")
    awaiting_rating: bool
    csat_score: int | None
    transitions: list[DialogueTransitionOut]
