"""Run labelled customer questions through the whole agent, in process, and score the replies.

Each question is posted to a fresh conversation of a throwaway tenant on a temporary SQLite
database, exactly as the REST API would receive it, so the figures measure what a customer
gets: understanding, diagnostics, retrieval, the decision and the reply.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx

from sfagent.app import create_app
from sfagent.config import Settings
from sfagent.db import migrate
from sfagent.responder.answer_eval import AnswerCase, AnswerOutcome
from sfagent.tenancy import service as tenancy

Progress = Callable[[AnswerCase, AnswerOutcome], None]


async def run_answer_cases(
    cases: Sequence[AnswerCase],
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> list[AnswerOutcome]:
    """Each case's predicted category, reply text and whether the agent escalated."""
    with tempfile.TemporaryDirectory(prefix="sfagent-eval-") as folder:
        settings = _evaluation_settings(Path(folder), settings)
        # Alembic's env runs its own event loop, so it cannot run on this one.
        await anyio.to_thread.run_sync(migrate.upgrade, settings)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            if app.state.nlu is not None:
                await app.state.nlu.get()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://eval") as client:
                headers = await _tenant_headers(app, settings)
                outcomes = []
                for case in cases:
                    outcome = await _ask(client, headers, case.message)
                    outcomes.append(outcome)
                    if progress is not None:
                        progress(case, outcome)
                return outcomes


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


async def _tenant_headers(app: Any, settings: Settings) -> dict[str, str]:
    async with app.state.sessionmaker() as session:
        _, key = await tenancy.create_organization(
            session, name="Answer evaluation", settings=settings, tier="enterprise"
        )
        await session.commit()
    return {"X-API-Key": key.secret}


async def _ask(client: httpx.AsyncClient, headers: dict[str, str], message: str) -> AnswerOutcome:
    created = await client.post("/api/v1/conversations", json={"channel": "api"}, headers=headers)
    created.raise_for_status()
    url = f"/api/v1/conversations/{created.json()['id']}/messages"
    response = await client.post(url, json={"content": message}, headers=headers)
    response.raise_for_status()
    body = response.json()
    return AnswerOutcome(
        category=body.get("category") or "other",
        reply=body["response"],
        escalated=bool(body["requires_escalation"]),
    )
