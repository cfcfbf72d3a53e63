"""The permission matrix, proved route by route: every role's credentials against every
guarded route, the WebSocket's in-handler guard, and API keys holding a single scope.

The routes come from the app itself (sfagent.security.permissions reads each route's
`require(...)` dependency), so a new route is covered the moment it is mounted, and a new
route without a guard fails `test_every_api_route_is_public_by_choice_or_has_one_scope`
unless it is added to PUBLIC_API_ROUTES on purpose.

Every test runs on SQLite+memory and on PostgreSQL+Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from sfagent.app import create_app
from sfagent.config import load_settings
from sfagent.security.permissions import WEBSOCKET, RouteRule, route_scopes
from sfagent.tenancy import service as tenancy
from sfagent.tenancy.auth import issue_end_user_token
from sfagent.tenancy.context import END_USER_SCOPES, ROLE_SCOPES, Scope
from sfagent.tenancy.models import StaffRole
from tests.conftest import Harness, Stack, TenantHandle
from tests.tenancy.test_auth import assert_forbidden, bearer, load_organization, staff_headers

Headers = dict[str, str]

# Public on purpose: the only /api/v1 routes that take no credential.
PUBLIC_API_ROUTES = {("POST", "/api/v1/auth/login")}
END_USER = "end_user"
ROLES = [*(role.value for role in StaffRole), END_USER]
# Syntactically valid ids that name nothing: the guard runs before any lookup.
MISSING_ID = "00000000-0000-0000-0000-000000000000"
MISSING_SLUG = "no-such-article-rbac"
PATH_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
WEBSOCKET_WAIT_SECONDS = 30.0  # only so that a hung socket fails instead of hanging
DISCONNECT_WAIT_SECONDS = 5.0


def collect_rules() -> list[RouteRule]:
    """Every /api/v1 rule of an app built as tests build it (no lifespan, nothing opened)."""
    app = create_app(load_settings(database_url="sqlite+aiosqlite:///:memory:", environment="test"))
    return [rule for rule in route_scopes(app) if rule.path.startswith("/api/v1/")]


API_RULES = collect_rules()
GUARDED_HTTP = [rule for rule in API_RULES if rule.method != WEBSOCKET and rule.scope is not None]
GUARDED_WEBSOCKETS = [
    rule for rule in API_RULES if rule.method == WEBSOCKET and rule.scope is not None
]


def scopes_of(role: str) -> frozenset[str]:
    if role == END_USER:
        return frozenset(scope.value for scope in END_USER_SCOPES)
    return frozenset(scope.value for scope in ROLE_SCOPES[StaffRole(role)])


def concrete_path(template: str) -> str:
    """The path with each {parameter} filled by an id that exists nowhere."""

    def value(match: re.Match[str]) -> str:
        return MISSING_SLUG if match.group(1) == "slug" else MISSING_ID

    return PATH_PARAMETER.sub(value, template)


def send_kwargs(method: str) -> dict[str, Any]:
    """A minimal body: `{}` where one is expected, so the guard is all that is tested."""
    return {"json": {}} if method in ("POST", "PUT", "PATCH") else {}


# --- every route declares its guard --------------------------------------------------


def test_every_api_route_is_public_by_choice_or_has_one_scope() -> None:
    problems = []
    for rule in API_RULES:
        key = (rule.method, rule.path)
        if key in PUBLIC_API_ROUTES:
            if not rule.public:
                problems.append(f"{rule.label} is in PUBLIC_API_ROUTES but is guarded now")
        elif rule.public:
            problems.append(
                f"{rule.label} takes no credential: guard it with require(Scope.X) "
                "(an Annotated alias from sfagent.tenancy.dependencies), or add it to "
                "PUBLIC_API_ROUTES if it is public on purpose"
            )
        elif len(rule.scopes) != 1:
            problems.append(f"{rule.label} demands {list(rule.scopes) or 'no scope'}, not one")
    labels = {(rule.method, rule.path) for rule in API_RULES}
    problems += [
        f"{method} {path} is in PUBLIC_API_ROUTES but no longer exists"
        for method, path in sorted(PUBLIC_API_ROUTES - labels)
    ]
    assert not problems, "\n".join(problems)


# --- each role against each guarded route --------------------------------------------


@dataclass
class Callers:
    """One app and tenant, with a logged-in credential per role."""

    harness: Harness
    tenant: TenantHandle
    headers: dict[str, Headers]

    @property
    def app(self) -> FastAPI:
        return self.harness.app

    @property
    def client(self) -> httpx.AsyncClient:
        return self.harness.client

    async def key_with(self, *scopes: str) -> Headers:
        """A fresh API key of the tenant holding exactly these scopes."""
        async with self.app.state.sessionmaker() as session:
            created = await tenancy.create_api_key(
                session,
                organization_id=self.tenant.organization_id,
                name=f"rbac {' '.join(scopes)}",
                scopes=list(scopes),
            )
            await session.commit()
        return {"X-API-Key": created.secret}


@pytest.fixture(scope="module")
async def callers(stack: Stack) -> AsyncIterator[Callers]:
    """Built once per backend for the whole module: every case is one request."""
    # Hundreds of requests from one address; on Redis, other tests' deliberate failed
    # sign-ins share that address's lockout counter for the whole run.
    settings = stack.app_settings(
        rate_limit_disabled=True, auth_lockout_disabled=True, nlu_enabled=False
    )
    async with AsyncExitStack() as exits:
        app = create_app(settings)
        await exits.enter_async_context(app.router.lifespan_context(app))
        client = await exits.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        )
        harness = Harness(app, client, settings)
        tenant = await harness.create_tenant()
        headers = {role.value: await staff_headers(harness, tenant, role) for role in StaffRole}
        organization = await load_organization(harness, tenant)
        headers[END_USER] = bearer(
            issue_end_user_token(organization, external_user_id="rbac-alice", settings=settings)
        )
        yield Callers(harness, tenant, headers)


ROLE_ROUTE_CASES = [
    pytest.param(role, rule, id=f"{role}-{rule.label}") for role in ROLES for rule in GUARDED_HTTP
]


@pytest.mark.parametrize(("role", "rule"), ROLE_ROUTE_CASES)
async def test_role_route(callers: Callers, role: str, rule: RouteRule) -> None:
    path = concrete_path(rule.path)
    response = await callers.client.request(
        rule.method, path, headers=callers.headers[role], **send_kwargs(rule.method)
    )
    assert rule.scope is not None
    if rule.scope in scopes_of(role):
        assert response.status_code not in (401, 403), (
            f"{role} holds {rule.scope!r} but {rule.method} {path} refused it: "
            f"{response.status_code} {response.text}"
        )
        assert response.status_code < 500, f"{rule.method} {path}: {response.text}"
    else:
        assert_forbidden(response, rule.scope)


# --- the live WebSocket checks its scopes in the handler ------------------------------


class LiveSocket:
    """A WebSocket session driven straight through the app's ASGI interface, in this loop."""

    def __init__(self, app: FastAPI, path: str, headers: Headers) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.incoming.put_nowait({"type": "websocket.connect"})
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "http_version": "1.1",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "subprotocols": [],
        }
        self.task = asyncio.create_task(app(scope, self.incoming.get, self.outgoing.put))

    async def next_event(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.outgoing.get(), WEBSOCKET_WAIT_SECONDS)

    async def next_frame(self) -> dict[str, Any]:
        """The next JSON frame after the handshake; fails when the socket closes instead."""
        while True:
            event = await self.next_event()
            if event["type"] == "websocket.send":
                frame: dict[str, Any] = json.loads(event["text"])
                return frame
            assert event["type"] == "websocket.accept", event

    async def close_event(self) -> dict[str, Any]:
        """The close the server sends (after accepting: browsers can read its reason)."""
        while True:
            event = await self.next_event()
            if event["type"] == "websocket.close":
                await asyncio.wait_for(self.task, WEBSOCKET_WAIT_SECONDS)
                return event
            assert event["type"] == "websocket.accept", event

    async def send(self, frame: dict[str, Any]) -> None:
        await self.incoming.put({"type": "websocket.receive", "text": json.dumps(frame)})

    async def disconnect(self) -> None:
        """Leave, and stop the handler. On Redis, a subscription cancelled while it is still
        being set up can fail to finish cancelling (a teardown problem, reported apart from
        these authorization tests): then the handler is cancelled again rather than awaited."""
        await self.incoming.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait({self.task}, timeout=DISCONNECT_WAIT_SECONDS)
        if not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, WEBSOCKET_WAIT_SECONDS)


WEBSOCKET_CASES = [
    pytest.param(role, rule, id=f"{role}-{rule.label}")
    for role in ROLES
    for rule in GUARDED_WEBSOCKETS
]


@pytest.mark.parametrize(("role", "rule"), WEBSOCKET_CASES)
async def test_role_websocket(callers: Callers, role: str, rule: RouteRule) -> None:
    """Past the guard, an unknown conversation closes 4404; refused, it closes 4403."""
    socket = LiveSocket(callers.app, concrete_path(rule.path), callers.headers[role])
    closed = await socket.close_event()
    assert rule.scope is not None
    if rule.scope in scopes_of(role):
        assert closed["code"] == 4404, closed
    else:
        assert closed["code"] == 4403 and f"'{rule.scope}'" in closed["reason"], closed


async def test_viewer_reads_the_live_socket_but_cannot_post_over_it(callers: Callers) -> None:
    conversation = await callers.harness.create_conversation(callers.tenant)
    path = f"/api/v1/conversations/{conversation['id']}/live"
    socket = LiveSocket(callers.app, path, callers.headers[StaffRole.VIEWER.value])

    ready = await socket.next_frame()
    greeting = await socket.next_frame()
    await socket.send({"type": "message", "content": "let me in"})
    refused = await socket.next_frame()
    while refused["type"] != "error":
        refused = await socket.next_frame()
    await socket.disconnect()

    assert ready == {"type": "ready", "conversation_id": conversation["id"]}
    assert greeting["type"] == "message" and greeting["message"]["role"] == "assistant"
    assert refused["status"] == 403 and "'conversations:write'" in refused["error"], refused


async def test_key_without_conversations_read_cannot_open_the_live_socket(
    callers: Callers,
) -> None:
    conversation = await callers.harness.create_conversation(callers.tenant)
    path = f"/api/v1/conversations/{conversation['id']}/live"
    headers = await callers.key_with(Scope.TENANT_READ.value, Scope.CONVERSATIONS_WRITE.value)

    closed = await LiveSocket(callers.app, path, headers).close_event()

    assert closed["code"] == 4403 and "'conversations:read'" in closed["reason"], closed


# --- API keys hold exactly the scopes they were given --------------------------------


def _sample_route(scope: str | None = None, *, other_than: str | None = None) -> RouteRule:
    """A guarded route (a GET when there is one) demanding `scope`, or any scope but one."""
    candidates = [
        rule
        for rule in GUARDED_HTTP
        if (scope is None or rule.scope == scope) and rule.scope != other_than
    ]
    return min(candidates, key=lambda rule: (rule.method != "GET", rule.path))


KEY_SCOPE_CASES = sorted({rule.scope for rule in GUARDED_HTTP if rule.scope is not None})


@pytest.mark.parametrize("scope", KEY_SCOPE_CASES)
async def test_key_with_one_scope_reaches_only_routes_demanding_it(
    callers: Callers, scope: str
) -> None:
    headers = await callers.key_with(scope)
    granted = _sample_route(scope)
    refused = _sample_route(other_than=scope)

    through = await callers.client.request(
        granted.method,
        concrete_path(granted.path),
        headers=headers,
        **send_kwargs(granted.method),
    )
    blocked = await callers.client.request(
        refused.method,
        concrete_path(refused.path),
        headers=headers,
        **send_kwargs(refused.method),
    )

    assert through.status_code not in (401, 403), f"{granted.label}: {through.text}"
    assert refused.scope is not None
    assert_forbidden(blocked, refused.scope)


async def test_key_scopes_are_not_widened_by_the_role_of_whoever_made_it(
    callers: Callers,
) -> None:
    """An owner's key with kb:read is a kb:read key, not an owner."""
    created = await callers.client.post(
        "/api/v1/keys",
        json={"name": f"kb-{uuid.uuid4().hex[:6]}", "scopes": [Scope.KB_READ.value]},
        headers=callers.headers[StaffRole.OWNER.value],
    )
    assert created.status_code == 201, created.text
    headers = {"X-API-Key": created.json()["secret"]}

    assert (await callers.client.get("/api/v1/kb/articles", headers=headers)).status_code == 200
    assert_forbidden(await callers.client.get("/api/v1/keys", headers=headers), "keys:manage")
    assert_forbidden(await callers.client.get("/api/v1/me", headers=headers), "tenant:read")


async def test_a_key_cannot_grant_a_scope_it_does_not_hold(callers: Callers) -> None:
    headers = await callers.key_with(Scope.KEYS_MANAGE.value)

    response = await callers.client.post(
        "/api/v1/keys",
        json={"name": "escalate", "scopes": [Scope.AUDIT_READ.value]},
        headers=headers,
    )

    assert response.status_code == 403, response.text


def test_the_published_permission_table_matches_the_routes() -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "permissions_table.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
