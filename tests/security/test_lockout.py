"""Failed sign-ins lock the address or the credential out: 429 with Retry-After even for a
correct secret, shared across processes through the backplane, and audited in the
organization the credential belongs to."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sfagent.backplane.memory import MemoryBackplane
from sfagent.db.engine import bind_tenant
from sfagent.errors import RateLimited
from sfagent.security.lockout import Attempt, AuthLockout, LockoutPolicy, credential_label
from sfagent.security.models import AuditEntry
from sfagent.tenancy import service as tenancy
from sfagent.tenancy.models import StaffRole
from tests.conftest import Harness, HarnessFactory, TenantHandle

POLICY = LockoutPolicy(
    failures_per_address=5, failures_per_credential=3, window_seconds=300, lockout_seconds=600
)


async def test_the_credential_is_locked_after_its_limit_even_from_new_addresses() -> None:
    lockout = AuthLockout(MemoryBackplane(), POLICY)
    key = credential_label(api_key="sfa_0123456789ab_wrongsecret")
    assert key == "key:sfa_0123456789ab"  # the prefix only, never the secret
    for number in range(2):
        assert await lockout.failed(Attempt(f"198.51.100.{number}", key)) is None
    assert await lockout.failed(Attempt("198.51.100.9", key)) == "credential"
    with pytest.raises(RateLimited, match="from this credential; locked out") as raised:
        await lockout.check(Attempt("203.0.113.1", key))
    assert 590 <= int(raised.value.headers["Retry-After"]) <= 600
    await lockout.check(Attempt("203.0.113.1", "key:sfa_otherkey0000"))  # others unaffected


async def test_the_address_is_locked_after_its_limit_across_credentials() -> None:
    lockout = AuthLockout(MemoryBackplane(), POLICY)
    for number in range(4):
        assert await lockout.failed(Attempt("192.0.2.7", f"key:sfa_{number:012d}")) is None
    assert await lockout.failed(Attempt("192.0.2.7", "key:sfa_999999999999")) == "address"
    with pytest.raises(RateLimited, match="from this address"):
        await lockout.check(Attempt("192.0.2.7", "key:sfa_a_fresh_one"))
    await lockout.check(Attempt("192.0.2.8", "key:sfa_a_fresh_one"))


async def test_a_disabled_policy_never_locks() -> None:
    off = LockoutPolicy(1, 1, 300, 600, disabled=True)
    lockout = AuthLockout(MemoryBackplane(), off)
    assert await lockout.failed(Attempt("192.0.2.1", "key:x")) is None
    await lockout.check(Attempt("192.0.2.1", "key:x"))


async def _lockable(make_harness: HarnessFactory) -> Harness:
    return await make_harness(
        auth_failures_per_address=1_000,
        auth_failures_per_credential=3,
        auth_lockout_seconds=600,
    )


async def test_a_guessed_api_key_is_locked_out_then_refused_even_when_right(
    make_harness: HarnessFactory,
) -> None:
    harness = await _lockable(make_harness)
    tenant = await harness.create_tenant()
    prefix = "_".join(tenant.api_key.split("_")[:2])
    wrong = {"X-API-Key": f"{prefix}_{'x' * 32}"}
    statuses = [
        (await harness.client.get("/api/v1/conversations", headers=wrong)).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    right = await harness.client.get("/api/v1/conversations", headers=tenant.headers)
    assert right.status_code == 429
    assert "locked out" in right.json()["error"] and right.headers["Retry-After"]

    actions = await _audit_actions(harness, tenant)
    assert actions.count("auth.rejected") == 2 and actions.count("auth.locked_out") == 1


async def test_staff_password_guessing_is_locked_out_and_audited(
    make_harness: HarnessFactory,
) -> None:
    harness = await _lockable(make_harness)
    tenant = await harness.create_tenant()
    async with harness.app.state.sessionmaker() as session:
        await tenancy.create_staff_user(
            session,
            organization_id=tenant.organization_id,
            email="admin@acme.example",
            password="correct horse battery staple",
            role=StaffRole.ADMIN,
            actor="test",
        )
        await session.commit()

    def login(password: str) -> dict[str, str]:
        return {"organization": tenant.slug, "email": "admin@acme.example", "password": password}

    for _ in range(3):
        failed = await harness.client.post("/api/v1/auth/login", json=login("guess"))
        assert failed.status_code == 401
    locked = await harness.client.post(
        "/api/v1/auth/login", json=login("correct horse battery staple")
    )
    assert locked.status_code == 429
    assert "auth.locked_out" in await _audit_actions(harness, tenant)


async def test_missing_credentials_are_not_counted_as_guesses(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(auth_failures_per_address=2, auth_failures_per_credential=2)
    tenant = await harness.create_tenant()
    for _ in range(5):
        assert (await harness.client.get("/api/v1/conversations")).status_code == 401
    ok = await harness.client.get("/api/v1/conversations", headers=tenant.headers)
    assert ok.status_code == 200


async def _audit_actions(harness: Harness, tenant: TenantHandle) -> list[str]:
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        rows = await session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.organization_id == tenant.organization_id)
            .order_by(AuditEntry.sequence)
        )
        return list(rows.scalars())
