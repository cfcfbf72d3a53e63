"""Test stacks: SQLite + in-memory backplane always; PostgreSQL + Redis when configured.

PostgreSQL runs get a private schema and a private login role without BYPASSRLS, so the
app under test is bound by row-level security exactly as in production. Redis runs use a
private key prefix. Both are removed at the end of the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from sfagent.app import create_app
from sfagent.config import Settings, load_settings
from sfagent.db import migrate
from sfagent.db.engine import create_engine, create_sessionmaker
from sfagent.tenancy import service as tenancy
from tests.responder.llm.fake_server import FakeLLMServer

TEST_DATABASE_URL = os.environ.get("SFAGENT_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("SFAGENT_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("SFAGENT_REQUIRE_SERVICES") == "1"
RUN_ID = uuid.uuid4().hex[:10]
# SFAGENT_DATABASE_TIMEOUT_SECONDS for the PostgreSQL stack. The product default (5 s) bounds
# opening a connection; on a saturated CI runner (2 cores, the suite, PostgreSQL, Redis and
# e2e servers at once) a connect has taken longer, and asyncpg then gave up with an empty
# TimeoutError (a 503, plus a "Future exception was never retrieved: ConnectionError(
# 'unexpected connection_lost() call')" for the half-made connection it closed). Tests about
# timeouts set their own.
TEST_DATABASE_TIMEOUT_SECONDS = 30.0

# Never let a developer's .env or environment leak into the tests.
for name in list(os.environ):
    if name.startswith("SFAGENT_") and not name.startswith(("SFAGENT_TEST_", "SFAGENT_REQUIRE")):
        del os.environ[name]


def require_service(name: str, value: str | None) -> str:
    """The service URL, or skip (fail when SFAGENT_REQUIRE_SERVICES=1) when it is not set."""
    if value:
        return value
    message = f"{name} not configured (set SFAGENT_TEST_{name.upper()}_URL)"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and SFAGENT_REQUIRE_SERVICES=1 forbids skipping")
    pytest.skip(message)


@dataclass
class Stack:
    """One backend combination: the settings an app under test is built from."""

    name: str
    settings: Settings

    def app_settings(self, **overrides: Any) -> Settings:
        base = {
            "worker_enabled": False,
            "log_json": True,
            "log_level": "WARNING",
            # Every test signs in from one address, and many fail on purpose; the lockout
            # tests set their own thresholds.
            "auth_failures_per_address": 1_000_000,
            "auth_failures_per_credential": 1_000_000,
        }
        return self.settings.model_copy(update={**base, **overrides})


def _sqlite_stack(tmp_dir: Path) -> Stack:
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_dir / 'sfagent-test.db'}", environment="test"
    )
    migrate.upgrade(settings)
    return Stack("sqlite", settings)


async def _postgres_admin(url: str, statements: list[str]) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _postgres_stack(admin_url: str, redis_url: str) -> tuple[Stack, list[str]]:
    import asyncio

    schema = f"sfagent_test_{RUN_ID}"
    role = f"sfagent_test_app_{RUN_ID}"
    asyncio.run(
        _postgres_admin(
            admin_url,
            [
                f"CREATE SCHEMA {schema}",
                f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS",
            ],
        )
    )
    app_url = admin_url.replace("postgres@", f"{role}@", 1)
    if app_url == admin_url:
        raise RuntimeError("SFAGENT_TEST_DATABASE_URL must name the postgres user (user@host)")
    settings = load_settings(
        database_url=app_url,
        migration_database_url=admin_url,
        database_schema=schema,
        redis_url=redis_url,
        redis_prefix=f"sfagent-test-{RUN_ID}:",
        database_timeout_seconds=TEST_DATABASE_TIMEOUT_SECONDS,
        environment="test",
    )
    migrate.upgrade(settings)
    asyncio.run(
        _postgres_admin(
            admin_url,
            [
                f"GRANT USAGE ON SCHEMA {schema} TO {role}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
            ],
        )
    )
    teardown = [f"DROP SCHEMA IF EXISTS {schema} CASCADE", f"DROP ROLE IF EXISTS {role}"]
    return Stack("postgres", settings), teardown


async def _flush_redis_prefix(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.fixture(scope="session")
def sqlite_stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return _sqlite_stack(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgres_stack() -> Iterator[Stack]:
    import asyncio

    admin_url = require_service("database", TEST_DATABASE_URL)
    redis_url = require_service("redis", TEST_REDIS_URL)
    stack, teardown = _postgres_stack(admin_url, redis_url)
    try:
        yield stack
    finally:
        asyncio.run(_postgres_admin(admin_url, teardown))
        asyncio.run(_flush_redis_prefix(redis_url, stack.settings.redis_prefix))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """Each test using it runs on SQLite+memory and on PostgreSQL+Redis."""
    fixture = "sqlite_stack" if request.param == "sqlite" else "postgres_stack"
    result: Stack = request.getfixturevalue(fixture)
    return result


@dataclass
class TenantHandle:
    organization_id: str
    slug: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


@dataclass
class Harness:
    """An app with its lifespan running, a client for it, and ways to make tenants."""

    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings

    async def create_tenant(self, name: str | None = None, **kwargs: Any) -> TenantHandle:
        name = name or f"Tenant {uuid.uuid4().hex[:8]}"
        async with self.app.state.sessionmaker() as session:
            organization, key = await tenancy.create_organization(
                session, name=name, settings=self.settings, **kwargs
            )
            await session.commit()
        return TenantHandle(organization.id, organization.slug, key.secret)

    async def create_conversation(self, tenant: TenantHandle, **body: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/conversations", json=body, headers=tenant.headers
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def say(
        self, tenant: TenantHandle, text: str, conversation_id: str | None = None
    ) -> dict[str, Any]:
        """Post a message (to a new conversation unless one is given); the MessageResponse."""
        if conversation_id is None:
            conversation_id = (await self.create_conversation(tenant))["id"]
        response = await self.client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"content": text},
            headers=tenant.headers,
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_harness(stack: Stack) -> AsyncIterator[HarnessFactory]:
    """Build apps with setting overrides; each runs its lifespan until the test ends."""
    from contextlib import AsyncExitStack

    async with AsyncExitStack() as exits:

        async def build(**overrides: Any) -> Harness:
            settings = stack.app_settings(**overrides)
            app = create_app(settings)
            await exits.enter_async_context(app.router.lifespan_context(app))
            if app.state.nlu is not None:
                # As a deployment is after start-up: the model is loaded before traffic.
                await app.state.nlu.get()
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            )
            await exits.enter_async_context(client)
            return Harness(app, client, settings)

        yield build


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness()


@pytest.fixture
async def tenant(harness: Harness) -> TenantHandle:
    return await harness.create_tenant()


@pytest.fixture
def db_sessionmaker_for() -> Callable[[Settings], Any]:
    """A writer sessionmaker on a settings' database, for tests that inspect rows."""

    def build(settings: Settings) -> Any:
        return create_sessionmaker(create_engine(settings), writer=True)

    return build


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI every test must run: a skipped test (a missing service) fails the run."""
    if not (os.environ.get("CI") and REQUIRE_SERVICES):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        print(f"\nci: {skipped} test(s) skipped; CI requires every test to run")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
async def llm_server() -> AsyncIterator[FakeLLMServer]:
    """A local server speaking the OpenAI and Anthropic wire formats, scripted per test."""
    server = FakeLLMServer()
    await server.start()
    yield server
    await server.stop()
