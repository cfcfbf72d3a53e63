"""Migrations go up, down to base and up again on SQLite and PostgreSQL, and match the models.

Each test gets an empty database of its own: a fresh SQLite file, or a private PostgreSQL
schema created (and dropped) here as the admin user. The tests are synchronous because the
migration entry points run their own event loop.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from sfagent.config import Settings
from sfagent.db import migrate
from sfagent.db.engine import create_engine
from sfagent.db.models import Base
from tests.conftest import TEST_DATABASE_URL, require_service

T = TypeVar("T")
APPLICATION_TABLES = frozenset(Base.metadata.tables)
VERSION_TABLE = "alembic_version"
# Tables PostgreSQL row-level security protects (see the initial migration).
RLS_TABLES = frozenset(
    {
        "end_users",
        "conversations",
        "messages",
        "conversation_events",
        "idempotency_records",
        "audit_log",
    }
)


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings naming a database with no tables at all."""
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}")
        return
    admin_url = require_service("database", TEST_DATABASE_URL)
    schema = f"sfagent_migrations_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(admin_url, f"CREATE SCHEMA {schema}"))
    try:
        yield Settings(database_url=admin_url, database_schema=schema)
    finally:
        asyncio.run(_admin(admin_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def on_database(settings: Settings, inspect_with: Callable[[Connection], T]) -> T:
    """Run a synchronous inspection on a connection to the settings' database."""

    async def run() -> T:
        engine = create_engine(migrate.migration_settings(settings))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(inspect_with)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def table_names(settings: Settings) -> set[str]:
    return on_database(
        settings,
        lambda connection: set(inspect(connection).get_table_names(settings.database_schema)),
    )


def schema_differences(settings: Settings) -> list[Any]:
    """What alembic autogenerate would change to make the database match the models."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    return on_database(settings, compare)


def row_security(settings: Settings) -> dict[str, tuple[bool, bool, int]]:
    """PostgreSQL: per table, (RLS enabled, RLS forced, number of policies)."""
    statement = text(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
        " (SELECT count(*) FROM pg_policies p"
        "  WHERE p.schemaname = n.nspname AND p.tablename = c.relname) AS policies"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = :schema AND c.relkind = 'r'"
    )
    return on_database(
        settings,
        lambda connection: {
            row.relname: (row.relrowsecurity, row.relforcerowsecurity, row.policies)
            for row in connection.execute(statement, {"schema": settings.database_schema})
        },
    )


def policies_in_schema(settings: Settings) -> int:
    statement = text("SELECT count(*) FROM pg_policies WHERE schemaname = :schema")
    return on_database(
        settings,
        lambda connection: int(
            connection.execute(statement, {"schema": settings.database_schema}).scalar_one()
        ),
    )


def current_revision(settings: Settings) -> str | None:
    return asyncio.run(migrate.current_revision(settings))


def assert_at_head(settings: Settings) -> None:
    head = migrate.head_revision(settings)
    assert head is not None
    assert current_revision(settings) == head
    assert migrate.is_up_to_date(settings)
    assert table_names(settings) == APPLICATION_TABLES | {VERSION_TABLE}
    if not settings.is_sqlite:
        security = row_security(settings)
        for table in RLS_TABLES:
            assert security[table] == (True, True, 1), table


def assert_at_base(settings: Settings) -> None:
    assert current_revision(settings) is None
    assert table_names(settings) - {VERSION_TABLE} == set()
    if not settings.is_sqlite:
        assert policies_in_schema(settings) == 0


def test_migrations_go_up_down_to_base_and_up_again(empty_database: Settings) -> None:
    settings = empty_database
    assert table_names(settings) == set()

    migrate.upgrade(settings)
    assert_at_head(settings)

    migrate.downgrade(settings, "base")
    assert_at_base(settings)

    migrate.upgrade(settings)
    assert_at_head(settings)
    assert schema_differences(settings) == []


def test_each_migration_reverts_to_its_predecessor(empty_database: Settings) -> None:
    """Stairway: every revision goes up, back down one step, and up again."""
    settings = empty_database
    script = ScriptDirectory.from_config(migrate.alembic_config(settings))
    revisions = list(reversed(list(script.walk_revisions())))
    assert revisions, "there should be at least one migration"
    for revision in revisions:
        migrate.upgrade(settings, revision.revision)
        assert current_revision(settings) == revision.revision
        migrate.downgrade(settings, "-1")
        assert current_revision(settings) == revision.down_revision
        migrate.upgrade(settings, revision.revision)
        assert current_revision(settings) == revision.revision
    assert_at_head(settings)


def test_models_match_migrations(empty_database: Settings) -> None:
    # The comparison looks at this database: before migrating, every table is missing.
    missing = {
        diff[1].name for diff in schema_differences(empty_database) if diff[0] == "add_table"
    }
    assert missing == APPLICATION_TABLES

    migrate.upgrade(empty_database)

    assert schema_differences(empty_database) == []
