"""Salesforce Knowledge sync into a tenant's knowledge base, against the in-process stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.engine import bind_tenant
from sfagent.kb import service
from sfagent.kb.repository import KnowledgeRepository
from sfagent.kb.salesforce_sync import (
    PUBLISHED_WATERMARK,
    WITHDRAWN_WATERMARK,
    SalesforceSyncReport,
    sync_salesforce_knowledge,
)
from sfagent.kb.store import KnowledgeStore
from sfagent.knowledge.duplicates import DuplicateKind
from sfagent.knowledge.salesforce import SalesforceKnowledgeSource, connect_salesforce
from sfagent.tenancy import service as tenancy
from sfagent.tenancy.context import Principal, PrincipalKind, Scope, Tenant
from tests.conftest import Harness, HarnessFactory, TenantHandle
from tests.knowledge.salesforce_standin import (
    API_VERSION,
    INSTANCE_URL,
    SalesforceStandIn,
    standin_session,
)

SEARCH = "/api/v1/kb/search"


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness(nlu_enabled=False)


@pytest.fixture
def standin() -> SalesforceStandIn:
    standin = SalesforceStandIn()
    standin.add_article(
        "Wombat-Export-Stalls",
        "Wombat export stalls at ninety percent",
        body="<p>The wombat export stalls when the <b>numbat</b> queue is full.</p>",
    )
    standin.add_article(
        "Quoll-Login-Loop",
        "Quoll login loops back to the start page",
        body="<p>Clear the quoll session cookie, then sign in again.</p>",
    )
    standin.add_article(
        "Bilby-Report-Empty",
        "Bilby report shows no rows",
        body="<p>Widen the bilby report's date filter to the whole fiscal year.</p>",
    )
    return standin


@pytest.fixture
def source(standin: SalesforceStandIn) -> SalesforceKnowledgeSource:
    client = connect_salesforce(
        instance_url=INSTANCE_URL,
        access_token="standin-token",
        api_version=API_VERSION,
        session=standin_session(standin),
    )
    return SalesforceKnowledgeSource(client)


class Sync:
    """Runs service calls for one tenant, each in its own committed transaction."""

    def __init__(self, harness: Harness, handle: TenantHandle, tenant: Tenant) -> None:
        self.harness = harness
        self.handle = handle
        self.tenant = tenant
        self.store: KnowledgeStore = harness.app.state.knowledge

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.harness.app.state.sessionmaker() as session, session.begin():
            await bind_tenant(session, self.tenant.organization_id)
            yield session

    async def run(
        self, source: SalesforceKnowledgeSource, *, dry_run: bool = False, full: bool = False
    ) -> SalesforceSyncReport:
        async with self.session() as session:
            return await sync_salesforce_knowledge(
                session, self.tenant, self.store, source, dry_run=dry_run, full=full
            )

    async def watermarks(self) -> tuple[str | None, str | None]:
        async with self.session() as session:
            repository = KnowledgeRepository(session, self.tenant.organization_id)
            return (
                await repository.watermark(PUBLISHED_WATERMARK),
                await repository.watermark(WITHDRAWN_WATERMARK),
            )

    async def article(self, slug: str) -> service.ArticleView:
        async with self.session() as session:
            return await service.get_article(session, self.tenant, self.store, slug)

    async def history(self, slug: str) -> list[tuple[int, str, str]]:
        async with self.session() as session:
            versions = await service.article_versions(session, self.tenant, slug)
            return [(v.version, v.change, v.changed_by) for v in versions]

    async def own_slugs(self) -> list[str]:
        async with self.session() as session:
            rows = await KnowledgeRepository(session, self.tenant.organization_id).all()
            return [row.slug for row in rows]

    async def search(self, query: str) -> list[str]:
        response = await self.harness.client.get(
            SEARCH, params={"q": query}, headers=self.handle.headers
        )
        assert response.status_code == 200, response.text
        return [hit["slug"] for hit in response.json()["results"]]


def principal(kind: PrincipalKind, name: str) -> Principal:
    return Principal(kind=kind, id=name, scopes=frozenset(Scope))


@pytest.fixture
async def sync(harness: Harness, tenant: TenantHandle) -> Sync:
    async with harness.app.state.sessionmaker() as session:
        organization = await tenancy.get_organization(session, tenant.organization_id)
        limits = tenancy.resolve_limits(organization, harness.settings)
    built = Tenant(
        organization_id=organization.id,
        slug=organization.slug,
        tier=organization.tier,
        limits=limits,
        principal=principal(PrincipalKind.STAFF, "cli:tester"),
    )
    return Sync(harness, tenant, built)


async def test_first_sync_creates_every_article_and_stores_watermarks(
    sync: Sync, source: SalesforceKnowledgeSource, standin: SalesforceStandIn
) -> None:
    report = await sync.run(source)

    assert sorted(report.ingest.created) == [
        "sf-bilby-report-empty",
        "sf-quoll-login-loop",
        "sf-wombat-export-stalls",
    ]
    assert report.fetched == 3
    assert report.ingest.updated == report.ingest.skipped == report.archived == []
    assert report.watermarks.published == standin.now
    published, withdrawn = await sync.watermarks()
    assert published == standin.now.isoformat()
    assert withdrawn is None  # nothing was ever withdrawn: no time to resume from
    view = await sync.article("sf-quoll-login-loop")
    assert view.row is not None
    assert view.row.origin == "salesforce"
    assert view.row.external_id == view.article.source
    assert view.row.external_id.startswith("salesforce:kA0SI")
    assert view.row.source_version == 1
    assert (await sync.search("quoll session cookie"))[0] == "sf-quoll-login-loop"


async def test_second_sync_updates_only_the_edited_article(
    sync: Sync, source: SalesforceKnowledgeSource, standin: SalesforceStandIn
) -> None:
    await sync.run(source)
    quoll = standin.records[1]["KnowledgeArticleId"]
    standin.publish_new_version(quoll, Body__c="<p>Delete the quoll cookie and retry.</p>")

    report = await sync.run(source)

    assert report.fetched == 1  # incremental: only what changed since the watermark
    assert report.ingest.updated == ["sf-quoll-login-loop"]
    assert report.ingest.created == report.ingest.unchanged == []
    view = await sync.article("sf-quoll-login-loop")
    assert view.article.body == "Delete the quoll cookie and retry."
    assert view.article.version == 2
    assert view.row is not None and view.row.source_version == 2
    assert await sync.history("sf-quoll-login-loop") == [
        (1, "imported", "import:salesforce"),
        (2, "reimported", "import:salesforce"),
    ]
    assert (await sync.article("sf-wombat-export-stalls")).article.version == 1


async def test_withdrawn_article_is_archived_and_leaves_search(
    sync: Sync, source: SalesforceKnowledgeSource, standin: SalesforceStandIn
) -> None:
    await sync.run(source)
    assert (await sync.search("bilby report date filter"))[0] == "sf-bilby-report-empty"
    bilby = standin.records[2]["KnowledgeArticleId"]
    standin.archive_article(bilby)

    report = await sync.run(source)

    assert report.archived == ["sf-bilby-report-empty"]
    assert report.withdrawn == 1
    view = await sync.article("sf-bilby-report-empty")
    assert view.article.status == "archived"
    assert view.article.version == 2
    assert await sync.history("sf-bilby-report-empty") == [
        (1, "imported", "import:salesforce"),
        (2, "withdrawn", "import:salesforce"),
    ]
    assert "sf-bilby-report-empty" not in await sync.search("bilby report date filter")
    assert (await sync.watermarks())[1] == standin.now.isoformat()
    again = await sync.run(source)
    assert again.archived == [] and again.withdrawn == 0


async def test_salesforce_change_to_a_locally_edited_article_is_skipped(
    sync: Sync, source: SalesforceKnowledgeSource, standin: SalesforceStandIn
) -> None:
    await sync.run(source)
    person = Tenant(
        organization_id=sync.tenant.organization_id,
        slug=sync.tenant.slug,
        tier=sync.tenant.tier,
        limits=sync.tenant.limits,
        principal=principal(PrincipalKind.STAFF, "support-lead"),
    )
    async with sync.session() as session:
        await service.update_article(
            session,
            person,
            sync.store,
            "sf-wombat-export-stalls",
            {"body": "Our own fix: drain the numbat queue first."},
        )
    wombat = standin.records[0]["KnowledgeArticleId"]
    standin.publish_new_version(wombat, Body__c="<p>Salesforce's new text.</p>")

    report = await sync.run(source)

    assert report.ingest.skipped == ["sf-wombat-export-stalls"]
    assert report.ingest.updated == []
    conflicts = [f for f in report.ingest.findings if f.kind is DuplicateKind.ID_CONFLICT]
    assert [f.incoming_id for f in conflicts] == ["sf-wombat-export-stalls"]
    assert "edited locally" in conflicts[0].detail
    view = await sync.article("sf-wombat-export-stalls")
    assert view.article.body == "Our own fix: drain the numbat queue first."
    assert view.article.version == 2
    assert view.row is not None and view.row.updated_by == "staff:support-lead"


async def test_withdrawal_of_a_locally_edited_article_keeps_it(
    sync: Sync, source: SalesforceKnowledgeSource, standin: SalesforceStandIn
) -> None:
    await sync.run(source)
    async with sync.session() as session:
        await service.update_article(
            session, sync.tenant, sync.store, "sf-quoll-login-loop", {"title": "Quoll loop"}
        )
    standin.archive_article(standin.records[1]["KnowledgeArticleId"])

    report = await sync.run(source)

    assert report.archived == []
    assert report.kept == ["sf-quoll-login-loop"]
    assert (await sync.article("sf-quoll-login-loop")).article.status == "published"


async def test_dry_run_stores_nothing(
    sync: Sync, source: SalesforceKnowledgeSource, standin: SalesforceStandIn
) -> None:
    report = await sync.run(source, dry_run=True)

    assert report.dry_run
    assert len(report.ingest.created) == 3
    assert await sync.own_slugs() == []
    assert await sync.watermarks() == (None, None)
    assert report.watermarks.published == standin.now  # what a real run would store
    real = await sync.run(source)
    assert len(real.ingest.created) == 3


async def test_full_sync_refetches_everything_and_changes_nothing(
    sync: Sync, source: SalesforceKnowledgeSource
) -> None:
    await sync.run(source)
    marks = await sync.watermarks()

    report = await sync.run(source, full=True)

    assert report.fetched == 3
    assert len(report.ingest.unchanged) == 3
    assert report.ingest.created == report.ingest.updated == []
    assert await sync.watermarks() == marks
