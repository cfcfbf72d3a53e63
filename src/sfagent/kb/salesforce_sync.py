"""Keep a tenant's knowledge base in step with its Salesforce Knowledge articles.

A sync reads the tenant's two watermarks, fetches what was published and what was withdrawn
since them, imports the published versions through `service.ingest_articles` (so duplicates
and conflicts are reported exactly as for any import), archives the withdrawn ones and stores
the new watermarks. The three steps are also public so that a caller holding a SQLite write
lock need not hold it across the network fetch (the CLI reads, fetches, then writes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.errors import SfagentError
from sfagent.kb.repository import KnowledgeRepository
from sfagent.kb.service import (
    IMPORT_ACTOR_PREFIX,
    IncomingArticle,
    IngestReport,
    ingest_articles,
    withdraw_imported,
)
from sfagent.kb.store import KnowledgeStore
from sfagent.knowledge.salesforce import (
    KnowledgeFetch,
    SalesforceKnowledgeSource,
    WithdrawnFetch,
    article_source,
)
from sfagent.tenancy.context import Tenant

IMPORTED_FROM = "salesforce"
PUBLISHED_WATERMARK = "salesforce"
WITHDRAWN_WATERMARK = "salesforce_withdrawn"
ARCHIVED = "archived"
# Who the history names for a change the sync made: an import, so that a later import may
# change the article again (`ingest_articles` protects only articles edited by a person).


@dataclass(frozen=True, slots=True)
class SalesforceWatermarks:
    """Where the next incremental fetch starts; None fetches everything."""

    published: datetime | None = None
    withdrawn: datetime | None = None


@dataclass(frozen=True, slots=True)
class SalesforceChanges:
    """What Salesforce reported since the watermarks."""

    published: KnowledgeFetch
    withdrawn: WithdrawnFetch


@dataclass(frozen=True, slots=True)
class SalesforceSyncReport:
    """The import's report, the withdrawals applied, and the watermarks stored."""

    ingest: IngestReport
    # Slugs archived because Salesforce withdrew them (would be, on a dry run).
    archived: list[str]
    # Withdrawn in Salesforce but edited here since their import: left as they are.
    kept: list[str]
    watermarks: SalesforceWatermarks
    fetched: int
    withdrawn: int
    revision: int

    @property
    def dry_run(self) -> bool:
        return self.ingest.dry_run


async def read_watermarks(session: AsyncSession, tenant: Tenant) -> SalesforceWatermarks:
    """The tenant's stored Salesforce watermarks."""
    repository = KnowledgeRepository(session, tenant.organization_id)
    return SalesforceWatermarks(
        published=_parse_watermark(
            PUBLISHED_WATERMARK, await repository.watermark(PUBLISHED_WATERMARK)
        ),
        withdrawn=_parse_watermark(
            WITHDRAWN_WATERMARK, await repository.watermark(WITHDRAWN_WATERMARK)
        ),
    )


async def fetch_changes(
    source: SalesforceKnowledgeSource, since: SalesforceWatermarks
) -> SalesforceChanges:
    """Published and withdrawn articles since the watermarks, read in a worker thread."""
    # simple-salesforce blocks on `requests`; the event loop must keep serving meanwhile.
    published = await anyio.to_thread.run_sync(
        partial(source.fetch_published, since=since.published)
    )
    withdrawn = await anyio.to_thread.run_sync(
        partial(source.fetch_withdrawn, since=since.withdrawn)
    )
    return SalesforceChanges(published=published, withdrawn=withdrawn)


async def apply_changes(
    session: AsyncSession,
    tenant: Tenant,
    store: KnowledgeStore,
    changes: SalesforceChanges,
    *,
    dry_run: bool = False,
) -> SalesforceSyncReport:
    """Import the published articles, archive the withdrawn ones, store the watermarks."""
    incoming = [
        IncomingArticle(article, external_id=article.source, source_version=article.version)
        for article in changes.published.articles
    ]
    report = await ingest_articles(
        session, tenant, store, incoming, imported_from=IMPORTED_FROM, dry_run=dry_run
    )
    republished = {article.source for article in changes.published.articles}
    withdrawn = [
        source
        for source in map(article_source, changes.withdrawn.knowledge_article_ids)
        if source not in republished
    ]
    archived, kept = await _archive_withdrawn(session, tenant, withdrawn, dry_run=dry_run)
    repository = KnowledgeRepository(session, tenant.organization_id)
    if not dry_run:
        await _store_watermark(repository, PUBLISHED_WATERMARK, changes.published.watermark)
        await _store_watermark(repository, WITHDRAWN_WATERMARK, changes.withdrawn.watermark)
    return SalesforceSyncReport(
        ingest=report,
        archived=archived,
        kept=kept,
        watermarks=SalesforceWatermarks(
            published=changes.published.watermark, withdrawn=changes.withdrawn.watermark
        ),
        fetched=len(incoming),
        withdrawn=len(changes.withdrawn.knowledge_article_ids),
        revision=await repository.corpus_revision(),
    )


async def sync_salesforce_knowledge(
    session: AsyncSession,
    tenant: Tenant,
    store: KnowledgeStore,
    source: SalesforceKnowledgeSource,
    *,
    dry_run: bool = False,
    full: bool = False,
) -> SalesforceSyncReport:
    """Import what changed in Salesforce since the last sync (everything when `full`)."""
    since = SalesforceWatermarks() if full else await read_watermarks(session, tenant)
    changes = await fetch_changes(source, since)
    return await apply_changes(session, tenant, store, changes, dry_run=dry_run)


# -- helpers ---------------------------------------------------------------------------


def _parse_watermark(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise SfagentError(
            f"the stored {name!r} watermark {value!r} is not a timezone-aware time: "
            "run a full sync to replace it"
        )
    return parsed


async def _store_watermark(
    repository: KnowledgeRepository, name: str, value: datetime | None
) -> None:
    # Storing bumps the corpus revision, so an unchanged watermark is not written again.
    if value is not None and await repository.watermark(name) != value.isoformat():
        await repository.set_watermark(name, value.isoformat())


async def _archive_withdrawn(
    session: AsyncSession, tenant: Tenant, external_ids: list[str], *, dry_run: bool
) -> tuple[list[str], list[str]]:
    repository = KnowledgeRepository(session, tenant.organization_id)
    found = await repository.by_external_ids(external_ids)
    archived: list[str] = []
    kept: list[str] = []
    for slug in sorted(row.slug for row in found.values()):
        row = await repository.get(slug, for_update=True)
        if row is None or row.status == ARCHIVED:
            continue
        if not row.updated_by.startswith(IMPORT_ACTOR_PREFIX):
            # The same rule as `ingest_articles`: a person's edit is never undone silently.
            kept.append(slug)
            continue
        archived.append(slug)
        if not dry_run:
            await withdraw_imported(session, tenant, row, imported_from=IMPORTED_FROM)
    return archived, kept
