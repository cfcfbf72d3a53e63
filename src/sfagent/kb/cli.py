"""`sfagent kb`: import articles from files or Salesforce, rebuild indexes, search."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import requests
import typer
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.config import Settings, load_settings
from sfagent.db import migrate
from sfagent.db.engine import bind_tenant
from sfagent.errors import SfagentError, ValidationFailed
from sfagent.kb import salesforce_sync, service
from sfagent.kb.cli_support import (
    clear_errors,
    database,
    default_store,
    err_console,
    progress_bar,
    tenant_for,
)
from sfagent.kb.repository import KnowledgeRepository
from sfagent.kb.store import KnowledgeStore
from sfagent.knowledge import SearchFilters, load_default_articles
from sfagent.knowledge.ingest import (
    MAX_BODY_CHARS,
    IngestBatch,
    IngestDefaults,
    IngestLimits,
    IngestProblem,
    ingest_path,
    iter_sources,
)
from sfagent.knowledge.salesforce import SalesforceKnowledgeSource, connect_salesforce
from sfagent.nlu.catalog import SupportCategory
from sfagent.tenancy import service as tenancy
from sfagent.tenancy.context import Tenant

console = Console(soft_wrap=True)

kb_app = typer.Typer(
    help="Knowledge base: import articles, rebuild indexes, search.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
OrgOption = Annotated[str, typer.Option("--org", help="Organization slug or id.")]
MAX_EXTERNAL_ID = 200


def _salesforce_option(name: str, help_text: str = "") -> Any:
    """An option of the Salesforce import, also read from SFAGENT_SALESFORCE_<NAME>."""
    return typer.Option(
        f"--{name.lower().replace('_', '-')}",
        envvar=f"SFAGENT_SALESFORCE_{name}",
        help=help_text,
        show_default=False,
        rich_help_panel="Salesforce (with --salesforce)",
    )


@dataclass(frozen=True, slots=True)
class KbCliDependencies:
    """What the commands take from their caller (as `ctx.obj`) instead of building it.

    Tests pass a requests session routed to an in-process Salesforce stand-in.
    """

    http_session: requests.Session | None = None


# --- ingest ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    report: service.IngestReport
    problems: list[IngestProblem]
    archived: list[str]
    kept: list[str]
    watermarks: dict[str, str | None] | None = None


@dataclass(frozen=True, slots=True)
class _SalesforceOptions:
    credentials: dict[str, str | None]
    body_fields: tuple[str, ...]
    article_object: str
    language: str | None
    category: str | None
    product: str | None
    http_session: requests.Session | None
    quiet: bool


@kb_app.command("ingest")
def ingest_command(
    ctx: typer.Context,
    org: OrgOption,
    path: Annotated[
        Path | None,
        typer.Argument(
            help="A file or folder of .md, .markdown, .html, .htm, .json or .csv articles.",
            show_default=False,
        ),
    ] = None,
    from_salesforce: Annotated[
        bool, typer.Option("--salesforce", help="Import from Salesforce Knowledge, not files.")
    ] = False,
    category: Annotated[
        SupportCategory | None,
        typer.Option(
            help="Category of articles that name none (default: other).", show_default=False
        ),
    ] = None,
    product: Annotated[
        str | None, typer.Option(help="Product of articles that name none.", show_default=False)
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Tag for untagged articles; repeatable.")
    ] = None,
    status: Annotated[
        Literal["published", "draft"],
        typer.Option(help="Status of file articles that name none."),
    ] = "published",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    full: Annotated[
        bool,
        typer.Option("--full", help="With --salesforce: fetch everything, not just changes."),
    ] = False,
    as_json: JsonFlag = False,
    instance_url: Annotated[
        str | None, _salesforce_option("INSTANCE_URL", "With --access-token.")
    ] = None,
    access_token: Annotated[
        str | None, _salesforce_option("ACCESS_TOKEN", "An existing session id.")
    ] = None,
    username: Annotated[
        str | None, _salesforce_option("USERNAME", "With --password and --security-token.")
    ] = None,
    password: Annotated[str | None, _salesforce_option("PASSWORD", "")] = None,
    security_token: Annotated[str | None, _salesforce_option("SECURITY_TOKEN", "")] = None,
    domain: Annotated[
        str | None,
        _salesforce_option("DOMAIN", "My Domain (acme.my) for client credentials, or test."),
    ] = None,
    consumer_key: Annotated[
        str | None, _salesforce_option("CONSUMER_KEY", "Connected app, with --domain.")
    ] = None,
    consumer_secret: Annotated[str | None, _salesforce_option("CONSUMER_SECRET", "")] = None,
    body_field: Annotated[
        list[str] | None,
        _salesforce_option("BODY_FIELD", "Body field API name; repeatable (default Body__c)."),
    ] = None,
    article_object: Annotated[
        str, _salesforce_option("ARTICLE_OBJECT", "The article version object.")
    ] = "Knowledge__kav",
    language: Annotated[
        str, _salesforce_option("LANGUAGE", "Only this language; '' for all.")
    ] = "en_US",
) -> None:
    """Import articles from PATH, or from Salesforce Knowledge with --salesforce.

    New articles are created, changed ones updated (a new version), identical ones left
    alone; duplicates and conflicts are reported. An article edited here since its last
    import is never overwritten: it is skipped and reported.

    Salesforce credentials are best given as SFAGENT_SALESFORCE_* environment variables:
    command-line arguments are visible to other users in the process list.

    Exit status: 0 when everything was imported; 1 when any file problem or skipped
    conflict was reported, or on a fatal error (one line on stderr).
    """
    with clear_errors():
        settings = load_settings()
        if from_salesforce == (path is not None):
            raise SfagentError("give either PATH or --salesforce (exactly one)")
        migrate.require_up_to_date(settings)
        if path is not None:
            defaults = IngestDefaults(
                category=category or "other",
                product=product or "",
                tags=tuple(tag or ()),
                status=status,
            )
            outcome = asyncio.run(
                _ingest_files(settings, org, path, defaults, dry_run=dry_run, quiet=as_json)
            )
        else:
            if tag or status != "published":
                raise SfagentError("--tag and --status apply to file imports only")
            credentials = {
                "instance_url": instance_url,
                "access_token": access_token,
                "username": username,
                "password": password,
                "security_token": security_token,
                "domain": domain,
                "consumer_key": consumer_key,
                "consumer_secret": consumer_secret,
            }
            dependencies = ctx.obj if isinstance(ctx.obj, KbCliDependencies) else None
            options = _SalesforceOptions(
                credentials=credentials,
                body_fields=tuple(body_field or ("Body__c",)),
                article_object=article_object,
                language=language or None,
                category=category,
                product=product,
                http_session=dependencies.http_session if dependencies else None,
                quiet=as_json,
            )
            outcome = asyncio.run(
                _ingest_salesforce(settings, org, options, dry_run=dry_run, full=full)
            )
    _print_outcome(outcome, as_json)
    if outcome.problems or outcome.report.skipped or outcome.kept:
        raise typer.Exit(1)


async def _ingest_files(
    settings: Settings,
    org: str,
    path: Path,
    defaults: IngestDefaults,
    *,
    dry_run: bool,
    quiet: bool,
) -> _Outcome:
    async with database(settings) as sessions:
        async with sessions.reader() as session:
            tenant = tenant_for(await tenancy.get_organization(session, org), settings)
        # Over-long bodies become file problems here rather than failing a whole batch later.
        longest = min(MAX_BODY_CHARS, tenant.limits.kb_max_article_chars)
        batch, origins = _read_files(path, defaults, IngestLimits(max_body_chars=longest), quiet)
        store = default_store()
        incoming = [
            service.IncomingArticle(article, external_id=_file_external_id(origins[article.id]))
            for article in batch.articles
        ]
        report = service.IngestReport(dry_run=dry_run)
        size = settings.kb_ingest_max_articles
        with progress_bar(quiet) as bar:
            task = bar.add_task("importing", total=len(incoming))
            for start in range(0, len(incoming), size):
                chunk = incoming[start : start + size]
                try:
                    async with sessions.writer() as session, session.begin():
                        await bind_tenant(session, tenant.organization_id)
                        part = await service.ingest_articles(
                            session, tenant, store, chunk, imported_from="file", dry_run=dry_run
                        )
                except SfagentError as error:
                    if not start or dry_run:
                        raise
                    # Earlier batches were committed: say so, or a re-run looks surprising.
                    done = f"{start} article(s) in earlier batches were imported"
                    raise SfagentError(f"{error.message} ({done})") from error
                _merge(report, part)
                bar.advance(task, len(chunk))
    return _Outcome(report, batch.problems, [], [])


def _read_files(
    path: Path, defaults: IngestDefaults, limits: IngestLimits, quiet: bool
) -> tuple[IngestBatch, dict[str, str]]:
    """The articles under `path` and, for each id, the file it came from relative to `path`."""
    root = path if path.is_dir() else path.parent
    total = len(iter_sources(path))  # raises for a missing path before anything is shown
    origins: dict[str, str] = {}
    with progress_bar(quiet) as bar:
        task = bar.add_task("reading files", total=total)

        def read(source: Path, file_batch: IngestBatch) -> None:
            relative = source.relative_to(root).as_posix()
            for article in file_batch.articles:
                # The first file with an id wins, as `ingest_path` keeps the first copy.
                origins.setdefault(article.id, f"{relative}#{article.id}")
            bar.update(task, advance=1, description=f"reading {relative}")

        batch = ingest_path(path, defaults, limits=limits, on_source=read)
    return batch, origins


def _file_external_id(origin: str) -> str:
    """`<path relative to PATH>#<article id>`, so re-reading the same file updates in place."""
    if len(origin) <= MAX_EXTERNAL_ID:
        return origin
    return "sha256:" + hashlib.sha256(origin.encode()).hexdigest()


async def _ingest_salesforce(
    settings: Settings, org: str, options: _SalesforceOptions, *, dry_run: bool, full: bool
) -> _Outcome:
    async with database(settings) as sessions:
        # Read, fetch, then write: no transaction (nor SQLite's write lock) is held while
        # Salesforce answers.
        async with sessions.reader() as session:
            tenant = tenant_for(await tenancy.get_organization(session, org), settings)
            await bind_tenant(session, tenant.organization_id)
            since = (
                salesforce_sync.SalesforceWatermarks()
                if full
                else await salesforce_sync.read_watermarks(session, tenant)
            )
        with progress_bar(options.quiet) as bar:
            bar.add_task("fetching from Salesforce", total=None)
            client = await asyncio.to_thread(
                partial(connect_salesforce, **options.credentials, session=options.http_session)
            )
            source = SalesforceKnowledgeSource(
                client,
                body_fields=options.body_fields,
                article_object=options.article_object,
                language=options.language,
                **_source_metadata(options),
            )
            changes = await salesforce_sync.fetch_changes(source, since)
        async with sessions.writer() as session, session.begin():
            await bind_tenant(session, tenant.organization_id)
            result = await salesforce_sync.apply_changes(
                session, tenant, default_store(), changes, dry_run=dry_run
            )
    marks = result.watermarks
    return _Outcome(
        result.ingest,
        [],
        result.archived,
        result.kept,
        {
            "published": marks.published.isoformat() if marks.published else None,
            "withdrawn": marks.withdrawn.isoformat() if marks.withdrawn else None,
        },
    )


def _source_metadata(options: _SalesforceOptions) -> dict[str, str]:
    """Category and product for the source only when given: it has its own defaults."""
    chosen = {"category": options.category, "product": options.product}
    return {name: value for name, value in chosen.items() if value is not None}


def _merge(total: service.IngestReport, part: service.IngestReport) -> None:
    total.created += part.created
    total.updated += part.updated
    total.unchanged += part.unchanged
    total.skipped += part.skipped
    total.findings += part.findings
    total.revision = part.revision


def _print_outcome(outcome: _Outcome, as_json: bool) -> None:
    report = outcome.report
    findings = [
        {
            "kind": finding.kind.value,
            "slug": finding.incoming_id,
            "other": finding.existing_id,
            "similarity": round(finding.similarity, 4),
            "detail": finding.detail,
        }
        for finding in report.findings
    ]
    if as_json:
        document: dict[str, Any] = {
            "dry_run": report.dry_run,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "skipped": report.skipped,
            "findings": findings,
            "problems": [
                {**dataclasses.asdict(problem), "text": str(problem)}
                for problem in outcome.problems
            ],
            "revision": report.revision,
        }
        if outcome.watermarks is not None:
            document |= {
                "archived": outcome.archived,
                "kept": outcome.kept,
                "watermarks": outcome.watermarks,
            }
        print(json.dumps(document))
        return
    for problem in outcome.problems:
        err_console.print(f"problem: {problem}", markup=False, highlight=False)
    summary = Table("outcome", "articles", "slugs", title="dry run" if report.dry_run else None)
    rows = [
        ("created", report.created),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("skipped (conflict)", report.skipped),
    ]
    if outcome.watermarks is not None:
        rows += [("archived", outcome.archived), ("kept (withdrawn, edited here)", outcome.kept)]
    for label, slugs in rows:
        summary.add_row(label, str(len(slugs)), _shortened(slugs))
    console.print(summary)
    if report.findings:
        table = Table("finding", "slug", "other", "similarity", "detail")
        for finding in report.findings:
            table.add_row(
                finding.kind.value,
                finding.incoming_id,
                finding.existing_id,
                f"{finding.similarity:.2f}",
                finding.detail,
            )
        console.print(table)
    if outcome.problems:
        console.print(f"{len(outcome.problems)} problem(s) in the files (listed on stderr)")
    if outcome.watermarks is not None and not report.dry_run:
        marks = ", ".join(f"{name} {value or '-'}" for name, value in outcome.watermarks.items())
        console.print(f"the next import starts after: {marks}", highlight=False)


def _shortened(slugs: Sequence[str], shown: int = 8) -> str:
    more = len(slugs) - shown
    return ", ".join(slugs[:shown]) + (f" and {more} more" if more > 0 else "")


# --- reindex and search ------------------------------------------------------------------


@kb_app.command("reindex")
def reindex_command(
    org: Annotated[str | None, typer.Option("--org", help="Organization slug or id.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every organization.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Recompute content hashes and rebuild the search index of one or every organization.

    Each organization is marked changed in its own transaction, so every server process
    rebuilds its index on its next search; the index is then built here once to report
    its size and build time.
    """
    with clear_errors():
        settings = load_settings()
        if (org is None) == (not every):
            raise SfagentError("give either --org ORG or --all (exactly one)")
        migrate.require_up_to_date(settings)
        rows = asyncio.run(_reindex(settings, org, quiet=as_json))
    if as_json:
        print(json.dumps(rows))
        return
    table = Table("organization", "articles", "own", "build ms", "revision")
    for row in rows:
        table.add_row(
            row["organization"],
            str(row["articles"]),
            str(row["own"]),
            f"{row['build_ms']:.1f}",
            str(row["revision"]),
        )
    console.print(table)


async def _reindex(settings: Settings, org: str | None, *, quiet: bool) -> list[dict[str, Any]]:
    store = KnowledgeStore(load_default_articles(), max_tenants=1)
    rows: list[dict[str, Any]] = []
    async with database(settings) as sessions:
        async with sessions.reader() as session:
            if org is not None:
                organizations = [await tenancy.get_organization(session, org)]
            else:
                organizations = list(await tenancy.list_organizations(session))
        with progress_bar(quiet or len(organizations) < 2) as bar:
            task = bar.add_task("reindexing", total=len(organizations))
            for organization in organizations:
                tenant = tenant_for(organization, settings)
                async with sessions.writer() as session, session.begin():
                    await bind_tenant(session, tenant.organization_id)
                    revision = await service.reindex(session, tenant)
                async with sessions.reader() as session:
                    await bind_tenant(session, tenant.organization_id)
                    rows.append(await _build_index(session, store, tenant, revision))
                bar.update(task, advance=1, description=f"reindexed {organization.slug}")
    return rows


async def _build_index(
    session: AsyncSession, store: KnowledgeStore, tenant: Tenant, revision: int
) -> dict[str, Any]:
    repository = KnowledgeRepository(session, tenant.organization_id)
    own = await repository.count()
    overridden = len(await repository.existing_slugs(store.defaults))
    started = time.perf_counter()
    await store.search(session, tenant.organization_id, "reindex", k=1, filters=SearchFilters())
    build_ms = (time.perf_counter() - started) * 1000
    return {
        "organization": tenant.slug,
        "organization_id": tenant.organization_id,
        "articles": own + len(store.defaults) - overridden,
        "own": own,
        "build_ms": round(build_ms, 1),
        "revision": revision,
    }


@kb_app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    org: OrgOption,
    k: Annotated[int, typer.Option("-k", min=1, help="How many results.")] = 5,
    api_version: Annotated[
        float | None,
        typer.Option(help="Only articles that apply to this API version (e.g. 59.0).", min=0),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Search an organization's articles and the defaults it has not overridden."""
    with clear_errors():
        settings = load_settings()
        if len(query) > settings.kb_query_max_chars:
            raise ValidationFailed("QUERY", f"at most {settings.kb_query_max_chars} characters")
        if k > settings.kb_search_max_results:
            raise ValidationFailed("-k", f"must be at most {settings.kb_search_max_results}")
        migrate.require_up_to_date(settings)
        hits = asyncio.run(_search(settings, org, query, k, SearchFilters(api_version=api_version)))
    if as_json:
        print(json.dumps(hits))
        return
    table = Table("#", Column("slug", no_wrap=True), "title", "origin", "score", "snippet")
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank),
            hit["slug"],
            hit["title"],
            hit["origin"],
            f"{hit['score']:.3f}",
            " ".join(hit["snippet"].split()),
        )
    console.print(table if hits else "no matching articles")


async def _search(
    settings: Settings, org: str, query: str, k: int, filters: SearchFilters
) -> list[dict[str, Any]]:
    store = KnowledgeStore(load_default_articles(), max_tenants=1)
    async with database(settings) as sessions, sessions.reader() as session:
        tenant = tenant_for(await tenancy.get_organization(session, org), settings)
        await bind_tenant(session, tenant.organization_id)
        found = await service.search(session, tenant, store, query, k=k, filters=filters)
    return [
        {
            "slug": item.hit.article_id,
            "title": item.hit.title,
            "origin": item.origin,
            "score": round(item.hit.score, 4),
            "section": item.hit.section,
            "snippet": item.hit.snippet,
        }
        for item in found
    ]
