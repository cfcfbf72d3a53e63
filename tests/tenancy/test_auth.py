"""Authentication and authorization failures: 401 says what is wrong, 403 names the scope.

Every test runs on SQLite+memory and on PostgreSQL+Redis.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.tenancy import tokens
from sfagent.tenancy.auth import issue_end_user_token
from sfagent.tenancy.models import ApiKey, Organization, StaffRole, StaffUser
from sfagent.tenancy.service import create_staff_user, revoke_api_key
from tests.conftest import Harness, TenantHandle

CONVERSATIONS = "/api/v1/conversations"
LOGIN = "/api/v1/auth/login"
STAFF_PASSWORD = "correct-horse-battery-staple"
Headers = dict[str, str]


def assert_unauthorized(response: httpx.Response, *fragments: str) -> None:
    """401 in the standard error shape, saying what is wrong, with a challenge."""
    assert response.status_code == 401, response.text
    body = response.json()
    assert set(body) == {"error", "details"}
    for fragment in fragments:
        assert fragment in body["error"], body["error"]
    challenge = response.headers.get("www-authenticate", "")
    assert "Bearer" in challenge
    assert "ApiKey" in challenge


def assert_forbidden(response: httpx.Response, scope: str) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert set(body) == {"error", "details"}
    assert f"'{scope}'" in body["error"]


def key_prefix(secret: str) -> str:
    """The public sfa_<12 hex> part of a key (the random part may contain '_' too)."""
    return "_".join(secret.split("_")[:2])


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


async def load_organization(harness: Harness, tenant: TenantHandle) -> Organization:
    sessionmaker: async_sessionmaker[AsyncSession] = harness.app.state.sessionmaker
    async with sessionmaker() as session:
        organization = await session.get(Organization, tenant.organization_id)
    assert organization is not None
    return organization


async def create_staff(
    harness: Harness, tenant: TenantHandle, role: StaffRole = StaffRole.AGENT
) -> StaffUser:
    async with harness.app.state.sessionmaker() as session:
        staff = await create_staff_user(
            session,
            organization_id=tenant.organization_id,
            email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.com",
            password=STAFF_PASSWORD,
            role=role,
        )
        await session.commit()
    return staff


async def login(
    harness: Harness, organization: str, email: str, password: str = STAFF_PASSWORD
) -> httpx.Response:
    return await harness.client.post(
        LOGIN, json={"organization": organization, "email": email, "password": password}
    )


async def staff_headers(harness: Harness, tenant: TenantHandle, role: StaffRole) -> Headers:
    staff = await create_staff(harness, tenant, role)
    response = await login(harness, tenant.slug, staff.email)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def end_user_claims(organization: Organization, **overrides: Any) -> dict[str, Any]:
    """Valid end-user claims for the organization, with some replaced or (None) removed."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": "alice",
        "aud": "sfagent",
        "iss": organization.end_user_jwt_issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "org_id": organization.id,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


async def create_key(harness: Harness, tenant: TenantHandle, **body: Any) -> dict[str, Any]:
    response = await harness.client.post(
        "/api/v1/keys", json={"name": "extra", **body}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


# --- API keys ------------------------------------------------------------------------


async def test_missing_credentials_is_401_naming_both_schemes(harness: Harness) -> None:
    response = await harness.client.get(CONVERSATIONS)
    assert_unauthorized(response, "missing credentials", "X-API-Key", "Bearer")


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("not-a-key", id="no-underscores"),
        pytest.param("sk_live_0123456789abcdef", id="other-vendor-prefix"),
        pytest.param("sfa_0123456789ab", id="prefix-only"),
        pytest.param("sfa_0123_secret", id="short-prefix"),
    ],
)
async def test_malformed_api_key_is_401_showing_expected_shape(
    harness: Harness, secret: str
) -> None:
    response = await harness.client.get(CONVERSATIONS, headers={"X-API-Key": secret})
    assert_unauthorized(response, "malformed API key", "sfa_")


async def test_unknown_api_key_is_401(harness: Harness) -> None:
    secret = f"sfa_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    response = await harness.client.get(CONVERSATIONS, headers={"X-API-Key": secret})
    assert_unauthorized(response, "invalid API key")


async def test_known_prefix_with_wrong_secret_is_401(
    harness: Harness, tenant: TenantHandle
) -> None:
    prefix = key_prefix(tenant.api_key)
    response = await harness.client.get(
        CONVERSATIONS, headers={"X-API-Key": f"{prefix}_{secrets.token_urlsafe(32)}"}
    )
    assert_unauthorized(response, "invalid API key")


async def test_key_revoked_through_api_is_401(harness: Harness, tenant: TenantHandle) -> None:
    key = await create_key(harness, tenant)
    before = await harness.client.get(CONVERSATIONS, headers={"X-API-Key": key["secret"]})
    assert before.status_code == 200

    revoked = await harness.client.delete(f"/api/v1/keys/{key['id']}", headers=tenant.headers)

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    response = await harness.client.get(CONVERSATIONS, headers={"X-API-Key": key["secret"]})
    assert_unauthorized(response, "revoked")
    still = await harness.client.get(CONVERSATIONS, headers=tenant.headers)
    assert still.status_code == 200


async def test_key_revoking_itself_is_401_afterwards(
    harness: Harness, tenant: TenantHandle
) -> None:
    prefix = key_prefix(tenant.api_key)
    revoked = await harness.client.delete(f"/api/v1/keys/{prefix}", headers=tenant.headers)
    assert revoked.status_code == 200, revoked.text

    response = await harness.client.get(CONVERSATIONS, headers=tenant.headers)
    assert_unauthorized(response, "revoked")


async def test_key_revoked_by_operator_is_401(harness: Harness, tenant: TenantHandle) -> None:
    key = await create_key(harness, tenant)
    async with harness.app.state.sessionmaker() as session:
        await revoke_api_key(session, key_id=key["prefix"], organization_id=None)
        await session.commit()

    response = await harness.client.get(CONVERSATIONS, headers={"X-API-Key": key["secret"]})
    assert_unauthorized(response, "revoked")


async def test_expired_api_key_is_401(harness: Harness, tenant: TenantHandle) -> None:
    key = await create_key(harness, tenant)
    async with harness.app.state.sessionmaker() as session:
        row = await session.get(ApiKey, key["id"])
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(days=1)
        await session.commit()

    response = await harness.client.get(CONVERSATIONS, headers={"X-API-Key": key["secret"]})
    assert_unauthorized(response, "expired")


async def test_key_of_disabled_organization_is_401(harness: Harness, tenant: TenantHandle) -> None:
    async with harness.app.state.sessionmaker() as session:
        organization = await session.get(Organization, tenant.organization_id)
        assert organization is not None
        organization.is_active = False
        await session.commit()

    response = await harness.client.get(CONVERSATIONS, headers=tenant.headers)
    assert_unauthorized(response, "disabled")


# --- the Authorization header and bearer tokens --------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Basic dXNlcjpwYXNzd29yZA==", id="basic"),
        pytest.param("Token abc.def.ghi", id="other-scheme"),
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("abc.def.ghi", id="token-without-scheme"),
    ],
)
async def test_malformed_authorization_header_is_401(harness: Harness, authorization: str) -> None:
    response = await harness.client.get(CONVERSATIONS, headers={"Authorization": authorization})
    assert_unauthorized(response, "malformed Authorization header", "Bearer <token>")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "sfa_0123456789ab_secret"])
async def test_bearer_that_is_not_a_jwt_is_401(harness: Harness, token: str) -> None:
    response = await harness.client.get(CONVERSATIONS, headers=bearer(token))
    assert_unauthorized(response, "not a JWT")


async def test_valid_end_user_token_is_accepted(harness: Harness, tenant: TenantHandle) -> None:
    organization = await load_organization(harness, tenant)
    token = issue_end_user_token(organization, external_user_id="alice", settings=harness.settings)
    response = await harness.client.get(CONVERSATIONS, headers=bearer(token))
    assert response.status_code == 200, response.text


async def test_expired_end_user_token_is_401(harness: Harness, tenant: TenantHandle) -> None:
    organization = await load_organization(harness, tenant)
    token = issue_end_user_token(
        organization,
        external_user_id="alice",
        settings=harness.settings,
        ttl=timedelta(hours=-1),
    )
    response = await harness.client.get(CONVERSATIONS, headers=bearer(token))
    assert_unauthorized(response, "expired")


# (claim overrides, what the 401 must say); None removes the claim.
BAD_END_USER_CLAIMS = [
    pytest.param({"aud": "someone-else"}, "audience", id="wrong-audience"),
    pytest.param({"aud": None}, "'aud'", id="no-audience"),
    pytest.param({"iss": "https://evil.example"}, "issuer", id="wrong-issuer"),
    pytest.param({"org_id": None}, "'org_id'", id="no-org_id"),
    pytest.param({"org_id": ""}, "'org_id'", id="empty-org_id"),
    pytest.param({"org_id": str(uuid.uuid4())}, "unknown organization", id="unknown-org_id"),
    pytest.param({"exp": None}, "'exp'", id="no-expiry"),
    pytest.param({"sub": None}, "'sub'", id="no-subject"),
]


@pytest.mark.parametrize(("overrides", "fragment"), BAD_END_USER_CLAIMS)
async def test_end_user_token_with_bad_claims_is_401(
    harness: Harness, tenant: TenantHandle, overrides: dict[str, Any], fragment: str
) -> None:
    organization = await load_organization(harness, tenant)
    claims = end_user_claims(organization, **overrides)
    token = jwt.encode(claims, organization.end_user_jwt_secret, algorithm=tokens.ALGORITHM)
    response = await harness.client.get(CONVERSATIONS, headers=bearer(token))
    assert_unauthorized(response, fragment)


async def test_end_user_token_signed_with_another_secret_is_401(
    harness: Harness, tenant: TenantHandle
) -> None:
    organization = await load_organization(harness, tenant)
    claims = end_user_claims(organization)
    token = jwt.encode(claims, secrets.token_urlsafe(48), algorithm=tokens.ALGORITHM)
    response = await harness.client.get(CONVERSATIONS, headers=bearer(token))
    assert_unauthorized(response, "signature")


async def test_end_user_token_naming_another_tenant_is_401(harness: Harness) -> None:
    """A tenant cannot mint tokens for another tenant's widget with its own secret."""
    tenant_a = await harness.create_tenant()
    tenant_b = await harness.create_tenant()
    own = await load_organization(harness, tenant_a)
    victim = await load_organization(harness, tenant_b)
    claims = end_user_claims(victim)
    token = jwt.encode(claims, own.end_user_jwt_secret, algorithm=tokens.ALGORITHM)
    response = await harness.client.get(CONVERSATIONS, headers=bearer(token))
    assert_unauthorized(response, "signature")


async def test_unsigned_end_user_token_is_401(harness: Harness, tenant: TenantHandle) -> None:
    organization = await load_organization(harness, tenant)
    token = jwt.encode(end_user_claims(organization), None, algorithm="none")
    response = await harness.client.get(CONVERSATIONS, headers=bearer(token))
    assert_unauthorized(response)


async def test_end_user_token_with_staff_audience_is_401(
    harness: Harness, tenant: TenantHandle
) -> None:
    """A tenant's secret cannot mint staff tokens: they are verified with sfagent's key."""
    organization = await load_organization(harness, tenant)
    claims = end_user_claims(
        organization, aud=harness.settings.staff_jwt_audience, iss=tokens.STAFF_ISSUER
    )
    token = jwt.encode(claims, organization.end_user_jwt_secret, algorithm=tokens.ALGORITHM)
    response = await harness.client.get("/api/v1/me", headers=bearer(token))
    assert_unauthorized(response, "signature")


# --- staff ---------------------------------------------------------------------------


async def test_staff_login_token_works_on_me(harness: Harness, tenant: TenantHandle) -> None:
    staff = await create_staff(harness, tenant, StaffRole.AGENT)

    response = await login(harness, tenant.slug, staff.email)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    me = await harness.client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["organization_id"] == tenant.organization_id
    assert me.json()["principal"] == {
        "kind": "staff",
        "id": staff.id,
        "scopes": [
            "conversations:read",
            "conversations:write",
            "diagnostics:run",
            "escalations:read",
            "escalations:write",
            "kb:read",
            "notifications:read",
            "rules:read",
            "tenant:read",
        ],
        "role": "agent",
    }


async def test_staff_login_accepts_organization_id_and_any_email_case(
    harness: Harness, tenant: TenantHandle
) -> None:
    staff = await create_staff(harness, tenant)
    response = await login(harness, tenant.organization_id, staff.email.upper())
    assert response.status_code == 200, response.text


async def test_staff_login_with_wrong_password_is_401(
    harness: Harness, tenant: TenantHandle
) -> None:
    staff = await create_staff(harness, tenant)
    response = await login(harness, tenant.slug, staff.email, "wrong-password-123456")
    assert_unauthorized(response, "wrong organization, email or password")


async def test_staff_login_failures_do_not_reveal_which_part_is_wrong(
    harness: Harness, tenant: TenantHandle
) -> None:
    staff = await create_staff(harness, tenant)
    other = await harness.create_tenant()
    attempts = [
        (tenant.slug, staff.email, "wrong-password-123456"),
        (tenant.slug, "nobody@example.com", STAFF_PASSWORD),
        ("no-such-organization", staff.email, STAFF_PASSWORD),
        (other.slug, staff.email, STAFF_PASSWORD),
    ]
    bodies = []
    for organization, email, password in attempts:
        response = await login(harness, organization, email, password)
        assert_unauthorized(response)
        bodies.append(response.json())
    assert all(body == bodies[0] for body in bodies)


async def test_disabled_staff_account_is_401(harness: Harness, tenant: TenantHandle) -> None:
    staff = await create_staff(harness, tenant)
    issued = await login(harness, tenant.slug, staff.email)
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    async with harness.app.state.sessionmaker() as session:
        row = await session.get(StaffUser, staff.id)
        assert row is not None
        row.is_active = False
        await session.commit()

    assert_unauthorized(await harness.client.get("/api/v1/me", headers=bearer(token)), "disabled")
    assert_unauthorized(await login(harness, tenant.slug, staff.email))


async def test_staff_token_with_bad_signature_is_401(
    harness: Harness, tenant: TenantHandle
) -> None:
    staff = await create_staff(harness, tenant, StaffRole.OWNER)
    forged = tokens.issue(
        secret=secrets.token_urlsafe(48),
        subject=staff.id,
        audience=harness.settings.staff_jwt_audience,
        issuer=tokens.STAFF_ISSUER,
        ttl=timedelta(minutes=5),
        extra={"org_id": tenant.organization_id, "role": "owner"},
    )
    response = await harness.client.get("/api/v1/me", headers=bearer(forged))
    assert_unauthorized(response, "signature")


async def test_viewer_can_read_but_not_create_conversations(
    harness: Harness, tenant: TenantHandle
) -> None:
    viewer = await staff_headers(harness, tenant, StaffRole.VIEWER)

    listed = await harness.client.get(CONVERSATIONS, headers=viewer)
    created = await harness.client.post(CONVERSATIONS, json={}, headers=viewer)

    assert listed.status_code == 200, listed.text
    assert_forbidden(created, "conversations:write")
    assert (await harness.client.get(CONVERSATIONS, headers=tenant.headers)).json()["items"] == []


@pytest.mark.parametrize(
    ("role", "may_manage_keys"),
    [
        (StaffRole.OWNER, True),
        (StaffRole.ADMIN, True),
        (StaffRole.AGENT, False),
        (StaffRole.VIEWER, False),
    ],
)
async def test_only_owner_and_admin_manage_keys(
    harness: Harness, tenant: TenantHandle, role: StaffRole, may_manage_keys: bool
) -> None:
    headers = await staff_headers(harness, tenant, role)
    response = await harness.client.get("/api/v1/keys", headers=headers)
    if may_manage_keys:
        assert response.status_code == 200, response.text
    else:
        assert_forbidden(response, "keys:manage")


# --- scopes --------------------------------------------------------------------------


async def test_read_only_key_is_403_naming_missing_scope_on_writes(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    key = await create_key(harness, tenant, name="read-only", scopes=["conversations:read"])
    assert key["scopes"] == ["conversations:read"]
    read_only = {"X-API-Key": key["secret"]}

    assert (await harness.client.get(CONVERSATIONS, headers=read_only)).status_code == 200
    writes = [
        ("POST", CONVERSATIONS, {}),
        ("POST", f"{CONVERSATIONS}/{conversation['id']}/messages", {"content": "hi"}),
        ("POST", f"{CONVERSATIONS}/{conversation['id']}/close", {}),
    ]
    for method, path, body in writes:
        response = await harness.client.request(method, path, json=body, headers=read_only)
        assert_forbidden(response, "conversations:write")
    assert_forbidden(await harness.client.get("/api/v1/keys", headers=read_only), "keys:manage")
    assert_forbidden(await harness.client.get("/api/v1/me", headers=read_only), "tenant:read")
    messages = await harness.client.get(
        f"{CONVERSATIONS}/{conversation['id']}/messages", headers=tenant.headers
    )
    assert len(messages.json()["items"]) == 1


async def test_key_with_unknown_scope_is_refused(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/keys", json={"name": "x", "scopes": ["everything"]}, headers=tenant.headers
    )
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["field"] == "scopes"


async def test_end_user_cannot_manage_keys(harness: Harness, tenant: TenantHandle) -> None:
    organization = await load_organization(harness, tenant)
    token = issue_end_user_token(organization, external_user_id="alice", settings=harness.settings)
    response = await harness.client.get("/api/v1/keys", headers=bearer(token))
    assert_forbidden(response, "keys:manage")
