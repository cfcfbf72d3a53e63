"""Security tables: the audit log, the PII token vault and flagged security events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sfagent.db.base import Base, IdPrimaryKey, utcnow
from sfagent.db.encrypted import EncryptedText


class AuditEntry(IdPrimaryKey, Base):
    """Append-only, hash-chained per organization."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("organization_id", "sequence"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(120))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class PiiToken(IdPrimaryKey, Base):
    """The original of a value the guard replaced by a token, for staff allowed to see it.

    The token is a keyed hash of the value, so one value keeps one token in a tenant and
    the original is stored once, encrypted.
    """

    __tablename__ = "pii_tokens"
    __table_args__ = (UniqueConstraint("organization_id", "token"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(64))
    pii_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(EncryptedText("pii_tokens.value"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SecurityEvent(IdPrimaryKey, Base):
    """An attack pattern seen in a message, or an authentication lockout."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_org_created", "organization_id", "created_at"),)

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    message_sequence: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(80))
    # What matched, from the redacted text and cut short: evidence, not a copy of the message.
    excerpt: Mapped[str] = mapped_column(String(120))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
