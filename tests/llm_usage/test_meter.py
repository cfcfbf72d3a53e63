"""The database usage meter: totals per month and model, budgets from the tenant's tier."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from sfagent.db.engine import bind_tenant
from sfagent.llm_usage.meter import period_of
from sfagent.llm_usage.models import LlmUsage
from sfagent.llm_usage.repository import LlmUsageRepository
from sfagent.responder.llm import Cost
from tests.conftest import Harness, HarnessFactory, TenantHandle
from tests.llm_usage.conftest import clock_at, meter_for, priced

FREE_BUDGET = 5.0


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness(nlu_enabled=False)


@pytest.fixture
async def impatient(make_harness: HarnessFactory) -> Harness:
    """A short busy timeout: what queued behind the turn's write lock fails fast, not hangs."""
    return await make_harness(nlu_enabled=False, database_timeout_seconds=0.2)


async def usage_rows(harness: Harness, tenant: TenantHandle, period: str) -> list[LlmUsage]:
    async with harness.app.state.read_sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        rows = await LlmUsageRepository(session, tenant.organization_id).for_period(period)
        return list(rows)


async def test_recorded_calls_add_up_per_model_and_reduce_the_budget(
    harness: Harness, tenant: TenantHandle
) -> None:
    meter = meter_for(harness, clock=clock_at(2026, 3))
    org = tenant.organization_id
    await meter.record(org, "openai", "gpt-4o-mini", 100, 20, priced(0.25))
    await meter.record(org, "openai", "gpt-4o-mini", 50, 10, priced(0.5))
    await meter.record(org, "anthropic", "claude-x", 7, 3, Cost(0.0, priced=False))
    await meter.flush()

    rows = await usage_rows(harness, tenant, "2026-03")
    figures = [
        (r.provider, r.model, r.calls, r.unpriced_calls, r.prompt_tokens, r.completion_tokens)
        for r in rows
    ]
    assert figures == [
        ("anthropic", "claude-x", 1, 1, 7, 3),
        ("openai", "gpt-4o-mini", 2, 0, 150, 30),
    ]
    assert rows[1].cost_usd == pytest.approx(0.75)
    assert await meter.remaining_budget(org) == pytest.approx(FREE_BUDGET - 0.75)


async def test_usage_of_one_tenant_does_not_touch_another(harness: Harness) -> None:
    spender, other = await harness.create_tenant(), await harness.create_tenant()
    meter = meter_for(harness, clock=clock_at(2026, 3))
    await meter.record(spender.organization_id, "openai", "m", 1, 1, priced(2.0))
    await meter.flush()

    assert await meter.remaining_budget(other.organization_id) == FREE_BUDGET
    assert await usage_rows(harness, other, "2026-03") == []


async def test_concurrent_records_lose_no_increment(harness: Harness, tenant: TenantHandle) -> None:
    # Two meters stand for two processes writing the same row at once.
    clock = clock_at(2026, 3)
    meters = [meter_for(harness, clock=clock), meter_for(harness, clock=clock)]
    org = tenant.organization_id
    await asyncio.gather(
        *(
            meter.record(org, "openai", "gpt-4o-mini", 10, 2, priced(0.01))
            for meter in meters
            for _ in range(20)
        )
    )
    await asyncio.gather(*(meter.flush() for meter in meters))

    [row] = await usage_rows(harness, tenant, "2026-03")
    assert (row.calls, row.prompt_tokens, row.completion_tokens) == (40, 400, 80)
    assert row.cost_usd == pytest.approx(0.40)
    assert await meters[0].remaining_budget(org) == pytest.approx(FREE_BUDGET - 0.40)


async def test_exhausted_budget_leaves_zero_never_less(
    harness: Harness, tenant: TenantHandle
) -> None:
    meter = meter_for(harness, clock=clock_at(2026, 3))
    org = tenant.organization_id
    await meter.record(org, "openai", "m", 1, 1, priced(FREE_BUDGET))
    await meter.flush()
    assert await meter.remaining_budget(org) == 0.0

    await meter.record(org, "openai", "m", 1, 1, priced(3.0))  # an overrun still counts
    await meter.flush()
    assert await meter.remaining_budget(org) == 0.0
    [row] = await usage_rows(harness, tenant, "2026-03")
    assert row.cost_usd == pytest.approx(FREE_BUDGET + 3.0)


async def test_unlimited_tier_has_no_budget(harness: Harness) -> None:
    tenant = await harness.create_tenant(tier="enterprise")
    meter = meter_for(harness)
    await meter.record(tenant.organization_id, "openai", "m", 1, 1, priced(10_000.0))
    await meter.flush()

    assert await meter.remaining_budget(tenant.organization_id) is None


async def test_standard_tier_budget_applies(harness: Harness) -> None:
    tenant = await harness.create_tenant(tier="standard")
    meter = meter_for(harness)
    assert await meter.remaining_budget(tenant.organization_id) == 200.0


async def test_budget_starts_afresh_in_a_new_month(harness: Harness, tenant: TenantHandle) -> None:
    clock = clock_at(2026, 1, day=31, hour=23)
    meter = meter_for(harness, clock=clock)
    org = tenant.organization_id
    await meter.record(org, "openai", "m", 1, 1, priced(FREE_BUDGET))
    await meter.flush()
    assert await meter.remaining_budget(org) == 0.0

    clock.now = clock.now.replace(month=2, day=1, hour=0)
    assert await meter.remaining_budget(org) == FREE_BUDGET
    await meter.record(org, "openai", "m", 1, 1, priced(1.0))
    await meter.flush()

    assert [r.cost_usd for r in await usage_rows(harness, tenant, "2026-01")] == [FREE_BUDGET]
    assert [r.cost_usd for r in await usage_rows(harness, tenant, "2026-02")] == [1.0]
    assert await meter.remaining_budget(org) == FREE_BUDGET - 1.0


def test_period_is_the_utc_month() -> None:
    # 00:30 on 1 February in UTC+2 is still January in UTC.
    moment = datetime(2026, 2, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert period_of(moment) == "2026-01"


async def test_unknown_tenant_gets_no_budget(harness: Harness) -> None:
    meter = meter_for(harness)
    assert await meter.remaining_budget("00000000-0000-0000-0000-000000000000") == 0.0


async def test_budget_is_read_while_a_turn_holds_the_write_transaction(
    impatient: Harness,
) -> None:
    harness = impatient
    tenant = await harness.create_tenant()
    meter = meter_for(harness)
    async with harness.app.state.sessionmaker() as turn:
        # A writer session's first statement takes SQLite's write lock, as a request's does.
        await turn.execute(text("SELECT 1"))
        assert await meter.remaining_budget(tenant.organization_id) == FREE_BUDGET
        await turn.rollback()


async def test_call_recorded_during_a_turn_counts_at_once_and_is_written_after_it(
    impatient: Harness,
) -> None:
    harness = impatient
    tenant = await harness.create_tenant()
    writers = asyncio.Lock()  # the app's SQLite writer queue
    clock = clock_at(2026, 3)
    meter = meter_for(harness, clock=clock, write_lock=writers)
    org = tenant.organization_id
    async with writers, harness.app.state.sessionmaker() as turn:
        await turn.execute(text("SELECT 1"))
        await meter.record(org, "openai", "m", 10, 5, priced(1.5))
        # Not written yet (the turn holds the lock), but already counted against the budget.
        assert await meter.remaining_budget(org) == pytest.approx(FREE_BUDGET - 1.5)
        await turn.rollback()  # the turn failing does not undo the spending
    await meter.flush()

    [row] = await usage_rows(harness, tenant, "2026-03")
    assert row.calls == 1
    assert row.cost_usd == pytest.approx(1.5)
    assert await meter.remaining_budget(org) == pytest.approx(FREE_BUDGET - 1.5)
