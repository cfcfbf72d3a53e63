"""GET /api/v1/usage/llm: a month's LLM calls, tokens and cost against the tenant's budget."""

from __future__ import annotations

import pytest

from sfagent.db.base import utcnow
from sfagent.llm_usage.meter import period_of
from sfagent.responder.llm import Cost
from sfagent.tenancy import service as tenancy
from tests.conftest import Harness, HarnessFactory, TenantHandle
from tests.llm_usage.conftest import clock_at, meter_for, priced

USAGE = "/api/v1/usage/llm"


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness(nlu_enabled=False)


async def spend(harness: Harness, tenant: TenantHandle) -> None:
    meter = meter_for(harness, clock=clock_at(2026, 3))
    org = tenant.organization_id
    await meter.record(org, "openai", "gpt-4o-mini", 1000, 200, priced(1.25))
    await meter.record(org, "openai", "gpt-4o-mini", 500, 100, priced(0.5))
    await meter.record(org, "anthropic", "claude-x", 40, 10, Cost(0.0, priced=False))
    await meter.flush()


async def test_usage_needs_the_tenant_read_scope(harness: Harness, tenant: TenantHandle) -> None:
    async with harness.app.state.sessionmaker() as session:
        key = await tenancy.create_api_key(
            session,
            organization_id=tenant.organization_id,
            name="chat only",
            scopes=["conversations:read"],
        )
        await session.commit()

    response = await harness.client.get(USAGE, headers={"X-API-Key": key.secret})

    assert response.status_code == 403
    assert "tenant:read" in response.json()["error"]
    assert (await harness.client.get(USAGE)).status_code == 401


async def test_usage_reports_each_model_and_the_budget(
    harness: Harness, tenant: TenantHandle
) -> None:
    await spend(harness, tenant)

    response = await harness.client.get(USAGE, params={"period": "2026-03"}, headers=tenant.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == "2026-03"
    assert body["budget_usd"] == 5.0
    assert body["spent_usd"] == pytest.approx(1.75)
    assert body["remaining_usd"] == pytest.approx(3.25)
    assert (body["calls"], body["prompt_tokens"], body["completion_tokens"]) == (3, 1540, 310)
    assert body["models"] == [
        {
            "provider": "anthropic",
            "model": "claude-x",
            "calls": 1,
            "unpriced_calls": 1,
            "prompt_tokens": 40,
            "completion_tokens": 10,
            "cost_usd": 0.0,
        },
        {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "calls": 2,
            "unpriced_calls": 0,
            "prompt_tokens": 1500,
            "completion_tokens": 300,
            "cost_usd": pytest.approx(1.75),
        },
    ]


async def test_other_months_and_other_tenants_are_not_counted(
    harness: Harness, tenant: TenantHandle
) -> None:
    await spend(harness, tenant)
    other = await harness.create_tenant()

    earlier = await harness.client.get(USAGE, params={"period": "2026-02"}, headers=tenant.headers)
    theirs = await harness.client.get(USAGE, params={"period": "2026-03"}, headers=other.headers)

    for response in (earlier, theirs):
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["models"], body["spent_usd"], body["remaining_usd"]) == ([], 0.0, 5.0)


async def test_default_period_is_the_current_month(harness: Harness, tenant: TenantHandle) -> None:
    before = period_of(utcnow())
    response = await harness.client.get(USAGE, headers=tenant.headers)
    after = period_of(utcnow())

    assert response.status_code == 200, response.text
    assert response.json()["period"] in {before, after}


async def test_unlimited_tier_reports_no_budget(harness: Harness) -> None:
    tenant = await harness.create_tenant(tier="enterprise")
    response = await harness.client.get(USAGE, headers=tenant.headers)

    body = response.json()
    assert (body["budget_usd"], body["remaining_usd"]) == (None, None)


@pytest.mark.parametrize("period", ["2026-13", "2026-3", "March", "2026-03-01"])
async def test_malformed_period_is_rejected(
    harness: Harness, tenant: TenantHandle, period: str
) -> None:
    response = await harness.client.get(USAGE, params={"period": period}, headers=tenant.headers)

    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["field"] == "period"
