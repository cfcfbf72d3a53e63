"""Per-process search indexes kept in step with the database.

Every tenant searches the shipped default articles plus its own, where its own article with
a default's slug replaces that default (an override; archived, it hides the default). Each
process holds one index per active tenant and, before every search, compares the tenant's
corpus revision in the database with the one its index was built at: a change made through
any process (or the CLI) is picked up by re-reading only the articles that moved.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.kb.models import KbArticle
from sfagent.kb.repository import KnowledgeRepository
from sfagent.knowledge import Article, KnowledgeIndex, SearchFilters, SearchHit
from sfagent.knowledge.search import DenseFactory

DEFAULT_ORIGIN = "default"
TENANT_ORIGIN = "tenant"


@dataclass(frozen=True, slots=True)
class CorpusHit:
    """A search hit, the article it came from, and whether that is a default or the tenant's."""

    hit: SearchHit
    article: Article
    origin: str


def to_article(row: KbArticle) -> Article:
    """The engine's view of a stored article."""
    return Article(
        id=row.slug,
        title=row.title,
        body=row.body,
        category=row.category,
        product=row.product,
        tags=tuple(row.tags),
        applies_to=row.applies_to,
        error_ids=tuple(row.error_ids),
        source=row.source,
        status=row.status,
        links=tuple(row.links),
        version=row.version,
    )


class _GuardedIndex:
    """An index with the revision it reflects; searches and updates run in worker threads,
    so a lock keeps an update from racing a search over the same matrices."""

    def __init__(self, index: KnowledgeIndex, revision: int, stamps: dict[str, int]) -> None:
        self.index = index
        self.revision = revision
        self.stamps = stamps
        self.lock = threading.Lock()

    def search(self, query: str, k: int, filters: SearchFilters) -> list[SearchHit]:
        with self.lock:
            return self.index.search(query, k, filters)

    def apply(
        self,
        upserts: Sequence[Article],
        removals: Sequence[str],
        defaults: Mapping[str, Article],
        revision: int,
        stamps: dict[str, int],
    ) -> None:
        with self.lock:
            for slug in removals:
                self.index.remove(slug)
                if slug in defaults:  # the override is gone: the default shows again
                    self.index.upsert(defaults[slug])
            for article in upserts:
                self.index.upsert(article)
            self.revision = revision
            self.stamps = stamps


class KnowledgeStore:
    """The default corpus and an LRU of tenant indexes (at most `max_tenants` kept).

    With `dense`, every index also ranks by embeddings, from a retriever the factory makes.
    """

    def __init__(
        self,
        defaults: Sequence[Article],
        *,
        max_tenants: int = 64,
        dense: DenseFactory | None = None,
    ) -> None:
        self._dense = dense
        self._defaults = {article.id: article for article in defaults}
        self._default_index = _GuardedIndex(self._index(defaults), 0, {})
        self._tenants: OrderedDict[str, _GuardedIndex] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._max_tenants = max_tenants

    @property
    def defaults(self) -> Mapping[str, Article]:
        """The shipped articles every tenant starts with, by slug."""
        return self._defaults

    async def search(
        self,
        session: AsyncSession,
        organization_id: str,
        query: str,
        *,
        k: int,
        filters: SearchFilters,
    ) -> list[CorpusHit]:
        """The tenant's best `k` articles for `query`, from an index at its latest revision."""
        guarded = await self._current(session, organization_id)
        hits = await anyio.to_thread.run_sync(guarded.search, query, k, filters)
        return [self._corpus_hit(guarded, hit) for hit in hits]

    async def warm(self) -> None:
        """Build the default corpus's matrices (and embed its chunks) now, not on a question."""
        await anyio.to_thread.run_sync(self._default_index.search, "warm up", 1, SearchFilters())

    def _corpus_hit(self, guarded: _GuardedIndex, hit: SearchHit) -> CorpusHit:
        article = guarded.index.get(hit.article_id)
        assert article is not None  # the hit came from this index
        origin = TENANT_ORIGIN if hit.article_id in guarded.stamps else DEFAULT_ORIGIN
        return CorpusHit(hit=hit, article=article, origin=origin)

    async def _current(self, session: AsyncSession, organization_id: str) -> _GuardedIndex:
        repository = KnowledgeRepository(session, organization_id)
        revision = await repository.corpus_revision()
        if revision == 0:
            return self._default_index
        cached = self._tenants.get(organization_id)
        if cached is not None and cached.revision == revision:
            self._tenants.move_to_end(organization_id)
            return cached
        lock = self._locks.setdefault(organization_id, asyncio.Lock())
        async with lock:
            return await self._refresh(repository, revision)

    async def _refresh(self, repository: KnowledgeRepository, revision: int) -> _GuardedIndex:
        organization_id = repository.organization_id
        cached = self._tenants.get(organization_id)
        if cached is not None and cached.revision >= revision:
            return cached  # another request refreshed it while this one waited
        stamps = await repository.revision_stamps()
        if cached is None:
            own = [to_article(row) for row in await repository.all()]
            guarded = await anyio.to_thread.run_sync(self._build, own, revision, stamps)
        else:
            guarded = cached
            changed = [slug for slug, stamp in stamps.items() if cached.stamps.get(slug) != stamp]
            removed = [slug for slug in cached.stamps if slug not in stamps]
            upserts = [to_article(row) for row in await repository.by_slugs(changed)]
            await anyio.to_thread.run_sync(
                guarded.apply, upserts, removed, self._defaults, revision, stamps
            )
        self._tenants[organization_id] = guarded
        self._tenants.move_to_end(organization_id)
        while len(self._tenants) > self._max_tenants:
            evicted, _ = self._tenants.popitem(last=False)
            self._locks.pop(evicted, None)
        return guarded

    def _build(
        self, own: Sequence[Article], revision: int, stamps: dict[str, int]
    ) -> _GuardedIndex:
        overridden = {article.id for article in own}
        kept = [a for slug, a in self._defaults.items() if slug not in overridden]
        return _GuardedIndex(self._index([*kept, *own]), revision, stamps)

    def _index(self, articles: Sequence[Article]) -> KnowledgeIndex:
        return KnowledgeIndex(articles, dense=self._dense() if self._dense else None)
