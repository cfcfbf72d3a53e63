"""What the `sfagent kb` commands share: who the CLI acts as, the database, errors, progress."""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.config import Settings
from sfagent.db.engine import create_engine, create_sessionmaker
from sfagent.errors import SfagentError
from sfagent.kb.store import KnowledgeStore
from sfagent.knowledge import load_default_articles
from sfagent.tenancy import service as tenancy
from sfagent.tenancy.context import Principal, PrincipalKind, Scope, Tenant
from sfagent.tenancy.models import Organization

err_console = Console(stderr=True, soft_wrap=True)


def cli_principal() -> Principal:
    """Who the CLI acts as: the operating-system user, with every scope.

    Whoever can run commands on the server can already read its database and secrets, so
    the CLI does not pretend to be a narrower credential; audit entries name the operator
    as "staff:cli:<user>".
    """
    try:
        user = getpass.getuser()
    except OSError:  # no login name in the environment or the password database
        user = "unknown"
    return Principal(kind=PrincipalKind.STAFF, id=f"cli:{user}", scopes=frozenset(Scope))


def tenant_for(organization: Organization, settings: Settings) -> Tenant:
    return Tenant(
        organization_id=organization.id,
        slug=organization.slug,
        tier=organization.tier,
        limits=tenancy.resolve_limits(organization, settings),
        principal=cli_principal(),
    )


def default_store() -> KnowledgeStore:
    # Imports read only the defaults (to override and compare); no index is built.
    return KnowledgeStore(load_default_articles(), max_tenants=1)


@dataclass(frozen=True, slots=True)
class Sessions:
    reader: async_sessionmaker[AsyncSession]
    writer: async_sessionmaker[AsyncSession]  # takes SQLite's write lock at BEGIN


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[Sessions]:
    engine = create_engine(settings)
    try:
        yield Sessions(create_sessionmaker(engine), create_sessionmaker(engine, writer=True))
    finally:
        await engine.dispose()


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn every expected failure into one line on stderr and exit status 1."""
    try:
        yield
    except SfagentError as error:
        fail(error.message, error)
    except (OperationalError, DBAPIError) as error:
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        fail(f"database unavailable: {reason}", error)
    except TimeoutError as error:
        fail("the database did not answer in time (SFAGENT_DATABASE_TIMEOUT_SECONDS)", error)
    except OSError as error:
        fail(str(error) or type(error).__name__, error)


def fail(message: str, error: BaseException) -> None:
    err_console.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(1) from error


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Progress]:
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        # Bars are for a person at a terminal; in a pipe or log they are only noise.
        disable=quiet or not err_console.is_terminal,
        transient=True,
    )
    with bar:
        yield bar
