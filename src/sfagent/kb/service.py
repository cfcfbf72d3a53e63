"""The knowledge base of one tenant: articles, overrides of the defaults, history, search.

Writes bump the tenant's corpus revision in the same transaction, which is how every
server process (see `store.KnowledgeStore`) learns that its index is out of date.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.base import utcnow
from sfagent.db.pagination import decode_cursor, encode_cursor
from sfagent.errors import Conflict, NotFound, ValidationFailed
from sfagent.kb.models import KbArticle, KbArticleStats, KbArticleVersion
from sfagent.kb.repository import KnowledgeRepository
from sfagent.kb.store import DEFAULT_ORIGIN, TENANT_ORIGIN, CorpusHit, KnowledgeStore, to_article
from sfagent.knowledge import Article, SearchFilters
from sfagent.knowledge.duplicates import DuplicateKind, DuplicateReport, find_duplicates
from sfagent.knowledge.ingest import content_hash
from sfagent.security.audit import audit_change
from sfagent.tenancy.context import Tenant

MAX_PAGE_SIZE = 200
IMPORT_ACTOR_PREFIX = "import:"
# Fields an update may change; the slug is the identity and never changes.
EDITABLE_FIELDS = (
    "title",
    "body",
    "category",
    "product",
    "tags",
    "applies_to",
    "error_ids",
    "links",
    "source",
    "status",
)


class ArticleNotFound(NotFound):
    def __init__(self, slug: str) -> None:
        super().__init__(f"article {slug!r} not found")


@dataclass(frozen=True, slots=True)
class ArticleView:
    """An article as this tenant sees it: its own row, or the default it did not override."""

    article: Article
    origin: str
    overrides_default: bool
    row: KbArticle | None
    stats: KbArticleStats | None

    @property
    def confidence(self) -> float:
        """Share of helpful ratings, smoothed towards 0.5 so a few votes do not swing it."""
        helpful = self.stats.helpful_count if self.stats else 0
        unhelpful = self.stats.unhelpful_count if self.stats else 0
        return round((helpful + 1) / (helpful + unhelpful + 2), 4)


@dataclass(frozen=True, slots=True)
class ArticlePage:
    items: list[ArticleView]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class IncomingArticle:
    """An article to import, and its id in the system it came from, when it has one."""

    article: Article
    external_id: str | None = None
    # The source system's own version number; without one, any content change is an update.
    source_version: int | None = None


@dataclass
class IngestReport:
    dry_run: bool
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    skipped: list[str] = dataclasses.field(default_factory=list)
    findings: list[DuplicateReport] = dataclasses.field(default_factory=list)
    revision: int = 0


# -- reading ---------------------------------------------------------------------------


async def get_article(
    session: AsyncSession, tenant: Tenant, store: KnowledgeStore, slug: str
) -> ArticleView:
    repository = KnowledgeRepository(session, tenant.organization_id)
    row = await repository.get(slug)
    default = store.defaults.get(slug)
    if row is None and default is None:
        raise ArticleNotFound(slug)
    stats = (await repository.stats([slug])).get(slug)
    return _view(row, default, stats)


async def list_articles(
    session: AsyncSession,
    tenant: Tenant,
    store: KnowledgeStore,
    *,
    category: str | None = None,
    status: str | None = None,
    origin: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> ArticlePage:
    """Defaults and the tenant's own articles merged by slug (keyset pagination on slug)."""
    after = str(decode_cursor(cursor, 1)[0]) if cursor else None
    repository = KnowledgeRepository(session, tenant.organization_id)
    rows: Sequence[KbArticle] = []
    if origin != DEFAULT_ORIGIN:
        rows = await repository.page(after=after, limit=limit + 1, category=category, status=status)
    defaults: list[Article] = []
    if origin != TENANT_ORIGIN:
        defaults = _default_page(store, after, limit + 1, category, status)
        # An override hides its default even when the override itself is filtered out.
        hidden = await repository.existing_slugs([article.id for article in defaults])
        defaults = [article for article in defaults if article.id not in hidden]
    merged = sorted(
        [_view(row, store.defaults.get(row.slug), None) for row in rows]
        + [_view(None, article, None) for article in defaults],
        key=lambda view: view.article.id,
    )
    page = merged[:limit]
    next_cursor = encode_cursor([page[-1].article.id]) if len(merged) > limit else None
    return ArticlePage(items=page, next_cursor=next_cursor)


async def article_versions(
    session: AsyncSession, tenant: Tenant, slug: str
) -> Sequence[KbArticleVersion]:
    repository = KnowledgeRepository(session, tenant.organization_id)
    row = await repository.get(slug)
    if row is None:
        raise ArticleNotFound(slug)
    return await repository.versions(row.id)


async def search(
    session: AsyncSession,
    tenant: Tenant,
    store: KnowledgeStore,
    query: str,
    *,
    k: int = 5,
    filters: SearchFilters | None = None,
) -> list[CorpusHit]:
    return await store.search(
        session, tenant.organization_id, query, k=k, filters=filters or SearchFilters()
    )


# -- writing ---------------------------------------------------------------------------


async def create_article(
    session: AsyncSession,
    tenant: Tenant,
    store: KnowledgeStore,
    article: Article,
    *,
    imported_from: str = "api",
    external_id: str | None = None,
) -> ArticleView:
    """A new tenant article; with a default's slug it becomes this tenant's override."""
    repository = KnowledgeRepository(session, tenant.organization_id)
    if await repository.get(article.id) is not None:
        raise Conflict(
            f"article {article.id!r} already exists; change it with PATCH or pick another slug"
        )
    await _check_capacity(repository, tenant, adding=1)
    _check_size(tenant, article)
    revision = await repository.bump_revision()
    row = _new_row(tenant, article, revision, imported_from, external_id)
    repository.add(row)
    await session.flush()
    repository.add(_version_row(row, "created"))
    await audit_change(session, tenant, "kb.article.created", row.slug, {"version": 1})
    return _view(row, store.defaults.get(row.slug), None)


async def update_article(
    session: AsyncSession,
    tenant: Tenant,
    store: KnowledgeStore,
    slug: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> ArticleView:
    """Apply `changes`; on a default with no override yet, the override is created from it."""
    repository = KnowledgeRepository(session, tenant.organization_id)
    row = await repository.get(slug, for_update=True)
    default = store.defaults.get(slug)
    if row is None and default is None:
        raise ArticleNotFound(slug)
    if row is None:
        assert default is not None
        if expected_version is not None and expected_version != default.version:
            raise _stale(slug, expected_version, default.version)
        article = dataclasses.replace(default, **_engine_changes(changes))
        return await create_article(session, tenant, store, article)
    if expected_version is not None and expected_version != row.version:
        raise _stale(slug, expected_version, row.version)
    article = dataclasses.replace(to_article(row), **_engine_changes(changes))
    _check_size(tenant, article)
    if content_hash(article) != row.content_hash:
        await _save_change(repository, tenant, row, article, "updated")
        await audit_change(session, tenant, "kb.article.updated", slug, {"version": row.version})
    stats = (await repository.stats([slug])).get(slug)
    return _view(row, default, stats)


async def delete_article(
    session: AsyncSession, tenant: Tenant, store: KnowledgeStore, slug: str
) -> None:
    """Delete the tenant's article and its history; a deleted override restores the default."""
    repository = KnowledgeRepository(session, tenant.organization_id)
    row = await repository.get(slug, for_update=True)
    if row is None:
        if slug in store.defaults:
            raise Conflict(
                f"{slug!r} is a default article, which cannot be deleted; to hide it, "
                "PATCH it with status 'archived' (that creates your archived override)"
            )
        raise ArticleNotFound(slug)
    await repository.bump_revision()
    await repository.delete_versions(row.id)
    await repository.delete(row)
    await audit_change(session, tenant, "kb.article.deleted", slug, {"version": row.version})


async def record_feedback(
    session: AsyncSession, tenant: Tenant, store: KnowledgeStore, slug: str, *, helpful: bool
) -> ArticleView:
    """Count a reader's rating of an article (feeds the article's confidence)."""
    await get_article(session, tenant, store, slug)  # 404 for an unknown slug
    repository = KnowledgeRepository(session, tenant.organization_id)
    await repository.count_use(slug, helpful=int(helpful), unhelpful=int(not helpful))
    return await get_article(session, tenant, store, slug)


async def record_reply_feedback(
    session: AsyncSession, organization_id: str, slugs: Sequence[str], *, helpful: bool
) -> None:
    """Count a reader's rating of a reply against every article the reply cited."""
    repository = KnowledgeRepository(session, organization_id)
    for slug in dict.fromkeys(slugs):
        await repository.count_use(slug, helpful=int(helpful), unhelpful=int(not helpful))


async def record_usage(session: AsyncSession, organization_id: str, slugs: Sequence[str]) -> None:
    """Count that a reply cited these articles."""
    repository = KnowledgeRepository(session, organization_id)
    for slug in dict.fromkeys(slugs):
        await repository.count_use(slug, used=1)


async def ingest_articles(
    session: AsyncSession,
    tenant: Tenant,
    store: KnowledgeStore,
    incoming: Sequence[IncomingArticle],
    *,
    imported_from: str,
    dry_run: bool = False,
) -> IngestReport:
    """Create or update articles in bulk, reporting duplicates and conflicts.

    Near duplicates and contradicting limits are reported and still imported (a person
    decides). An update that would overwrite an article edited here since its import is
    skipped and reported, never applied silently.
    """
    repository = KnowledgeRepository(session, tenant.organization_id)
    existing_rows = {row.slug: row for row in await repository.all()}
    targets = await _import_targets(repository, existing_rows, incoming)
    edited_here = {
        slug
        for slug, row in existing_rows.items()
        if not row.updated_by.startswith(IMPORT_ACTOR_PREFIX)
    }
    corpus = _corpus(store, existing_rows)
    report = IngestReport(dry_run=dry_run)
    report.findings = _ingest_findings(incoming, targets, corpus, edited_here)
    blocked = {f.incoming_id for f in report.findings if f.kind is DuplicateKind.ID_CONFLICT}
    plan = _plan_ingest(incoming, targets, blocked, report)
    new_count = sum(1 for item, row in plan if row is None)
    await _check_capacity(repository, tenant, adding=new_count)
    for item, _ in plan:
        _check_size(tenant, item.article)
    if dry_run or not plan:
        report.revision = await repository.corpus_revision()
        return report
    actor = f"{IMPORT_ACTOR_PREFIX}{imported_from}"
    for item, row in plan:
        await _apply_import(repository, tenant, item, row, imported_from, actor)
    report.revision = await repository.corpus_revision()
    await audit_change(
        session,
        tenant,
        "kb.ingested",
        imported_from,
        {"created": len(report.created), "updated": len(report.updated)},
    )
    return report


async def withdraw_imported(
    session: AsyncSession, tenant: Tenant, row: KbArticle, *, imported_from: str
) -> None:
    """Archive an imported article its source withdrew, as that import (not as a person), so
    a later republication updates it like any other import."""
    repository = KnowledgeRepository(session, tenant.organization_id)
    article = dataclasses.replace(to_article(row), status="archived")
    actor = f"{IMPORT_ACTOR_PREFIX}{imported_from}"
    await _save_change(repository, tenant, row, article, "withdrawn", actor=actor)
    await audit_change(session, tenant, "kb.article.withdrawn", row.slug, {"version": row.version})


async def reindex(session: AsyncSession, tenant: Tenant) -> int:
    """Mark the tenant's corpus changed so every process rebuilds its index; the revision."""
    repository = KnowledgeRepository(session, tenant.organization_id)
    revision = await repository.bump_revision()
    for row in await repository.all():
        row.content_hash = content_hash(to_article(row))
        row.revision = revision
    return revision


# -- helpers ---------------------------------------------------------------------------


def _view(
    row: KbArticle | None, default: Article | None, stats: KbArticleStats | None
) -> ArticleView:
    if row is not None:
        return ArticleView(to_article(row), TENANT_ORIGIN, default is not None, row, stats)
    assert default is not None
    return ArticleView(default, DEFAULT_ORIGIN, False, None, stats)


def _default_page(
    store: KnowledgeStore, after: str | None, limit: int, category: str | None, status: str | None
) -> list[Article]:
    chosen = [
        article
        for slug, article in sorted(store.defaults.items())
        if (after is None or slug > after)
        and (category is None or article.category == category)
        and (status is None or article.status == status)
    ]
    return chosen[:limit]


def _engine_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "cannot be changed")
    tuples = {"tags", "error_ids", "links"}
    return {
        key: tuple(value) if key in tuples else value
        for key, value in changes.items()
        if value is not None
    }


def _stale(slug: str, expected: int, current: int) -> Conflict:
    return Conflict(
        f"article {slug!r} is at version {current}, not {expected}: someone changed it; "
        "reload it and apply your change again",
        details={"current_version": current},
    )


async def _check_capacity(repository: KnowledgeRepository, tenant: Tenant, *, adding: int) -> None:
    if adding <= 0:
        return
    ceiling = tenant.limits.kb_max_articles
    current = await repository.count()
    if current + adding > ceiling:
        raise Conflict(
            f"this organization may keep {ceiling} articles of its own and has {current}; "
            f"adding {adding} would exceed it: delete or archive some, or raise the tier",
            details={"limit": ceiling, "current": current, "adding": adding},
        )


def _check_size(tenant: Tenant, article: Article) -> None:
    texts = [article.title, article.body, article.product, article.source, *article.tags]
    if any("\x00" in text for text in texts):
        # PostgreSQL cannot store U+0000; refuse it here whatever the article's origin.
        raise ValidationFailed("body", f"{article.id!r} contains a NUL character (U+0000)")
    ceiling = tenant.limits.kb_max_article_chars
    if len(article.body) > ceiling:
        raise ValidationFailed(
            "body",
            f"{article.id!r} is {len(article.body):,} characters; at most {ceiling:,} are "
            "allowed: split it into several articles",
        )


def _new_row(
    tenant: Tenant,
    article: Article,
    revision: int,
    imported_from: str,
    external_id: str | None,
    source_version: int | None = None,
) -> KbArticle:
    actor = (
        tenant.principal.label
        if imported_from == "api"
        else f"{IMPORT_ACTOR_PREFIX}{imported_from}"
    )
    row = KbArticle(
        organization_id=tenant.organization_id,
        slug=article.id,
        origin=imported_from,
        external_id=external_id,
        source_version=source_version,
        version=1,
        revision=revision,
        updated_by=actor,
    )
    _copy_content(row, article)
    return row


def _copy_content(row: KbArticle, article: Article) -> None:
    """The article's editable fields and content hash onto its row."""
    row.title = article.title
    row.body = article.body
    row.category = article.category
    row.product = article.product
    row.tags = list(article.tags)
    row.applies_to = article.applies_to
    row.error_ids = list(article.error_ids)
    row.links = list(article.links)
    row.source = article.source
    row.status = article.status
    row.content_hash = content_hash(article)


def _version_row(row: KbArticle, change: str) -> KbArticleVersion:
    return KbArticleVersion(
        organization_id=row.organization_id,
        article_id=row.id,
        version=row.version,
        title=row.title,
        body=row.body,
        fields={
            "category": row.category,
            "product": row.product,
            "tags": list(row.tags),
            "applies_to": row.applies_to,
            "error_ids": list(row.error_ids),
            "links": list(row.links),
            "source": row.source,
            "status": row.status,
        },
        content_hash=row.content_hash,
        change=change,
        changed_by=row.updated_by,
        created_at=utcnow(),
    )


async def _save_change(
    repository: KnowledgeRepository,
    tenant: Tenant,
    row: KbArticle,
    article: Article,
    change: str,
    *,
    actor: str | None = None,
) -> None:
    _copy_content(row, article)
    row.version += 1
    row.revision = await repository.bump_revision()
    row.updated_by = actor or tenant.principal.label
    repository.add(_version_row(row, change))


async def _import_targets(
    repository: KnowledgeRepository,
    existing: Mapping[str, KbArticle],
    incoming: Sequence[IncomingArticle],
) -> dict[str, KbArticle]:
    """For each incoming slug, the row it updates: matched by external id, else by slug."""
    by_external = await repository.by_external_ids(
        [item.external_id for item in incoming if item.external_id]
    )
    targets: dict[str, KbArticle] = {}
    for item in incoming:
        row = by_external.get(item.external_id or "") or existing.get(item.article.id)
        if row is not None:
            targets[item.article.id] = row
    return targets


def _corpus(store: KnowledgeStore, rows: Mapping[str, KbArticle]) -> list[Article]:
    own = {slug: to_article(row) for slug, row in rows.items()}
    return [*own.values(), *(a for slug, a in store.defaults.items() if slug not in own)]


def _ingest_findings(
    incoming: Sequence[IncomingArticle],
    targets: Mapping[str, KbArticle],
    corpus: Sequence[Article],
    edited_here: set[str],
) -> list[DuplicateReport]:
    """Duplicates and conflicts; an article is not compared with the row it updates."""
    updating = {row.slug for row in targets.values()}
    articles = [
        # Updates are compared as the id they will land on.
        dataclasses.replace(item.article, id=targets[item.article.id].slug)
        if item.article.id in targets
        else item.article
        for item in incoming
    ]
    # An incoming article with a default's slug overrides it on purpose: not a conflict.
    landing = {article.id for article in articles}
    others = [a for a in corpus if a.id not in updating and a.id not in landing]
    reports = find_duplicates(articles, others)
    # Versions are compared only where both sides carry the source system's number.
    previous = [
        dataclasses.replace(
            to_article(row),
            version=row.source_version
            if row.source_version is not None and item.source_version is not None
            else item.article.version - 1,
        )
        for item in incoming
        if (row := targets.get(item.article.id)) is not None
    ]
    conflicts = find_duplicates(articles, previous, locally_edited=edited_here)
    return reports + [r for r in conflicts if r.kind is DuplicateKind.ID_CONFLICT]


def _plan_ingest(
    incoming: Sequence[IncomingArticle],
    targets: Mapping[str, KbArticle],
    blocked: set[str],
    report: IngestReport,
) -> list[tuple[IncomingArticle, KbArticle | None]]:
    plan: list[tuple[IncomingArticle, KbArticle | None]] = []
    for item in incoming:
        row = targets.get(item.article.id)
        slug = row.slug if row is not None else item.article.id
        if slug in blocked:
            report.skipped.append(slug)
        elif row is not None and row.content_hash == content_hash(item.article):
            report.unchanged.append(slug)
        else:
            plan.append((item, row))
            (report.updated if row is not None else report.created).append(slug)
    return plan


async def _apply_import(
    repository: KnowledgeRepository,
    tenant: Tenant,
    item: IncomingArticle,
    row: KbArticle | None,
    imported_from: str,
    actor: str,
) -> None:
    if row is None:
        revision = await repository.bump_revision()
        new = _new_row(
            tenant, item.article, revision, imported_from, item.external_id, item.source_version
        )
        repository.add(new)
        await repository.session.flush()
        repository.add(_version_row(new, "imported"))
        return
    article = dataclasses.replace(item.article, id=row.slug)
    row.source_version = item.source_version
    row.external_id = item.external_id or row.external_id
    await _save_change(repository, tenant, row, article, "reimported", actor=actor)
