"""Run Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from sfagent.config import Settings
from sfagent.db.engine import create_engine
from sfagent.errors import SfagentError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def migration_settings(settings: Settings) -> Settings:
    """The settings migrations connect with (the owner role, when one is configured)."""
    if settings.migration_database_url:
        return settings.model_copy(update={"database_url": settings.migration_database_url})
    return settings


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["settings"] = migration_settings(settings)
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Apply migrations up to revision."""
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "-1") -> None:
    """Revert migrations down to revision ("base" removes every table)."""
    command.downgrade(alembic_config(settings), revision)


def head_revision(settings: Settings) -> str | None:
    return ScriptDirectory.from_config(alembic_config(settings)).get_current_head()


async def current_revision(settings: Settings) -> str | None:
    """The revision the database is at, or None when it has no schema yet."""
    engine = create_engine(migration_settings(settings))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_read_revision)
    finally:
        await engine.dispose()


def _read_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_up_to_date(settings: Settings) -> bool:
    return asyncio.run(current_revision(settings)) == head_revision(settings)


class SchemaOutOfDate(SfagentError):
    def __init__(self) -> None:
        super().__init__("the database schema is not up to date: run `sfagent db upgrade`")


def require_up_to_date(settings: Settings) -> None:
    """Refuse to work on an old schema, naming the command that fixes it (CLI commands)."""
    if not is_up_to_date(settings):
        raise SchemaOutOfDate()
