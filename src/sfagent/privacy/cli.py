"""`sfagent privacy`: export or erase an end user, run the retention purge. Audited as the
operating-system user ("staff:cli:<user>")."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError

from sfagent.config import Settings, load_settings
from sfagent.db import migrate
from sfagent.db.engine import bind_tenant
from sfagent.errors import SfagentError, ValidationFailed
from sfagent.kb.cli_support import clear_errors, database, err_console, progress_bar, tenant_for
from sfagent.privacy import service
from sfagent.tenancy import service as tenancy

console = Console(soft_wrap=True)

privacy_app = typer.Typer(
    help="GDPR/CCPA: export or erase an end user's data, run the retention purge.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

OrgOption = Annotated[str, typer.Option("--org", help="Organization slug or id.")]
UserOption = Annotated[
    str, typer.Option("--user", help="The end user's id in your system (the JWT subject).")
]
MAX_EXTERNAL_ID = 200


@privacy_app.command("export")
def export_command(
    org: OrgOption,
    user: UserOption,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the JSON here (readable by you only); default stdout."),
    ] = None,
) -> None:
    """Print or save everything stored about one end user as one JSON document."""
    with clear_errors():
        settings = _checked_settings(user)
        asyncio.run(_export(settings, org, user, out))
    if out is not None:
        console.print(f"exported end user {user!r} to {out}", highlight=False)


async def _export(settings: Settings, org: str, user: str, out: Path | None) -> None:
    async with database(settings) as sessions, sessions.writer() as session, session.begin():
        tenant = tenant_for(await tenancy.get_organization(session, org), settings)
        await bind_tenant(session, tenant.organization_id)
        document = await service.export_end_user(session, tenant, user)
        # Written before the commit: when the file cannot be written, no export is audited.
        _deliver(json.dumps(document, indent=2, ensure_ascii=False), out)


def _deliver(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text + "\n")
        return
    # Personal data: the file is created readable by its owner only.
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text + "\n")


@privacy_app.command("erase")
def erase_command(
    org: OrgOption,
    user: UserOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm.")] = False,
) -> None:
    """Erase one end user's content and identity (their conversations stay as anonymous
    rows). Cannot be undone."""
    with clear_errors():
        settings = _checked_settings(user)
        if not yes:
            typer.confirm(
                f"Erase everything stored about end user {user!r} in {org!r}? "
                "This cannot be undone.",
                abort=True,
            )
        report = asyncio.run(_erase(settings, org, user))
    console.print(
        f"erased end user {user!r} (now {report['end_user_id']}): "
        f"{report['conversations']} conversation(s), {report['messages']} message(s), "
        f"{report['attachments']} attachment(s), {report['escalations']} escalation(s), "
        f"{report['outbox_jobs_cancelled']} Case sync(s) cancelled",
        highlight=False,
    )
    if report["salesforce_case_ids"]:
        cases = ", ".join(report["salesforce_case_ids"])
        console.print(f"Salesforce Cases to review in Salesforce: {cases}", highlight=False)


async def _erase(settings: Settings, org: str, user: str) -> dict[str, Any]:
    async with database(settings) as sessions, sessions.writer() as session, session.begin():
        tenant = tenant_for(await tenancy.get_organization(session, org), settings)
        await bind_tenant(session, tenant.organization_id)
        return asdict(await service.erase_end_user(session, tenant, user))


@privacy_app.command("purge")
def purge_command(
    org: Annotated[
        str | None, typer.Option("--org", help="Organization slug or id; every one when omitted.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Delete finished conversations past each organization's retention period now."""
    with clear_errors():
        settings = load_settings()
        migrate.require_up_to_date(settings)
        rows, failed = asyncio.run(_purge(settings, org, quiet=quiet))
    for slug, run in rows:
        console.print(
            f"{slug}: deleted {run.deleted} conversation(s) last active before "
            f"{run.cutoff.isoformat(timespec='seconds')} ({run.retention_days} days)",
            highlight=False,
        )
    if failed:
        err_console.print(
            f"error: {len(failed)} organization(s) not purged: {', '.join(failed[:10])}",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)


async def _purge(
    settings: Settings, org: str | None, *, quiet: bool
) -> tuple[list[tuple[str, service.RetentionRun]], list[str]]:
    async with database(settings) as sessions:
        async with sessions.reader() as session:
            if org is not None:
                organizations = [await tenancy.get_organization(session, org)]
            else:
                organizations = list(await tenancy.list_organizations(session))
        rows: list[tuple[str, service.RetentionRun]] = []
        failed: list[str] = []
        with progress_bar(quiet or len(organizations) < 2) as bar:
            task = bar.add_task("purging", total=len(organizations))
            for organization in organizations:
                tenant = tenant_for(organization, settings)
                # One transaction per organization: each purge stands alone, as scheduled,
                # and one that fails does not stop the others.
                try:
                    async with sessions.writer() as session, session.begin():
                        await bind_tenant(session, tenant.organization_id)
                        run = await service.run_retention(session, tenant)
                    rows.append((organization.slug, run))
                except (SfagentError, DBAPIError, OSError) as error:
                    failed.append(organization.slug)
                    err_console.print(
                        f"{organization.slug}: not purged: {type(error).__name__}: {error}",
                        markup=False,
                        highlight=False,
                    )
                bar.update(task, advance=1, description=f"purged {organization.slug}")
    return rows, failed


def _checked_settings(user: str) -> Settings:
    if not user.strip() or len(user) > MAX_EXTERNAL_ID:
        raise ValidationFailed("--user", f"must be 1-{MAX_EXTERNAL_ID} characters")
    settings = load_settings()
    migrate.require_up_to_date(settings)
    return settings
