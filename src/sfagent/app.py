"""The FastAPI application factory: routers, middleware, error handlers, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from sfagent import __version__
from sfagent.admin_rules import api as admin_rules_api
from sfagent.analysis import api as analysis_api
from sfagent.analysis.runner import AnalysisRunner, analysis_body_limits
from sfagent.backplane.base import Backplane
from sfagent.backplane.factory import create_backplane
from sfagent.config import Settings, load_settings
from sfagent.conversations import api as conversations_api
from sfagent.conversations import live as conversations_live
from sfagent.conversations.tasks import (
    HANDLERS as CONVERSATION_JOBS,
)
from sfagent.conversations.tasks import (
    enforce_retention,
    purge_expired_idempotency_records,
    sweep_inactive_conversations,
)
from sfagent.db.engine import create_engine, create_sessionmaker
from sfagent.errors import SfagentError
from sfagent.escalation import api as escalation_api
from sfagent.escalation.tasks import flag_sla_breaches_everywhere
from sfagent.health import api as health_api
from sfagent.kb import api as kb_api
from sfagent.kb.store import KnowledgeStore
from sfagent.knowledge import load_default_articles
from sfagent.knowledge.dense import DenseRetrievers, dense_factory
from sfagent.llm_usage import api as llm_usage_api
from sfagent.llm_usage.runtime import LlmRuntime
from sfagent.notifications import api as notifications_api
from sfagent.notifications.tasks import HANDLERS as NOTIFICATION_JOBS
from sfagent.observability.logging import configure_logging
from sfagent.observability.metrics import prepare_metrics_directory
from sfagent.observability.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from sfagent.outbox.periodic import run_periodically
from sfagent.outbox.registry import JobHandler
from sfagent.outbox.worker import OutboxWorker
from sfagent.pipeline.nlu_runtime import NluRuntime
from sfagent.privacy import api as privacy_api
from sfagent.salesforce import api as salesforce_api
from sfagent.salesforce.status_sync import pull_case_updates_everywhere
from sfagent.salesforce.tasks import HANDLERS as SALESFORCE_JOBS
from sfagent.security import api as audit_api
from sfagent.security import policy_api as security_policy_api
from sfagent.security.crypto import KeyringError
from sfagent.security.lockout import AuthLockout, LockoutPolicy
from sfagent.security.ratelimit import RateLimiter
from sfagent.tenancy import api as tenancy_api
from sfagent.tenancy.usage import KeyUsageRecorder
from sfagent.web import pages as web_pages

log = structlog.get_logger(__name__)

# Every job the outbox can run, by name. A new domain adds its HANDLERS here.
JOB_HANDLERS: dict[str, JobHandler] = {
    **CONVERSATION_JOBS,
    **NOTIFICATION_JOBS,
    **SALESFORCE_JOBS,
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; resources are created in the lifespan, never at import."""
    settings = settings or load_settings()
    app = FastAPIOffline(
        title="sfagent",
        version=__version__,
        description="Self-hostable AI customer-service agent for Salesforce customers.",
        lifespan=partial(lifespan, settings=settings),
    )
    app.state.settings = settings
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        path_limits=analysis_body_limits(settings),
    )
    app.add_middleware(RequestContextMiddleware, metrics_enabled=settings.metrics_enabled)
    install_error_handlers(app)
    app.include_router(health_api.router)
    app.include_router(tenancy_api.router)
    app.include_router(conversations_api.router)
    app.include_router(conversations_api.messages_router)
    app.include_router(conversations_api.attachments_router)
    app.include_router(conversations_live.router)
    app.include_router(analysis_api.router)
    app.include_router(kb_api.router)
    app.include_router(llm_usage_api.router)
    app.include_router(admin_rules_api.router)
    app.include_router(admin_rules_api.hours_router)
    app.include_router(notifications_api.router)
    app.include_router(escalation_api.router)
    app.include_router(salesforce_api.router)
    app.include_router(audit_api.router)
    app.include_router(security_policy_api.router)
    app.include_router(privacy_api.router)
    app.include_router(security_policy_api.reveal_router)
    app.include_router(web_pages.router)
    app.mount("/static", web_pages.static_files(), name="static")
    return app


@asynccontextmanager
async def lifespan(app: FastAPI, *, settings: Settings) -> AsyncIterator[None]:
    configure_logging(level=settings.log_level, json=settings.log_json)
    engine = create_engine(settings)
    backplane = create_backplane(settings)
    state = app.state
    state.engine = engine
    state.analysis_runner = AnalysisRunner(settings.analyze_concurrency)
    state.read_sessionmaker = create_sessionmaker(engine)
    state.sessionmaker = create_sessionmaker(engine, writer=True)
    state.backplane = backplane
    state.sqlite_write_lock = asyncio.Lock() if settings.is_sqlite else None
    prepare_metrics_directory()
    state.rate_limiter = RateLimiter(
        backplane,
        window_seconds=settings.rate_limit_window_seconds,
        disabled=settings.rate_limit_disabled,
    )
    state.key_usage = KeyUsageRecorder(state.sessionmaker)
    state.auth_lockout = AuthLockout(
        backplane,
        LockoutPolicy(
            failures_per_address=settings.auth_failures_per_address,
            failures_per_credential=settings.auth_failures_per_credential,
            window_seconds=settings.auth_failure_window_seconds,
            lockout_seconds=settings.auth_lockout_seconds,
            disabled=settings.auth_lockout_disabled,
        ),
    )
    # Engines that load models (NLU, embeddings) register here for /ready.
    state.loaded_models = set()
    state.nlu = NluRuntime(settings) if settings.nlu_enabled else None
    state.knowledge, dense, state.kb_dense = _knowledge_store(settings)
    state.llm = LlmRuntime.from_settings(
        settings, state.sessionmaker, write_lock=state.sqlite_write_lock
    )
    background = start_background_work(state.sessionmaker, backplane, settings)
    if state.nlu is not None:
        background.append(asyncio.create_task(state.nlu.load(), name="nlu-load"))
    if dense is not None:
        background.append(asyncio.create_task(_warm_dense(state, dense), name="kb-dense-warm"))
    log.info("sfagent.started", database=engine.dialect.name, backplane=backplane.name)
    try:
        yield
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if state.llm is not None:
            await state.llm.aclose()
        await state.key_usage.close()
        await backplane.close()
        await engine.dispose()


DENSE_LOADING = "loading"


def _knowledge_store(
    settings: Settings,
) -> tuple[KnowledgeStore, DenseRetrievers | None, str | None]:
    """The search indexes, their dense retrievers, and the dense ranking's state: None (off),
    loading, or an error.

    A dense encoder that cannot load (the `semantic` extra missing) leaves search lexical
    and /ready failing with the reason, rather than keeping the server down.
    """
    dense: DenseRetrievers | None = None
    status = None
    if settings.kb_dense_encoder != "off":
        try:
            dense = dense_factory(
                settings.kb_dense_encoder,
                cache_dir=settings.nlu_cache,
                max_shared_vectors=settings.kb_dense_shared_vectors,
            )
            status = DENSE_LOADING
        except SfagentError as error:
            status = f"{settings.kb_dense_encoder} encoder unavailable: {error}"
            log.error("kb.dense_unavailable", error=status)
    store = KnowledgeStore(
        load_default_articles(), max_tenants=settings.kb_index_cache_tenants, dense=dense
    )
    return store, dense, status


async def _warm_dense(state: Any, dense: DenseRetrievers) -> None:
    """Embed the shipped articles' chunks in the background (/ready waits for it), then keep
    the vectors for the next start."""
    try:
        await state.knowledge.warm()
    except Exception as error:  # a failing encoder must not take the server down
        state.kb_dense = f"{type(error).__name__}: {error}"[:300]
        log.error("kb.dense_warm_failed", error=state.kb_dense)
        return
    try:
        await anyio.to_thread.run_sync(dense.persist)
    except OSError as error:  # a read-only cache costs the next start a warm-up, nothing more
        log.warning("kb.dense_not_persisted", error=str(error))
    state.kb_dense = None
    state.loaded_models.add("kb_dense")
    log.info("kb.dense_ready", vectors=len(dense.shared))


def start_background_work(
    sessionmaker: async_sessionmaker[AsyncSession], backplane: Backplane, settings: Settings
) -> list[asyncio.Task[Any]]:
    """The in-process outbox worker and maintenance loops (the embedded default)."""
    if not settings.worker_enabled:
        return []
    worker = OutboxWorker(
        sessionmaker=sessionmaker, backplane=backplane, settings=settings, handlers=JOB_HANDLERS
    )
    interval = settings.sweeper_interval_seconds
    return [
        asyncio.create_task(worker.run_forever(), name="outbox-worker"),
        asyncio.create_task(
            run_periodically(
                "sweep_inactive_conversations",
                partial(sweep_inactive_conversations, sessionmaker, settings),
                interval,
            )
        ),
        asyncio.create_task(
            run_periodically(
                "purge_idempotency_records",
                partial(purge_expired_idempotency_records, sessionmaker, settings),
                interval * 10,
            )
        ),
        asyncio.create_task(
            run_periodically(
                "pull_salesforce_case_updates",
                partial(pull_case_updates_everywhere, sessionmaker, settings),
                settings.salesforce_poll_seconds,
            )
        ),
        asyncio.create_task(
            run_periodically(
                "flag_sla_breaches",
                partial(flag_sla_breaches_everywhere, sessionmaker, settings),
                interval,
            )
        ),
        asyncio.create_task(
            run_periodically(
                "enforce_retention",
                partial(enforce_retention, sessionmaker, settings),
                interval * 10,
            )
        ),
    ]


def _error(
    status: int,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": message, "details": details or {}}, status_code=status, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as {"error": ..., "details": ...} with its HTTP meaning."""

    @app.exception_handler(SfagentError)
    async def sfagent_error(_request: Request, exc: SfagentError) -> JSONResponse:
        if exc.status_code >= 500:
            log.error("request.failed", error=exc.message)
        return _error(exc.status_code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        content_type = request.headers.get("content-type", "")
        if (
            request.method in ("POST", "PUT", "PATCH")
            and content_type
            and ("json" not in content_type.lower())
        ):
            return _error(
                400,
                f"the body must be JSON: send Content-Type: application/json "
                f"(got {content_type[:60]!r})",
            )
        if any(error.get("type") == "json_invalid" for error in errors):
            position = next(
                (e.get("ctx", {}).get("error") for e in errors if e.get("type") == "json_invalid"),
                None,
            )
            return _error(400, "malformed JSON body", {"reason": str(position or "invalid")})
        fields = [{"field": _field_name(error["loc"]), "message": error["msg"]} for error in errors]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:3])
        return _error(422, summary or "invalid request", {"errors": fields})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if message == "There was an error parsing the body":  # FastAPI's generic wording
            message = "the body is not valid JSON (malformed, or nested or sized beyond limits)"
        return _error(exc.status_code, message, headers=dict(exc.headers or {}))

    @app.exception_handler(OperationalError)
    async def database_unavailable(_request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database.unavailable", error=str(exc.orig)[:300])
        return _error(503, "database unavailable; retry shortly", headers={"Retry-After": "5"})

    @app.exception_handler(DBAPIError)
    async def database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return _error(503, "database unavailable; retry shortly", headers={"Retry-After": "5"})
        log.exception("database.error")
        return _error(500, "internal error")

    @app.exception_handler(RedisError)
    async def backplane_unavailable(_request: Request, exc: RedisError) -> JSONResponse:
        log.error("backplane.unavailable", error=str(exc)[:300])
        return _error(503, "backplane unavailable; retry shortly", headers={"Retry-After": "5"})

    @app.exception_handler(OSError)
    async def network_unavailable(_request: Request, exc: OSError) -> JSONResponse:
        # Connection refused or reset by the database or Redis before SQLAlchemy wraps it.
        log.error("dependency.unreachable", error=f"{type(exc).__name__}: {exc}"[:300])
        return _error(
            503, "a backing service is unavailable; retry shortly", headers={"Retry-After": "5"}
        )

    @app.exception_handler(KeyringError)
    async def encryption_key_unavailable(_request: Request, exc: KeyringError) -> JSONResponse:
        # Stored data this server cannot decrypt: a configuration problem, not the caller's.
        log.error("encryption.key_unavailable", error=str(exc)[:300])
        return _error(503, "stored data cannot be decrypted with the configured keys")

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("request.crashed", error_type=type(exc).__name__)
        return _error(500, "internal error")


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if len(parts) > 1 else parts
    return ".".join(parts)
