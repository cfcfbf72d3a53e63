"""The whole agent in process for evaluations: a temporary SQLite database, migrated, the
app with its lifespan (NLU warmed), and an HTTP client that speaks to it as the REST API
would be spoken to. Nothing outlives the `async with`."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from sfagent.app import create_app
from sfagent.config import Settings
from sfagent.db import migrate
from sfagent.tenancy import service as tenancy


@dataclass
class EvaluationApp:
    app: Any
    client: httpx.AsyncClient
    settings: Settings
    _keys: dict[str, str] = field(default_factory=dict)

    async def tenant_headers(self, tier: str) -> dict[str, str]:
        """The API-key header of a tenant of `tier`, created on first use."""
        if tier not in self._keys:
            async with self.app.state.sessionmaker() as session:
                _, key = await tenancy.create_organization(
                    session, name=f"Evaluation ({tier})", settings=self.settings, tier=tier
                )
                await session.commit()
            self._keys[tier] = key.secret
        return {"X-API-Key": self._keys[tier]}


@asynccontextmanager
async def evaluation_app(base: Settings | None = None) -> AsyncIterator[EvaluationApp]:
    with tempfile.TemporaryDirectory(prefix="sfagent-eval-") as folder:
        settings = _evaluation_settings(Path(folder), base)
        # Alembic's env runs its own event loop, so it cannot run on this one.
        await anyio.to_thread.run_sync(migrate.upgrade, settings)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            if app.state.nlu is not None:
                await app.state.nlu.get()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://eval") as client:
                yield EvaluationApp(app, client, settings)


def _evaluation_settings(folder: Path, base: Settings | None) -> Settings:
    overrides: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{folder / 'eval.db'}",
        "redis_url": None,
        "migration_database_url": None,
        "database_schema": None,
        "rate_limit_disabled": True,
        "worker_enabled": False,
        "log_level": "WARNING",
        "metrics_enabled": False,
    }
    values = base.model_dump() if base is not None else {}
    return Settings(**{**values, **overrides})
