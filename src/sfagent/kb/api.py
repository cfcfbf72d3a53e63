"""REST routes of the knowledge base: articles (CRUD, history, feedback), search, bulk ingest."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from sfagent.db.session import SessionDep
from sfagent.errors import ValidationFailed
from sfagent.kb import service
from sfagent.kb.schemas import (
    ArticleCreate,
    ArticleOut,
    ArticlePage,
    ArticleStatsOut,
    ArticleSummaryOut,
    ArticleUpdate,
    ArticleVersionOut,
    FeedbackIn,
    IngestFindingOut,
    IngestIn,
    IngestOut,
    SearchHitOut,
    SearchOut,
    Slug,
)
from sfagent.kb.store import CorpusHit, KnowledgeStore
from sfagent.knowledge import Article, SearchFilters
from sfagent.knowledge.ingest import content_hash
from sfagent.nlu.catalog import SupportCategory
from sfagent.tenancy.dependencies import KnowledgeRead, KnowledgeWrite, SettingsDep

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge"])


def get_store(request: Request) -> KnowledgeStore:
    store: KnowledgeStore = request.app.state.knowledge
    return store


StoreDep = Annotated[KnowledgeStore, Depends(get_store)]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)]


def article_out(view: service.ArticleView) -> ArticleOut:
    article, row = view.article, view.row
    return ArticleOut(
        slug=article.id,
        origin="tenant" if row is not None else "default",
        overrides_default=view.overrides_default,
        title=article.title,
        body=article.body,
        category=article.category,
        product=article.product,
        tags=list(article.tags),
        applies_to=article.applies_to,
        error_ids=list(article.error_ids),
        links=list(article.links),
        source=article.source,
        status=article.status,
        version=article.version,
        content_hash=row.content_hash if row else content_hash(article),
        imported_from=row.origin if row else None,
        external_id=row.external_id if row else None,
        stats=ArticleStatsOut(
            usage_count=view.stats.usage_count if view.stats else 0,
            helpful_count=view.stats.helpful_count if view.stats else 0,
            unhelpful_count=view.stats.unhelpful_count if view.stats else 0,
            confidence=view.confidence,
        ),
        created_at=row.created_at if row else None,
        updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None,
    )


def summary_out(view: service.ArticleView) -> ArticleSummaryOut:
    return ArticleSummaryOut(
        slug=view.article.id,
        origin="tenant" if view.row is not None else "default",
        title=view.article.title,
        category=view.article.category,
        product=view.article.product,
        status=view.article.status,
        version=view.article.version,
        updated_at=view.row.updated_at if view.row else None,
    )


def to_engine_article(body: ArticleCreate) -> Article:
    return Article(
        id=body.slug,
        title=body.title,
        body=body.body,
        category=body.category,
        product=body.product or "",
        tags=tuple(tag.lower() for tag in body.tags or ()),
        applies_to=body.applies_to or "all",
        error_ids=tuple(body.error_ids or ()),
        source=body.source or "",
        status=body.status or "published",
        links=tuple(body.links or ()),
    )


@router.post("/articles", status_code=201, response_model=ArticleOut)
async def create_article(
    body: ArticleCreate, tenant: KnowledgeWrite, session: SessionDep, store: StoreDep
) -> ArticleOut:
    """Create an article; with a default article's slug, this tenant's override of it."""
    view = await service.create_article(session, tenant, store, to_engine_article(body))
    return article_out(view)


@router.get("/articles", response_model=ArticlePage)
async def list_articles(
    tenant: KnowledgeRead,
    session: SessionDep,
    store: StoreDep,
    category: SupportCategory | None = None,
    status: Literal["draft", "published", "archived"] | None = None,
    origin: Literal["default", "tenant"] | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Limit = 50,
) -> ArticlePage:
    page = await service.list_articles(
        session,
        tenant,
        store,
        category=category,
        status=status,
        origin=origin,
        cursor=cursor,
        limit=limit,
    )
    return ArticlePage(items=[summary_out(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/articles/{slug}", response_model=ArticleOut)
async def get_article(
    slug: Slug, tenant: KnowledgeRead, session: SessionDep, store: StoreDep
) -> ArticleOut:
    return article_out(await service.get_article(session, tenant, store, slug))


@router.patch("/articles/{slug}", response_model=ArticleOut)
async def update_article(
    slug: Slug, body: ArticleUpdate, tenant: KnowledgeWrite, session: SessionDep, store: StoreDep
) -> ArticleOut:
    """Change fields; `version` guards against overwriting someone else's change (409)."""
    changes = body.model_dump(exclude_unset=True, exclude={"version", "change_note"})
    for name in ("title", "body", "category", "applies_to"):
        if name in changes and changes[name] is None:
            raise ValidationFailed(name, "cannot be null; leave it out to keep the current value")
    view = await service.update_article(
        session, tenant, store, slug, changes, expected_version=body.version
    )
    return article_out(view)


@router.delete("/articles/{slug}", status_code=204)
async def delete_article(
    slug: Slug, tenant: KnowledgeWrite, session: SessionDep, store: StoreDep
) -> Response:
    await service.delete_article(session, tenant, store, slug)
    return Response(status_code=204)


@router.get("/articles/{slug}/versions", response_model=list[ArticleVersionOut])
async def article_versions(
    slug: Slug, tenant: KnowledgeRead, session: SessionDep
) -> list[ArticleVersionOut]:
    versions = await service.article_versions(session, tenant, slug)
    return [
        ArticleVersionOut(
            version=v.version,
            title=v.title,
            body=v.body,
            fields=v.fields,
            content_hash=v.content_hash,
            change=v.change,
            changed_by=v.changed_by,
            created_at=v.created_at,
        )
        for v in versions
    ]


@router.post("/articles/{slug}/feedback", response_model=ArticleOut)
async def article_feedback(
    slug: Slug, body: FeedbackIn, tenant: KnowledgeRead, session: SessionDep, store: StoreDep
) -> ArticleOut:
    """Rate an article helpful or not; the ratings make up its confidence."""
    view = await service.record_feedback(session, tenant, store, slug, helpful=body.helpful)
    return article_out(view)


@router.get("/search", response_model=SearchOut)
async def search(
    tenant: KnowledgeRead,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=1)],
    k: Annotated[int, Query(ge=1)] = 5,
    category: Annotated[list[SupportCategory] | None, Query()] = None,
    product: Annotated[list[str] | None, Query()] = None,
    tag: Annotated[list[str] | None, Query()] = None,
    api_version: Annotated[float | None, Query(gt=0, lt=1000)] = None,
) -> SearchOut:
    """Hybrid search of this tenant's articles and the defaults it has not overridden."""
    if len(q) > settings.kb_query_max_chars:
        raise ValidationFailed(
            "q", f"is {len(q)} characters; at most {settings.kb_query_max_chars} are searched"
        )
    if k > settings.kb_search_max_results:
        raise ValidationFailed("k", f"must be at most {settings.kb_search_max_results}")
    filters = SearchFilters(
        categories=frozenset(category or ()),
        products=frozenset(product or ()),
        tags=frozenset(t.lower() for t in tag or ()),
        api_version=api_version,
    )
    started = time.perf_counter()
    hits = await service.search(session, tenant, store, q, k=k, filters=filters)
    took = round((time.perf_counter() - started) * 1000, 3)
    return SearchOut(query=q, results=[_hit_out(hit) for hit in hits], took_ms=took)


@router.post("/ingest", response_model=IngestOut)
async def ingest(
    body: IngestIn,
    tenant: KnowledgeWrite,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> IngestOut:
    """Create or update many articles; duplicates and conflicts are reported, not merged."""
    if len(body.articles) > settings.kb_ingest_max_articles:
        raise ValidationFailed(
            "articles",
            f"{len(body.articles)} given; send at most {settings.kb_ingest_max_articles} per "
            "request",
        )
    incoming = [
        service.IncomingArticle(to_engine_article(item), external_id=item.external_id)
        for item in body.articles
    ]
    report = await service.ingest_articles(
        session, tenant, store, incoming, imported_from="bulk", dry_run=body.dry_run
    )
    return ingest_out(report)


def ingest_out(report: service.IngestReport) -> IngestOut:
    return IngestOut(
        dry_run=report.dry_run,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        skipped=report.skipped,
        findings=[
            IngestFindingOut(
                kind=finding.kind.value,
                slug=finding.incoming_id,
                other=finding.existing_id,
                similarity=round(finding.similarity, 4),
                detail=finding.detail,
            )
            for finding in report.findings
        ],
        revision=report.revision,
    )


def _hit_out(found: CorpusHit) -> SearchHitOut:
    hit = found.hit
    return SearchHitOut(
        slug=hit.article_id,
        title=hit.title,
        category=hit.category,
        origin="tenant" if found.origin == "tenant" else "default",
        score=hit.score,
        section=hit.section,
        snippet=hit.snippet,
        highlights=list(hit.highlights),
        matched_terms=list(hit.matched_terms),
    )
