"""The sfagent command line: serve, worker, db, tenant, key, staff, token, config, outbox,
analyze, eval."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent import __version__
from sfagent.app import start_background_work
from sfagent.backplane.factory import create_backplane
from sfagent.config import Settings, load_settings
from sfagent.conversations.chat_cli import chat_command
from sfagent.db import migrate
from sfagent.db.engine import create_engine, create_sessionmaker
from sfagent.diagnostics.cli import analyze_app, eval_app
from sfagent.errors import SfagentError
from sfagent.kb.cli import kb_app
from sfagent.knowledge.eval_cli import kb_eval_command
from sfagent.nlu.cli import app as nlu_app
from sfagent.observability.logging import configure_logging
from sfagent.outbox import admin as outbox_admin
from sfagent.outbox.models import JobStatus
from sfagent.pipeline.eval_cli import answers_command, conversations_command
from sfagent.privacy.cli import privacy_app
from sfagent.security.audit_verify import ChainReport, verify_organization
from sfagent.security.cli import keys_app, pii_eval_command
from sfagent.tenancy import service as tenancy
from sfagent.tenancy.auth import issue_end_user_token
from sfagent.tenancy.context import DEFAULT_API_KEY_SCOPES
from sfagent.tenancy.models import StaffRole
from sfagent.tenancy.repository import OrganizationRepository

T = TypeVar("T")
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

app = typer.Typer(
    help="sfagent: AI customer service for Salesforce.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
tenant_app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Issue tokens for testing.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
outbox_app = typer.Typer(help="Durable job queue.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
for sub, name in [
    (db_app, "db"),
    (tenant_app, "tenant"),
    (key_app, "key"),
    (staff_app, "staff"),
    (token_app, "token"),
    (config_app, "config"),
    (outbox_app, "outbox"),
    (audit_app, "audit"),
    (keys_app, "keys"),
    (privacy_app, "privacy"),
    (analyze_app, "analyze"),
    (eval_app, "eval"),
    (nlu_app, "nlu"),
    (kb_app, "kb"),
]:
    app.add_typer(sub, name=name)

eval_app.command("answers")(answers_command)
eval_app.command("conversations")(conversations_command)
eval_app.command("pii")(pii_eval_command)
app.command("chat")(chat_command)
eval_app.command("kb")(kb_eval_command)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
OrgOption = Annotated[str, typer.Option("--org", help="Organization slug or id.")]


def _settings() -> Settings:
    return load_settings()


def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run work in one committed transaction against the configured database."""

    async def runner() -> T:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine, writer=True)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(runner())


# --- serve / worker ---------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate")] = True,
) -> None:
    """Run the API server (migrating the database and creating a demo tenant if needed)."""
    settings = _settings()
    host = host or settings.host
    port = port or settings.port
    if migrate_first:
        with console.status("Migrating the database..."):
            migrate.upgrade(settings)
    else:
        migrate.require_up_to_date(settings)
    _announce_demo_tenant(settings, f"http://{host}:{port}")
    if workers > 1:
        _prepare_multiprocess_metrics(settings)
        if settings.redis_url is None:
            err_console.print(
                "[yellow]warning:[/] several workers without SFAGENT_REDIS_URL keep rate-limit "
                "counters per process; set SFAGENT_REDIS_URL to share them."
            )
    uvicorn.run(
        "sfagent.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=True,
    )


def _prepare_multiprocess_metrics(settings: Settings) -> None:
    directory = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR", "var/prometheus"))
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory.resolve())


def _announce_demo_tenant(settings: Settings, url: str) -> None:
    async def ensure(session: AsyncSession) -> tuple[str, str | None, int]:
        organizations = await tenancy.list_organizations(session)
        if organizations:
            return organizations[0].slug, None, len(organizations)
        organization, key = await tenancy.create_organization(
            session, name="Demo", slug="demo", settings=settings
        )
        return organization.slug, key.secret, 1

    slug, secret, count = _in_session(settings, ensure)
    console.print(f"[bold green]sfagent {__version__}[/] serving at [bold]{url}[/]")
    console.print(f"  API docs:  {url}/docs")
    if secret:
        console.print(f"  Demo tenant created: [bold]{slug}[/]")
        console.print(f"  API key (shown once): [bold yellow]{secret}[/]")
        console.print(
            f"  Try: curl -X POST {url}/api/v1/conversations -H 'X-API-Key: {secret}' "
            "-H 'Content-Type: application/json' -d '{}'"
        )
    else:
        console.print(f"  {count} organization(s) exist; new key: sfagent key create --org {slug}")


@app.command()
def worker() -> None:
    """Run an outbox worker and the maintenance loops without the HTTP server."""
    settings = _settings()
    migrate.require_up_to_date(settings)
    configure_logging(level=settings.log_level, json=settings.log_json)

    async def run() -> None:
        engine = create_engine(settings)
        backplane = create_backplane(settings)
        tasks = start_background_work(
            create_sessionmaker(engine, writer=True),
            backplane,
            settings.model_copy(update={"worker_enabled": True}),
        )
        console.print("[green]worker running[/] (Ctrl-C to stop)")
        try:
            await asyncio.gather(*tasks)
        finally:
            await backplane.close()
            await engine.dispose()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        console.print("worker stopped")


# --- db -----------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    settings = _settings()
    migrate.upgrade(settings, revision)
    console.print(f"database at {asyncio.run(migrate.current_revision(settings))}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Revert migrations down to REVISION (default: one step; "base" drops everything)."""
    settings = _settings()
    migrate.downgrade(settings, revision)
    console.print(f"database at {asyncio.run(migrate.current_revision(settings)) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the code's head."""
    settings = _settings()
    current = asyncio.run(migrate.current_revision(settings))
    console.print(f"database: {current or 'base'}  head: {migrate.head_revision(settings)}")


# --- tenants and keys ----------------------------------------------------------------------


@tenant_app.command("create")
def tenant_create(
    name: str,
    slug: Annotated[str | None, typer.Option(help="URL-safe id (default: from NAME).")] = None,
    tier: Annotated[str | None, typer.Option(help="free, standard or enterprise.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an organization and print its first API key (shown once)."""
    settings = _settings()
    migrate.require_up_to_date(settings)

    async def create(session: AsyncSession) -> dict[str, str]:
        organization, key = await tenancy.create_organization(
            session, name=name, slug=slug, tier=tier, settings=settings
        )
        return {
            "organization_id": organization.id,
            "slug": organization.slug,
            "tier": organization.tier,
            "api_key": key.secret,
        }

    created = _in_session(settings, create)
    if as_json:
        print(json.dumps(created))
        return
    console.print(f"organization [bold]{created['slug']}[/] ({created['organization_id']})")
    console.print(f"API key (shown once): [bold yellow]{created['api_key']}[/]")


@tenant_app.command("list")
def tenant_list(as_json: JsonFlag = False) -> None:
    """List organizations."""
    settings = _settings()
    migrate.require_up_to_date(settings)

    async def fetch(session: AsyncSession) -> list[dict[str, Any]]:
        return [
            {"organization_id": o.id, "slug": o.slug, "name": o.name, "tier": o.tier}
            for o in await tenancy.list_organizations(session)
        ]

    rows = _in_session(settings, fetch)
    _print_rows(rows, as_json, ["organization_id", "slug", "name", "tier"])


@key_app.command("create")
def key_create(
    org: OrgOption,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Repeat for several scopes.")
    ] = None,
    rpm: Annotated[int | None, typer.Option(help="Own requests-per-minute limit.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue an API key for an organization (the secret is shown once)."""
    settings = _settings()
    migrate.require_up_to_date(settings)

    async def create(session: AsyncSession) -> dict[str, Any]:
        organization = await tenancy.get_organization(session, org)
        created = await tenancy.create_api_key(
            session,
            organization_id=organization.id,
            name=name,
            scopes=scope or [s.value for s in DEFAULT_API_KEY_SCOPES],
            requests_per_minute=rpm,
        )
        return {
            "id": created.api_key.id,
            "prefix": created.api_key.prefix,
            "scopes": created.api_key.scopes,
            "api_key": created.secret,
        }

    created = _in_session(settings, create)
    if as_json:
        print(json.dumps(created))
        return
    console.print(f"key {created['prefix']} scopes {', '.join(created['scopes'])}")
    console.print(f"API key (shown once): [bold yellow]{created['api_key']}[/]")


@key_app.command("list")
def key_list(
    org: OrgOption,
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List an organization's API keys (never their secrets)."""
    settings = _settings()
    migrate.require_up_to_date(settings)

    async def fetch(session: AsyncSession) -> list[dict[str, Any]]:
        organization = await tenancy.get_organization(session, org)
        keys = await tenancy.list_api_keys(
            session, organization_id=organization.id, include_revoked=include_revoked
        )
        return [
            {
                "id": k.id,
                "prefix": k.prefix,
                "name": k.name,
                "scopes": " ".join(k.scopes),
                "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in keys
        ]

    rows = _in_session(settings, fetch)
    _print_rows(rows, as_json, ["prefix", "name", "scopes", "last_used_at", "revoked_at"])


@key_app.command("revoke")
def key_revoke(
    key: Annotated[str, typer.Argument(help="Key id or prefix (sfa_...).")],
    org: Annotated[str | None, typer.Option("--org", help="Only within this org.")] = None,
) -> None:
    """Revoke an API key; requests with it fail with 401 from now on."""
    settings = _settings()
    migrate.require_up_to_date(settings)

    async def revoke(session: AsyncSession) -> str:
        organization_id = (await tenancy.get_organization(session, org)).id if org else None
        revoked = await tenancy.revoke_api_key(session, key_id=key, organization_id=organization_id)
        return revoked.prefix

    console.print(f"revoked {_in_session(settings, revoke)}")


@staff_app.command("create")
def staff_create(
    org: OrgOption,
    email: Annotated[str, typer.Option()],
    role: Annotated[StaffRole, typer.Option()] = StaffRole.AGENT,
    password: Annotated[
        str | None,
        typer.Option(envvar="SFAGENT_STAFF_PASSWORD", help="Prompted for when not given."),
    ] = None,
) -> None:
    """Create a staff account (owner, admin, agent or viewer)."""
    settings = _settings()
    migrate.require_up_to_date(settings)
    secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def create(session: AsyncSession) -> str:
        organization = await tenancy.get_organization(session, org)
        user = await tenancy.create_staff_user(
            session, organization_id=organization.id, email=email, password=secret, role=role
        )
        return user.id

    console.print(f"staff user {email} ({role.value}) created: {_in_session(settings, create)}")


@token_app.command("end-user")
def token_end_user(
    org: OrgOption,
    user: Annotated[str, typer.Option(help="The end user's id in your system.")],
    minutes: Annotated[int, typer.Option(min=1)] = 60,
) -> None:
    """Print an end-user JWT, as the tenant's backend would mint one for the chat widget."""
    settings = _settings()
    migrate.require_up_to_date(settings)

    async def issue(session: AsyncSession) -> str:
        organization = await tenancy.get_organization(session, org)
        return issue_end_user_token(
            organization,
            external_user_id=user,
            settings=settings,
            ttl=timedelta(minutes=minutes),
        )

    print(_in_session(settings, issue))


# --- config and outbox -------------------------------------------------------------------


@config_app.command("show")
def config_show(as_json: JsonFlag = False) -> None:
    """Print the effective configuration with secrets masked."""
    shown = _settings().masked()
    if as_json:
        print(json.dumps(shown, indent=2, default=str))
        return
    table = Table("setting", "value")
    for name, value in sorted(shown.items()):
        table.add_row(f"SFAGENT_{name.upper()}", json.dumps(value, default=str))
    console.print(table)


@audit_app.command("verify")
def audit_verify(
    org: Annotated[
        str | None, typer.Option(help="Organization slug or id; every one when omitted.")
    ] = None,
) -> None:
    """Check each organization's audit chain; exit 1 naming the first edited, removed or
    reordered entry."""
    settings = _settings()
    migrate.require_up_to_date(settings)

    async def check(session: AsyncSession) -> list[tuple[str, ChainReport]]:
        if org is not None:
            organizations = [await tenancy.get_organization(session, org)]
        else:
            organizations = list(await OrganizationRepository(session).list_all())
        return [
            (organization.slug, await verify_organization(session, organization.id))
            for organization in organizations
        ]

    broken = 0
    for slug, report in _in_session(settings, check):
        if report.intact:
            console.print(f"{slug}: intact ({report.entries} entries)", highlight=False)
        else:
            broken += 1
            assert report.problem is not None
            err_console.print(f"{slug}: {report.problem.describe()}", highlight=False)
    if broken:
        raise typer.Exit(1)


@outbox_app.command("list")
def outbox_list(
    status: Annotated[JobStatus | None, typer.Option(help="Filter by status.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List recent outbox jobs (dead letters with --status dead)."""
    settings = _settings()
    migrate.require_up_to_date(settings)

    async def fetch(session: AsyncSession) -> list[dict[str, Any]]:
        return [
            {
                "id": j.id,
                "name": j.name,
                "status": j.status,
                "attempts": j.attempts,
                "last_error": _last_line(j.last_error),
            }
            for j in await outbox_admin.list_jobs(session, status=status)
        ]

    _print_rows(
        _in_session(settings, fetch), as_json, ["id", "name", "status", "attempts", "last_error"]
    )


@outbox_app.command("replay")
def outbox_replay(job_id: str) -> None:
    """Queue a dead job again with a fresh attempt budget."""
    settings = _settings()
    migrate.require_up_to_date(settings)

    async def replay(session: AsyncSession) -> str:
        return (await outbox_admin.replay_job(session, job_id=job_id)).name

    console.print(f"requeued {job_id} ({_in_session(settings, replay)})")


def _last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1][:100] if lines else ""


def _print_rows(rows: list[dict[str, Any]], as_json: bool, columns: list[str]) -> None:
    if as_json:
        print(json.dumps(rows, default=str))
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*[str(row.get(column) or "") for column in columns])
    console.print(table)


def main() -> None:
    """Entry point: any expected failure is one clear line on stderr and exit status 1."""
    try:
        app()
    except SfagentError as exc:
        err_console.print(f"[red]error:[/] {exc.message}")
        sys.exit(1)
    except (OperationalError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        err_console.print(f"[red]error:[/] database unavailable: {reason}")
        sys.exit(1)
    except (OSError, ConnectionError) as exc:
        err_console.print(f"[red]error:[/] {exc}")
        sys.exit(1)
