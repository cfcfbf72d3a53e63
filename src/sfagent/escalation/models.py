"""Escalations: one row per hand-off of a conversation to people."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sfagent.db.base import Base, IdPrimaryKey, Timestamps
from sfagent.db.encrypted import EncryptedJSON


class EscalationStatus(enum.StrEnum):
    OPEN = "open"  # waiting in its queue
    CLAIMED = "claimed"  # a person has it
    RESOLVED = "resolved"  # the person solved it
    RETURNED = "returned"  # handed back to the assistant


class Escalation(IdPrimaryKey, Timestamps, Base):
    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_queue", "organization_id", "status", "queue", "sla_due_at"),
        Index("ix_escalations_conversation", "conversation_id"),
    )

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=EscalationStatus.OPEN.value)
    reason_code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(300))
    priority: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(200))
    sla_due_at: Mapped[datetime]
    sla_breached_at: Mapped[datetime | None]
    assigned_to: Mapped[str | None] = mapped_column(String(120))
    summary: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("escalations.summary"))
    closed_at: Mapped[datetime | None]
