"""All SQL for the knowledge base; every statement is scoped to one organization."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.base import utcnow
from sfagent.kb.models import KbArticle, KbArticleStats, KbArticleVersion, KbCorpusState


class KnowledgeRepository:
    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self) -> Select[KbArticle]:
        return select(KbArticle).where(KbArticle.organization_id == self.organization_id)

    async def get(self, slug: str, *, for_update: bool = False) -> KbArticle | None:
        statement = self.scoped().where(KbArticle.slug == slug)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalars().first()

    async def by_slugs(self, slugs: Collection[str]) -> Sequence[KbArticle]:
        if not slugs:
            return []
        statement = self.scoped().where(KbArticle.slug.in_(sorted(slugs)))
        return (await self.session.execute(statement)).scalars().all()

    async def existing_slugs(self, slugs: Collection[str]) -> set[str]:
        if not slugs:
            return set()
        statement = select(KbArticle.slug).where(
            KbArticle.organization_id == self.organization_id, KbArticle.slug.in_(sorted(slugs))
        )
        return set((await self.session.execute(statement)).scalars().all())

    async def page(
        self, *, after: str | None, limit: int, category: str | None, status: str | None
    ) -> Sequence[KbArticle]:
        statement = self.scoped().order_by(KbArticle.slug).limit(limit)
        if after is not None:
            statement = statement.where(KbArticle.slug > after)
        if category is not None:
            statement = statement.where(KbArticle.category == category)
        if status is not None:
            statement = statement.where(KbArticle.status == status)
        return (await self.session.execute(statement)).scalars().all()

    async def all(self) -> Sequence[KbArticle]:
        return (await self.session.execute(self.scoped().order_by(KbArticle.slug))).scalars().all()

    async def count(self) -> int:
        statement = select(func.count(KbArticle.id)).where(
            KbArticle.organization_id == self.organization_id
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def revision_stamps(self) -> dict[str, int]:
        """Each article's slug and the corpus revision of its last change (a narrow read)."""
        statement = select(KbArticle.slug, KbArticle.revision).where(
            KbArticle.organization_id == self.organization_id
        )
        return {slug: revision for slug, revision in (await self.session.execute(statement)).all()}

    async def by_external_ids(self, external_ids: Collection[str]) -> dict[str, KbArticle]:
        if not external_ids:
            return {}
        statement = self.scoped().where(KbArticle.external_id.in_(sorted(external_ids)))
        rows = (await self.session.execute(statement)).scalars().all()
        return {row.external_id: row for row in rows if row.external_id}

    def add(self, item: KbArticle | KbArticleVersion) -> None:
        self.session.add(item)

    async def delete(self, article: KbArticle) -> None:
        await self.session.delete(article)

    async def versions(self, article_id: str) -> Sequence[KbArticleVersion]:
        statement = (
            select(KbArticleVersion)
            .where(
                KbArticleVersion.organization_id == self.organization_id,
                KbArticleVersion.article_id == article_id,
            )
            .order_by(KbArticleVersion.version)
        )
        return (await self.session.execute(statement)).scalars().all()

    # -- the corpus revision ------------------------------------------------------------

    async def corpus_revision(self) -> int:
        """The tenant's corpus revision; 0 when it never changed (the defaults alone)."""
        statement = select(KbCorpusState.revision).where(
            KbCorpusState.organization_id == self.organization_id
        )
        return int((await self.session.execute(statement)).scalar_one_or_none() or 0)

    async def bump_revision(self) -> int:
        """Increment and return the corpus revision, atomically, creating the row if needed."""
        table = KbCorpusState.__table__
        insert = _dialect_insert(self.session)(table).values(
            organization_id=self.organization_id, revision=1, watermarks={}
        )
        # Concurrent writers serialise on the row, so revisions never repeat.
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.organization_id],
            set_={"revision": table.c.revision + 1, "updated_at": utcnow()},
        ).returning(table.c.revision)
        return int((await self.session.execute(statement)).scalar_one())

    async def watermark(self, source: str) -> str | None:
        statement = select(KbCorpusState.watermarks).where(
            KbCorpusState.organization_id == self.organization_id
        )
        marks: dict[str, Any] = (await self.session.execute(statement)).scalar_one_or_none() or {}
        value = marks.get(source)
        return str(value) if value else None

    async def set_watermark(self, source: str, value: str) -> None:
        await self.bump_revision()
        state = await self.session.get(KbCorpusState, self.organization_id)
        assert state is not None  # bump_revision created it
        state.watermarks = {**state.watermarks, source: value}

    # -- usage and feedback ---------------------------------------------------------------

    async def stats(self, slugs: Collection[str]) -> dict[str, KbArticleStats]:
        if not slugs:
            return {}
        statement = select(KbArticleStats).where(
            KbArticleStats.organization_id == self.organization_id,
            KbArticleStats.slug.in_(sorted(slugs)),
        )
        return {row.slug: row for row in (await self.session.execute(statement)).scalars()}

    async def count_use(
        self, slug: str, *, used: int = 0, helpful: int = 0, unhelpful: int = 0
    ) -> None:
        """Add to an article's counters in one statement (no lost updates under concurrency)."""
        table = KbArticleStats.__table__
        insert = _dialect_insert(self.session)(table).values(
            organization_id=self.organization_id,
            slug=slug,
            usage_count=used,
            helpful_count=helpful,
            unhelpful_count=unhelpful,
            updated_at=utcnow(),
        )
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.organization_id, table.c.slug],
            set_={
                "usage_count": table.c.usage_count + used,
                "helpful_count": table.c.helpful_count + helpful,
                "unhelpful_count": table.c.unhelpful_count + unhelpful,
                "updated_at": utcnow(),
            },
        )
        await self.session.execute(statement)

    async def delete_versions(self, article_id: str) -> None:
        await self.session.execute(
            delete(KbArticleVersion).where(
                KbArticleVersion.organization_id == self.organization_id,
                KbArticleVersion.article_id == article_id,
            )
        )


def _dialect_insert(session: AsyncSession) -> Any:
    """The INSERT construct with ON CONFLICT support for the session's database."""
    bind = session.get_bind()
    return postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
