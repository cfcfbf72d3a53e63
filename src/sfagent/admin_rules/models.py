"""Business-rule tables: a tenant's rules and every saved version of each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sfagent.db.base import Base, IdPrimaryKey, Timestamps, utcnow


class BusinessRule(IdPrimaryKey, Timestamps, Base):
    """One rule; `definition` is the whole validated rule document, as the engine reads it.

    `rule_id`, `name`, `priority`, `enabled`, `stop_processing` and `version` repeat what the
    definition says, so a listing can be ordered and filtered without reading the JSON.
    """

    __tablename__ = "business_rules"
    __table_args__ = (UniqueConstraint("organization_id", "rule_id"),)

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean)
    stop_processing: Mapped[bool] = mapped_column(Boolean)
    definition: Mapped[dict[str, Any]] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(120))


class BusinessRuleVersion(IdPrimaryKey, Base):
    """A rule as it was saved at one version (the history, oldest first)."""

    __tablename__ = "business_rule_versions"
    __table_args__ = (UniqueConstraint("business_rule_id", "version"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    business_rule_id: Mapped[str] = mapped_column(
        ForeignKey("business_rules.id", ondelete="CASCADE")
    )
    rule_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column()
    change: Mapped[str] = mapped_column(String(32))  # created, replaced, patched
    changed_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
