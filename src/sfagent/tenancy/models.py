"""Tenancy tables: organizations, end users, staff users and API keys."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sfagent.db.base import Base, IdPrimaryKey, Timestamps


class StaffRole(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"
    VIEWER = "viewer"


class Organization(IdPrimaryKey, Timestamps, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    tier: Mapped[str] = mapped_column(String(32), default="free")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Per-organization overrides of the tier's limits; NULL means "the tier's value".
    requests_per_minute: Mapped[int | None] = mapped_column(Integer)
    end_user_requests_per_minute: Mapped[int | None] = mapped_column(Integer)
    concurrent_conversations: Mapped[int | None] = mapped_column(Integer)
    max_message_length: Mapped[int | None] = mapped_column(Integer)
    retention_days: Mapped[int | None] = mapped_column(Integer)
    inactivity_timeout_minutes: Mapped[int | None] = mapped_column(Integer)
    # When the tenant's people work (rules.business_hours.BusinessHours); NULL: not set.
    business_hours: Mapped[dict[str, Any] | None]
    # What the guard does with each kind of personal data and secret, and the compliance
    # profile (security.pii.PiiPolicy.to_dict()); NULL: the defaults.
    pii_policy: Mapped[dict[str, Any] | None]
    # The audit chain's head, kept apart from the chain and sealed with the server's secret,
    # so that removing the newest entries is detected (security.audit).
    audit_head_sequence: Mapped[int | None] = mapped_column(Integer)
    audit_head_hash: Mapped[str | None] = mapped_column(String(64))
    audit_head_seal: Mapped[str | None] = mapped_column(String(64))
    # Signs end-user JWTs for the chat widget; the tenant's own backend holds a copy.
    end_user_jwt_secret: Mapped[str] = mapped_column(String(128))
    end_user_jwt_issuer: Mapped[str] = mapped_column(String(200))


class EndUser(IdPrimaryKey, Timestamps, Base):
    __tablename__ = "end_users"
    __table_args__ = (UniqueConstraint("organization_id", "external_id"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    external_id: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    last_seen_at: Mapped[datetime | None]


class StaffUser(IdPrimaryKey, Timestamps, Base):
    __tablename__ = "staff_users"
    __table_args__ = (UniqueConstraint("organization_id", "email"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None]


class ApiKey(IdPrimaryKey, Timestamps, Base):
    __tablename__ = "api_keys"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    # The public part of the key, shown in lists and logs; the secret part is only hashed.
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
