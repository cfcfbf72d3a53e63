"""Build the async engine and sessionmaker for SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from sfagent.config import Settings
from sfagent.db.encrypted import install_keyring
from sfagent.security.audit_seal import install_seal_key, seal_key_for

TENANT_INFO_KEY = "tenant_org_id"
SET_TENANT_SQL = text("SELECT set_config('app.current_org_id', :org, true)")


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine configured for the backend the settings name."""
    if settings.is_sqlite:
        engine = _create_sqlite_engine(settings)
    else:
        engine = _create_postgres_engine(settings)
    install_keyring(engine, settings.keyring())
    install_seal_key(engine, seal_key_for(settings.secret_key.get_secret_value()))
    return engine


def _create_sqlite_engine(settings: Settings) -> AsyncEngine:
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        settings.database_url,
        connect_args={"timeout": settings.database_timeout_seconds * 6},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.database_timeout_seconds * 6000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        # A write transaction takes the write lock up front: a deferred transaction
        # that upgrades later fails at once with "database is locked" under contention.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _create_postgres_engine(settings: Settings) -> AsyncEngine:
    server_settings = {"application_name": "sfagent"}
    if settings.database_schema:
        server_settings["search_path"] = settings.database_schema
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=True,
        pool_timeout=settings.database_timeout_seconds,
        connect_args={
            "server_settings": server_settings,
            "timeout": settings.database_timeout_seconds,
            "command_timeout": settings.database_timeout_seconds * 6,
        },
    )


def create_sessionmaker(
    engine: AsyncEngine, *, writer: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Sessions on the engine; writer sessions take SQLite's write lock at BEGIN."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if writer else engine
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False)


@event.listens_for(Session, "after_begin")
def _apply_tenant_setting(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    """Set app.current_org_id for the transaction so PostgreSQL row-level security applies."""
    org_id = session.info.get(TENANT_INFO_KEY)
    if org_id and connection.dialect.name == "postgresql":
        connection.execute(SET_TENANT_SQL, {"org": org_id})


async def bind_tenant(session: AsyncSession, organization_id: str) -> None:
    """Scope this session's transactions to one organization (PostgreSQL RLS)."""
    session.info[TENANT_INFO_KEY] = organization_id
    bind = session.bind
    if session.in_transaction() and bind is not None and bind.dialect.name == "postgresql":
        # The transaction already began (authentication read the key): apply it now too.
        await session.execute(SET_TENANT_SQL, {"org": organization_id})
