"""Rate limits per API key, per end user and per tenant, with headers and 429s."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from sfagent.backplane.memory import MemoryBackplane
from sfagent.config import TierLimits
from sfagent.security.ratelimit import Bucket, RateLimiter
from sfagent.tenancy.auth import issue_end_user_token
from sfagent.tenancy.models import Organization
from tests.conftest import Harness, HarnessFactory

WINDOW_START = 1_800_000_000.0  # an exact multiple of 60: the start of a window


async def test_tightest_bucket_decides_and_window_resets() -> None:
    limiter = RateLimiter(MemoryBackplane(), window_seconds=60, disabled=False)
    buckets = [Bucket("key:a", 2), Bucket("org:a", 100)]
    first = await limiter.check(buckets, now=WINDOW_START)
    assert (first.limit, first.remaining, first.allowed) == (2, 1, True)
    await limiter.check(buckets, now=WINDOW_START + 1)
    third = await limiter.check(buckets, now=WINDOW_START + 2)
    assert third.allowed is False
    assert third.retry_after(WINDOW_START + 2) == 58
    next_window = await limiter.check(buckets, now=WINDOW_START + 60)
    assert next_window.allowed is True


async def test_tenant_bucket_caps_all_keys_together() -> None:
    limiter = RateLimiter(MemoryBackplane(), window_seconds=60, disabled=False)
    await limiter.check([Bucket("key:a", 10), Bucket("org:x", 2)], now=WINDOW_START)
    await limiter.check([Bucket("key:b", 10), Bucket("org:x", 2)], now=WINDOW_START)
    decision = await limiter.check([Bucket("key:c", 10), Bucket("org:x", 2)], now=WINDOW_START)
    assert decision.allowed is False
    assert decision.limit == 2


def _low_limits(requests: int, end_user: int = 100) -> dict[str, TierLimits]:
    limits = TierLimits(
        requests_per_minute=requests,
        end_user_requests_per_minute=end_user,
        concurrent_conversations=100,
        max_message_length=5000,
        retention_days=30,
        inactivity_timeout_minutes=30,
    )
    return {"free": limits, "standard": limits, "enterprise": limits}


async def test_api_key_limit_gives_headers_then_429(make_harness: HarnessFactory) -> None:
    harness = await make_harness(tiers=_low_limits(3))
    tenant = await harness.create_tenant()
    remaining = []
    for _ in range(3):
        response = await harness.client.get("/api/v1/me", headers=tenant.headers)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert int(response.headers["X-RateLimit-Reset"]) > 0
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    limited = await harness.client.get("/api/v1/me", headers=tenant.headers)
    assert limited.status_code == 429
    body = limited.json()
    assert body["details"]["retry_after"] >= 1
    assert limited.headers["Retry-After"] == str(body["details"]["retry_after"])
    assert limited.headers["X-RateLimit-Remaining"] == "0"


async def test_other_tenant_is_not_limited_by_a_busy_one(make_harness: HarnessFactory) -> None:
    harness = await make_harness(tiers=_low_limits(1))
    busy, quiet = await harness.create_tenant(), await harness.create_tenant()
    await harness.client.get("/api/v1/me", headers=busy.headers)
    assert (await harness.client.get("/api/v1/me", headers=busy.headers)).status_code == 429
    assert (await harness.client.get("/api/v1/me", headers=quiet.headers)).status_code == 200


async def test_end_user_has_own_bucket(make_harness: HarnessFactory) -> None:
    harness = await make_harness(tiers=_low_limits(100, end_user=2))
    tenant = await harness.create_tenant()
    async with harness.app.state.sessionmaker() as session:
        organization = await session.get(Organization, tenant.organization_id)
        assert organization is not None
    tokens = {
        user: issue_end_user_token(
            organization,
            external_user_id=user,
            settings=harness.settings,
            ttl=timedelta(minutes=5),
        )
        for user in ("ann", "ben")
    }
    ann = {"Authorization": f"Bearer {tokens['ann']}"}
    statuses = [
        (await harness.client.get("/api/v1/conversations", headers=ann)).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    ben = {"Authorization": f"Bearer {tokens['ben']}"}
    assert (await harness.client.get("/api/v1/conversations", headers=ben)).status_code == 200


async def test_per_key_limit_tighter_than_tenant(harness: Harness) -> None:
    tenant = await harness.create_tenant()
    created = await harness.client.post(
        "/api/v1/keys",
        json={"name": "cron", "requests_per_minute": 1},
        headers=tenant.headers,
    )
    assert created.status_code == 201
    cron = {"X-API-Key": created.json()["secret"]}
    assert (await harness.client.get("/api/v1/me", headers=cron)).status_code == 200
    assert (await harness.client.get("/api/v1/me", headers=cron)).status_code == 429
    assert (await harness.client.get("/api/v1/me", headers=tenant.headers)).status_code == 200


async def test_rate_limit_can_be_disabled(make_harness: HarnessFactory) -> None:
    harness = await make_harness(tiers=_low_limits(1), rate_limit_disabled=True)
    tenant = await harness.create_tenant()
    for _ in range(3):
        response = await harness.client.get("/api/v1/me", headers=tenant.headers)
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers


@pytest.mark.parametrize("attempts", [3])
async def test_login_attempts_are_throttled_per_address(
    make_harness: HarnessFactory, attempts: int
) -> None:
    # Its own counters: other tests log in from the same test client address this minute.
    harness = await make_harness(
        auth_ip_requests_per_minute=attempts - 1, redis_prefix=f"sfagent-test-{uuid.uuid4().hex}:"
    )
    tenant = await harness.create_tenant()
    payload = {"organization": tenant.slug, "email": "nobody@example.com", "password": "nope"}
    statuses = [
        (await harness.client.post("/api/v1/auth/login", json=payload)).status_code
        for _ in range(attempts)
    ]
    assert statuses == [401] * (attempts - 1) + [429]
