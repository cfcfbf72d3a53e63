"""ASGI middleware: request id and access log, metrics, body-size cap, rate-limit headers."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfagent.errors import SfagentError
from sfagent.observability.metrics import observe_request

log = structlog.get_logger("sfagent.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Give every request an id, log it, count it, and add rate-limit headers."""

    def __init__(self, app: ASGIApp, *, metrics_enabled: bool = True) -> None:
        self.app = app
        self.metrics_enabled = metrics_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        supplied = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        status_holder: dict[str, int] = {"status": 500}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                response_headers = MutableHeaders(scope=message)
                response_headers["X-Request-ID"] = request_id
                decision = state.get("rate_limit")
                if decision is not None and "x-ratelimit-limit" not in response_headers:
                    for name, value in decision.headers().items():
                        response_headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            if self.metrics_enabled:
                try:
                    observe_request(scope["method"], route, status_holder["status"], elapsed)
                except Exception:  # metrics must never cost a customer their request
                    log.warning("metrics.record_failed", exc_info=True)
            log.info(
                "http.request",
                method=scope["method"],
                route=route,
                status=status_holder["status"],
                duration_ms=round(elapsed * 1000, 2),
            )


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class BodySizeLimitMiddleware:
    """Refuse bodies over the cap with 413, whether announced by Content-Length or streamed."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        path_limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Exact paths that accept larger bodies (debug-log uploads), each with its own cap.
        self.path_limits = path_limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope):
            await _send_error(send, 400, "the URL must not contain NUL (%00) characters", {})
            return
        cap = self.path_limits.get(scope.get("path", ""), self.max_body_bytes)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            await self._reject(send, cap)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    # Rendered as 413 by the app's SfagentError handler.
                    raise BodyTooLarge(cap)
            return message

        await self.app(scope, counting_receive, send)

    async def _reject(self, send: Send, cap: int) -> None:
        error = BodyTooLarge(cap)
        await _send_error(send, 413, error.message, error.details)


def _has_nul(scope: Scope) -> bool:
    return "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"")


async def _send_error(send: Send, status: int, message: str, details: dict[str, Any]) -> None:
    body = json.dumps({"error": message, "details": details}).encode()
    start: dict[str, Any] = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(SfagentError):
    status_code = 413

    def __init__(self, max_body_bytes: int) -> None:
        super().__init__(
            f"request body is larger than {max_body_bytes} bytes",
            details={"max_body_bytes": max_body_bytes},
        )
