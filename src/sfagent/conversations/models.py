"""Conversation, message and lifecycle-event tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sfagent.db.base import Base, IdPrimaryKey, Timestamps, utcnow
from sfagent.db.encrypted import EncryptedBytes, EncryptedJSON, EncryptedText


class Conversation(IdPrimaryKey, Timestamps, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_org_created", "organization_id", "created_at", "id"),
        Index(
            "ix_conversations_org_status_activity", "organization_id", "status", "last_activity_at"
        ),
    )

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    end_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("end_users.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(16))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    csat_score: Mapped[int | None] = mapped_column(Integer)
    # Where the assistant is in solving it (pipeline.dialogue) and what it remembers:
    # slots, the topic stack, the sentiment trajectory.
    dialogue_state: Mapped[str] = mapped_column(String(32), default="initialization")
    dialogue: Mapped[dict[str, Any] | None]


class Message(IdPrimaryKey, Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "sequence"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(EncryptedText("messages.content"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Analysis columns, filled by the pipeline stages that exist.
    intent: Mapped[str | None] = mapped_column(String(80))
    confidence: Mapped[float | None] = mapped_column(Float)
    entities: Mapped[dict[str, Any] | None]
    sentiment: Mapped[float | None] = mapped_column(Float)
    emotion: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(16))
    model_used: Mapped[str | None] = mapped_column(String(120))
    processing_time_ms: Mapped[float | None] = mapped_column(Float)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON("messages.analysis"))


class ConversationEvent(IdPrimaryKey, Base):
    """One lifecycle transition and why it happened."""

    __tablename__ = "conversation_events"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(IdPrimaryKey, Base):
    """A screenshot a customer attached to a conversation (code and logs go in as text)."""

    __tablename__ = "attachments"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(EncryptedBytes("attachments.data"))
    uploaded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DialogueTransition(IdPrimaryKey, Base):
    """One move of the dialogue state machine, the message that caused it, and why."""

    __tablename__ = "dialogue_transitions"
    __table_args__ = (
        Index("ix_dialogue_transitions_conversation", "conversation_id", "created_at"),
    )

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message_sequence: Mapped[int | None] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer, default=0)  # order among one message's moves
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
