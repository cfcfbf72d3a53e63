"""Tenant isolation: one tenant (or end user) can neither see nor touch another's data.

Every test runs on SQLite+memory and on PostgreSQL+Redis (where row-level security binds
the app's role too). Cross-tenant access must look exactly like access to an id that does
not exist: 404, never 403, so ids of other tenants cannot even be confirmed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.tenancy.auth import issue_end_user_token
from sfagent.tenancy.models import Organization, StaffRole
from sfagent.tenancy.service import create_staff_user
from tests.conftest import Harness, TenantHandle

CONVERSATIONS = "/api/v1/conversations"
STAFF_PASSWORD = "correct-horse-battery-staple"
Headers = dict[str, str]


# --- the routes under test -----------------------------------------------------------


@dataclass(frozen=True)
class ConversationRoute:
    """One route acting on a single conversation named by its path."""

    method: str
    path: str  # FastAPI's path format, with {conversation_id}
    body: dict[str, Any] | None = None
    files: dict[str, Any] | None = None  # a multipart upload instead of a JSON body
    ok_status: int = 200

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    async def call(
        self,
        client: httpx.AsyncClient,
        conversation_id: str,
        headers: Headers,
        extra_headers: Headers | None = None,
    ) -> httpx.Response:
        return await client.request(
            self.method,
            self.path.format(conversation_id=conversation_id),
            json=self.body,
            files=self.files,
            headers={**headers, **(extra_headers or {})},
        )


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# Every route that takes a conversation id. Add a new route here (with a valid body) and
# all the isolation tests below cover it; test_route_table_covers_every_conversation_route
# fails until it is added.
CONVERSATION_ROUTES = (
    ConversationRoute("GET", "/api/v1/conversations/{conversation_id}"),
    ConversationRoute("GET", "/api/v1/conversations/{conversation_id}/messages"),
    ConversationRoute("GET", "/api/v1/conversations/{conversation_id}/dialogue"),
    ConversationRoute(
        "POST",
        "/api/v1/conversations/{conversation_id}/messages",
        {"content": "Apex trigger fails with System.LimitException"},
    ),
    ConversationRoute(
        "POST", "/api/v1/conversations/{conversation_id}/resolve", {"reason": "fixed"}
    ),
    ConversationRoute("POST", "/api/v1/conversations/{conversation_id}/close", {"reason": "done"}),
    ConversationRoute("POST", "/api/v1/conversations/{conversation_id}/rating", {"score": 4}),
    ConversationRoute(
        "POST",
        "/api/v1/conversations/{conversation_id}/attachments",
        files={"file": ("shot.png", PNG, "image/png")},
        ok_status=201,
    ),
)
# Routes that also name a message: their cross-tenant test lives beside them.
COVERED_ELSEWHERE = {
    # tests/security/test_guard.py::test_a_message_of_another_tenant_cannot_be_revealed
    ("GET", "/api/v1/conversations/{conversation_id}/messages/{message_id}/reveal"),
}
WRITE_ROUTES = tuple(route for route in CONVERSATION_ROUTES if route.method != "GET")


def route_params(routes: tuple[ConversationRoute, ...]) -> list[Any]:
    return [pytest.param(route, id=route.label) for route in routes]


# --- credentials ---------------------------------------------------------------------


async def load_organization(harness: Harness, tenant: TenantHandle) -> Organization:
    sessionmaker: async_sessionmaker[AsyncSession] = harness.app.state.sessionmaker
    async with sessionmaker() as session:
        organization = await session.get(Organization, tenant.organization_id)
    assert organization is not None
    return organization


async def end_user_headers(harness: Harness, tenant: TenantHandle, external_id: str) -> Headers:
    """What the tenant's backend hands its user: a JWT signed with the tenant's secret."""
    organization = await load_organization(harness, tenant)
    token = issue_end_user_token(
        organization, external_user_id=external_id, settings=harness.settings
    )
    return {"Authorization": f"Bearer {token}"}


async def staff_headers(
    harness: Harness, tenant: TenantHandle, role: StaffRole = StaffRole.ADMIN
) -> Headers:
    """Create a staff account and log it in through the API."""
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
    async with harness.app.state.sessionmaker() as session:
        await create_staff_user(
            session,
            organization_id=tenant.organization_id,
            email=email,
            password=STAFF_PASSWORD,
            role=role,
        )
        await session.commit()
    response = await harness.client.post(
        "/api/v1/auth/login",
        json={"organization": tenant.slug, "email": email, "password": STAFF_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def api_key_caller(_harness: Harness, tenant: TenantHandle) -> Headers:
    return tenant.headers


async def staff_caller(harness: Harness, tenant: TenantHandle) -> Headers:
    return await staff_headers(harness, tenant)


async def end_user_caller(harness: Harness, tenant: TenantHandle) -> Headers:
    return await end_user_headers(harness, tenant, "intruder")


# Every kind of credential a tenant can present.
CALLERS: dict[str, Callable[[Harness, TenantHandle], Awaitable[Headers]]] = {
    "api_key": api_key_caller,
    "staff": staff_caller,
    "end_user": end_user_caller,
}


# --- helpers -------------------------------------------------------------------------


async def snapshot(
    harness: Harness, tenant: TenantHandle, conversation_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The conversation and its messages, as its owner sees them."""
    conversation = await harness.client.get(
        f"{CONVERSATIONS}/{conversation_id}", headers=tenant.headers
    )
    messages = await harness.client.get(
        f"{CONVERSATIONS}/{conversation_id}/messages",
        params={"limit": 100},
        headers=tenant.headers,
    )
    assert conversation.status_code == 200, conversation.text
    assert messages.status_code == 200, messages.text
    return conversation.json(), messages.json()["items"]


async def assert_looks_missing(
    harness: Harness,
    route: ConversationRoute,
    response: httpx.Response,
    conversation_id: str,
    headers: Headers,
) -> None:
    """A 404 indistinguishable from the one for an id that exists nowhere."""
    assert response.status_code == 404, response.text
    body = response.json()
    assert set(body) == {"error", "details"}
    missing_id = str(uuid.uuid4())
    missing = await route.call(harness.client, missing_id, headers)
    assert missing.status_code == 404, missing.text
    assert body["error"].replace(conversation_id, "<id>") == missing.json()["error"].replace(
        missing_id, "<id>"
    )
    assert body["details"] == missing.json()["details"]


async def create_as(harness: Harness, headers: Headers, **body: Any) -> dict[str, Any]:
    response = await harness.client.post(CONVERSATIONS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def list_all(
    harness: Harness, headers: Headers, params: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every page of GET /api/v1/conversations, walking the cursor two at a time."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query: dict[str, Any] = {**(params or {}), "limit": 2}
        if cursor:
            query["cursor"] = cursor
        response = await harness.client.get(CONVERSATIONS, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


# --- the route table stays complete --------------------------------------------------


async def test_route_table_covers_every_conversation_route(harness: Harness) -> None:
    # The OpenAPI document lists every served route, however routers are nested.
    served = {
        (method.upper(), path)
        for path, operations in harness.app.openapi()["paths"].items()
        if "{conversation_id}" in path
        for method in operations
    }
    assert served - COVERED_ELSEWHERE == {
        (route.method, route.path) for route in CONVERSATION_ROUTES
    }


# --- one tenant's conversation, another tenant's credential --------------------------


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize("route", route_params(CONVERSATION_ROUTES))
async def test_other_tenant_conversation_is_not_found(
    harness: Harness, route: ConversationRoute, caller: str
) -> None:
    tenant_a = await harness.create_tenant()
    tenant_b = await harness.create_tenant()
    theirs = await harness.create_conversation(
        tenant_a, user_id="alice", subject="tenant A private subject"
    )
    before = await snapshot(harness, tenant_a, theirs["id"])
    headers = await CALLERS[caller](harness, tenant_b)

    response = await route.call(harness.client, theirs["id"], headers)

    await assert_looks_missing(harness, route, response, theirs["id"], headers)
    assert "tenant A private subject" not in response.text
    assert await snapshot(harness, tenant_a, theirs["id"]) == before
    # The same credential works on its own conversation: the 404 is isolation, not breakage.
    own = await create_as(harness, headers)
    assert (await route.call(harness.client, own["id"], headers)).status_code == route.ok_status


@pytest.mark.parametrize("route", route_params(WRITE_ROUTES))
async def test_idempotency_key_never_replays_other_tenant_response(
    harness: Harness, route: ConversationRoute
) -> None:
    tenant_a = await harness.create_tenant()
    tenant_b = await harness.create_tenant()
    theirs = await harness.create_conversation(tenant_a)
    key = {"Idempotency-Key": "shared-key-1"}
    first = await route.call(harness.client, theirs["id"], tenant_a.headers, key)
    assert first.status_code == route.ok_status, first.text
    after_owner = await snapshot(harness, tenant_a, theirs["id"])

    replay = await route.call(harness.client, theirs["id"], tenant_b.headers, key)

    assert replay.status_code == 404, replay.text
    assert "idempotent-replayed" not in replay.headers
    assert await snapshot(harness, tenant_a, theirs["id"]) == after_owner


# --- list endpoint -------------------------------------------------------------------


async def seed_conversations(harness: Harness, tenant: TenantHandle) -> list[dict[str, Any]]:
    """Three conversations (the same user ids in every tenant), the first one resolved."""
    created = [
        await harness.create_conversation(tenant, user_id="alice", channel="web"),
        await harness.create_conversation(tenant, user_id="alice", channel="slack"),
        await harness.create_conversation(tenant, user_id="bob", channel="web"),
    ]
    resolved = await harness.client.post(
        f"{CONVERSATIONS}/{created[0]['id']}/resolve", headers=tenant.headers
    )
    assert resolved.status_code == 200, resolved.text
    return [resolved.json(), *created[1:]]


LIST_FILTERS = [
    pytest.param({}, id="unfiltered"),
    pytest.param({"user_id": "alice"}, id="user_id"),
    pytest.param({"user_id": "bob"}, id="other-user_id"),
    pytest.param({"status": "resolved"}, id="status-resolved"),
    pytest.param({"status": "active"}, id="status-active"),
    pytest.param({"channel": "web"}, id="channel"),
    pytest.param({"user_id": "alice", "status": "active", "channel": "slack"}, id="combined"),
]


@pytest.mark.parametrize("filters", LIST_FILTERS)
async def test_conversation_list_shows_only_own_tenant(
    harness: Harness, filters: dict[str, str]
) -> None:
    tenant_a = await harness.create_tenant()
    tenant_b = await harness.create_tenant()
    seeded = {
        tenant_a.organization_id: await seed_conversations(harness, tenant_a),
        tenant_b.organization_id: await seed_conversations(harness, tenant_b),
    }
    for tenant, other in ((tenant_a, tenant_b), (tenant_b, tenant_a)):
        listed = ids(await list_all(harness, tenant.headers, filters))
        expected = {
            item["id"]
            for item in seeded[tenant.organization_id]
            if all(item[name] == value for name, value in filters.items())
        }
        assert expected, "the seed data should match every filter in the table"
        assert listed == expected
        assert not listed & ids(seeded[other.organization_id])


async def test_other_tenant_cursor_pages_only_own_conversations(harness: Harness) -> None:
    tenant_a = await harness.create_tenant()
    tenant_b = await harness.create_tenant()
    own = ids([await harness.create_conversation(tenant_b) for _ in range(2)])
    theirs = ids([await harness.create_conversation(tenant_a) for _ in range(3)])
    page = await harness.client.get(CONVERSATIONS, params={"limit": 1}, headers=tenant_a.headers)
    cursor = page.json()["next_cursor"]
    assert cursor is not None

    response = await harness.client.get(
        CONVERSATIONS, params={"cursor": cursor}, headers=tenant_b.headers
    )

    assert response.status_code == 200
    listed = ids(response.json()["items"])
    assert listed <= own
    assert not listed & theirs


# --- API keys and /me ----------------------------------------------------------------


async def create_key(harness: Harness, tenant: TenantHandle, name: str) -> dict[str, Any]:
    response = await harness.client.post(
        "/api/v1/keys", json={"name": name}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize("include_revoked", [False, True])
async def test_key_list_shows_only_own_keys(harness: Harness, include_revoked: bool) -> None:
    tenant_a = await harness.create_tenant()
    tenant_b = await harness.create_tenant()
    key_a = await create_key(harness, tenant_a, "a-extra")
    key_b = await create_key(harness, tenant_b, "b-extra")

    for tenant, own, other in ((tenant_a, key_a, key_b), (tenant_b, key_b, key_a)):
        response = await harness.client.get(
            "/api/v1/keys", params={"include_revoked": include_revoked}, headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert {item["name"] for item in items} == {"default", own["name"]}
        assert own["id"] in ids(items)
        assert other["id"] not in ids(items)
        assert tenant.api_key.startswith(
            tuple(item["prefix"] for item in items if item["name"] == "default")
        )
        assert all("secret" not in item for item in items)


@pytest.mark.parametrize("reference", ["id", "prefix"])
async def test_other_tenant_key_revocation_is_not_found_and_key_keeps_working(
    harness: Harness, reference: str
) -> None:
    tenant_a = await harness.create_tenant()
    tenant_b = await harness.create_tenant()
    key_a = await create_key(harness, tenant_a, "a-extra")

    response = await harness.client.delete(
        f"/api/v1/keys/{key_a[reference]}", headers=tenant_b.headers
    )

    assert response.status_code == 404, response.text
    assert set(response.json()) == {"error", "details"}
    absent = await harness.client.delete(f"/api/v1/keys/{uuid.uuid4()}", headers=tenant_b.headers)
    assert absent.status_code == 404
    me = await harness.client.get("/api/v1/me", headers={"X-API-Key": key_a["secret"]})
    assert me.status_code == 200, me.text
    assert me.json()["organization_id"] == tenant_a.organization_id
    listed = await harness.client.get("/api/v1/keys", headers=tenant_a.headers)
    mine = [item for item in listed.json()["items"] if item["id"] == key_a["id"]]
    assert [item["revoked_at"] for item in mine] == [None]


async def test_me_shows_own_organization(harness: Harness) -> None:
    tenant_a = await harness.create_tenant()
    tenant_b = await harness.create_tenant()
    for tenant in (tenant_a, tenant_b):
        for kind, headers in (
            ("api_key", tenant.headers),
            ("staff", await staff_headers(harness, tenant, StaffRole.VIEWER)),
        ):
            response = await harness.client.get("/api/v1/me", headers=headers)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["organization_id"] == tenant.organization_id
            assert body["slug"] == tenant.slug
            assert body["principal"]["kind"] == kind
    me_a = await harness.client.get("/api/v1/me", headers=tenant_a.headers)
    assert tenant_a.api_key.startswith(me_a.json()["principal"]["id"])


# --- end users inside one tenant -----------------------------------------------------


async def test_end_user_lists_only_own_conversations(
    harness: Harness, tenant: TenantHandle
) -> None:
    alice = await end_user_headers(harness, tenant, "alice")
    bob = await end_user_headers(harness, tenant, "bob")
    by_alice = await create_as(harness, alice)
    by_bob = await create_as(harness, bob)
    for_alice = await harness.create_conversation(tenant, user_id="alice")
    anonymous = await harness.create_conversation(tenant)

    assert ids(await list_all(harness, alice)) == {by_alice["id"], for_alice["id"]}
    assert ids(await list_all(harness, bob)) == {by_bob["id"]}
    assert await list_all(harness, alice, {"user_id": "bob"}) == []
    assert ids(await list_all(harness, tenant.headers)) == ids(
        [by_alice, by_bob, for_alice, anonymous]
    )


OWNERS = ["other_end_user", "no_end_user"]


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("route", route_params(CONVERSATION_ROUTES))
async def test_other_end_user_conversation_is_not_found(
    harness: Harness, tenant: TenantHandle, route: ConversationRoute, owner: str
) -> None:
    alice = await end_user_headers(harness, tenant, "alice")
    if owner == "other_end_user":
        theirs = await create_as(harness, await end_user_headers(harness, tenant, "bob"))
    else:
        theirs = await harness.create_conversation(tenant)
    before = await snapshot(harness, tenant, theirs["id"])

    response = await route.call(harness.client, theirs["id"], alice)

    await assert_looks_missing(harness, route, response, theirs["id"], alice)
    assert await snapshot(harness, tenant, theirs["id"]) == before
    own = await create_as(harness, alice)
    assert (await route.call(harness.client, own["id"], alice)).status_code == route.ok_status


async def test_end_user_create_ignores_payload_user_id(
    harness: Harness, tenant: TenantHandle
) -> None:
    alice = await end_user_headers(harness, tenant, "alice")
    bob = await end_user_headers(harness, tenant, "bob")

    created = await create_as(harness, alice, user_id="bob", channel="web")

    assert created["user_id"] == "alice"
    stored = await harness.client.get(f"{CONVERSATIONS}/{created['id']}", headers=tenant.headers)
    assert stored.json()["user_id"] == "alice"
    assert ids(await list_all(harness, alice)) == {created["id"]}
    assert await list_all(harness, bob) == []
    assert await list_all(harness, tenant.headers, {"user_id": "bob"}) == []
    assert ids(await list_all(harness, tenant.headers, {"user_id": "alice"})) == {created["id"]}


async def test_end_user_without_conversations_sees_empty_list(
    harness: Harness, tenant: TenantHandle
) -> None:
    await harness.create_conversation(tenant, user_id="alice")
    await harness.create_conversation(tenant)
    newcomer = await end_user_headers(harness, tenant, "newcomer")

    assert await list_all(harness, newcomer) == []


async def test_same_end_user_id_in_other_tenant_sees_nothing(harness: Harness) -> None:
    tenant_a = await harness.create_tenant()
    tenant_b = await harness.create_tenant()
    alice_a = await end_user_headers(harness, tenant_a, "alice")
    alice_b = await end_user_headers(harness, tenant_b, "alice")
    theirs = await create_as(harness, alice_a)

    assert await list_all(harness, alice_b) == []
    response = await harness.client.get(f"{CONVERSATIONS}/{theirs['id']}", headers=alice_b)
    assert response.status_code == 404
