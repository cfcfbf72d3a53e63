"""Public operational routes: /health, /ready, /metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from sfagent import __version__
from sfagent.observability.metrics import render_metrics

router = APIRouter(tags=["operations"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers. Checks nothing else on purpose."""
    return {"status": "ok", "version": __version__}


@router.get("/ready", responses={503: {"description": "A dependency is unavailable"}})
async def ready(request: Request) -> JSONResponse:
    """Readiness: the database and backplane answer and the models are loaded."""
    state = request.app.state
    timeout = state.settings.database_timeout_seconds
    checks: dict[str, Any] = {
        "database": await _check(_ping_database(state.engine), timeout),
        "backplane": await _check(state.backplane.ping(), timeout),
        "models": _models(state),
    }
    healthy = all(check["status"] == "ok" for check in checks.values())
    return JSONResponse(
        {"status": "ready" if healthy else "unavailable", "checks": checks},
        status_code=200 if healthy else 503,
    )


def _models(state: Any) -> dict[str, Any]:
    """Loaded models; not ready while the NLU model or the dense ranking is loading or failed."""
    loaded = set(state.loaded_models)
    nlu = getattr(state, "nlu", None)
    if nlu is not None and nlu.ready:
        loaded.add("nlu")
    report: dict[str, Any] = {"status": "ok", "loaded": sorted(loaded)}
    problems = []
    if nlu is not None and not nlu.ready:
        problems.append(f"nlu: {nlu.error}" if nlu.error else "nlu: loading")
    dense = getattr(state, "kb_dense", None)  # None: off or ready; else loading or an error
    if dense is not None:
        problems.append(f"kb_dense: {dense}")
    if problems:
        report["status"] = "error"
        report["error"] = "; ".join(problems)
    return report


async def _ping_database(engine: Any) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _check(probe: Any, limit_seconds: float) -> dict[str, str]:
    try:
        await asyncio.wait_for(probe, timeout=limit_seconds)
    except Exception as exc:  # any failure means "not ready", with the reason shown
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "ok"}


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
