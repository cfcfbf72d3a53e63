"""Knowledge-base tables: a tenant's articles, their version history, the corpus revision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sfagent.db.base import Base, IdPrimaryKey, JSONType, Timestamps, utcnow


class KbArticle(IdPrimaryKey, Timestamps, Base):
    """One article a tenant wrote, imported or overrode (same slug as a default article)."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        UniqueConstraint("organization_id", "slug"),
        Index("ix_kb_articles_org_revision", "organization_id", "revision"),
        Index("ix_kb_articles_org_external", "organization_id", "external_id"),
    )

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(80))
    product: Mapped[str] = mapped_column(String(120), default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    applies_to: Mapped[str] = mapped_column(String(120), default="all")
    error_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    links: Mapped[list[str]] = mapped_column(JSONType, default=list)
    source: Mapped[str] = mapped_column(String(300), default="")
    # Where it came from: api, file, salesforce. external_id is the id in that system.
    origin: Mapped[str] = mapped_column(String(32), default="api")
    external_id: Mapped[str | None] = mapped_column(String(200))
    # The version number the source system gave (Salesforce VersionNumber), when it has one.
    source_version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    # The corpus revision of this article's last change: how other processes find what moved.
    revision: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(120))


class KbArticleVersion(IdPrimaryKey, Base):
    """An article as it was after one change (the history, oldest first by version)."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[str] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)  # every other field, as saved
    content_hash: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(32))  # created, updated, status, restored
    changed_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KbArticleStats(Base):
    """How often a tenant's replies cited an article and how readers rated them.

    Keyed by slug, not by row, so default articles (which have no row) are counted too and
    the counts survive an override being created or deleted.
    """

    __tablename__ = "kb_article_stats"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    unhelpful_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KbCorpusState(Base):
    """Per tenant: a counter bumped by every knowledge change, and import watermarks."""

    __tablename__ = "kb_corpus_states"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # {"salesforce": "2026-12-01T10:00:00Z"}: where the next incremental import starts.
    watermarks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
