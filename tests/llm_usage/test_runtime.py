"""The LLM runtime the app builds from settings, against a local OpenAI-compatible server."""

from __future__ import annotations

from typing import Any

import pytest

from sfagent.config import LlmPriceConfig, LlmProviderConfig
from sfagent.db.engine import bind_tenant
from sfagent.llm_usage.models import LlmUsage
from sfagent.llm_usage.repository import LlmUsageRepository
from sfagent.llm_usage.runtime import LlmRuntime
from sfagent.responder.llm import COMPOSER, HUMAN, ChainResult
from tests.conftest import Harness, HarnessFactory, Stack, TenantHandle
from tests.llm_usage.conftest import tiers_with_budget
from tests.responder.llm.fake_server import OPENAI_PATH, FakeLLMServer, Reply, error

MODEL = "gpt-test"
LINK = f"openai:{MODEL}"
# The fake server reports 42 prompt and 17 completion tokens: 0.042 + 0.034 dollars.
PRICES = {LINK: LlmPriceConfig(input_per_million=1_000.0, output_per_million=2_000.0)}
CALL_COST = 0.076
SOURCES = [
    (
        "kb-1",
        "Partial DML success",
        "Database.update(records, false) saves the valid records and returns errors for the rest.",
    )
]
QUESTION = "Some records fail validation and nothing saves"
COMPOSED = "Save with partial success so valid rows are kept [kb-1]."
HANDOFF = "A colleague will take over."


async def llm_harness(
    make_harness: HarnessFactory, server: FakeLLMServer, **overrides: Any
) -> Harness:
    provider = LlmProviderConfig(
        kind="openai",
        model=MODEL,
        base_url=server.openai_base_url,
        api_key="test-key",
        max_attempts=1,
        timeout=10.0,
    )
    return await make_harness(
        nlu_enabled=False, llm_providers=[provider], llm_prices=PRICES, **overrides
    )


def runtime_of(harness: Harness) -> LlmRuntime:
    runtime = harness.app.state.llm
    assert isinstance(runtime, LlmRuntime)
    return runtime


async def ask(harness: Harness, tenant: TenantHandle, **kwargs: Any) -> ChainResult:
    arguments: dict[str, Any] = {
        "tenant_id": tenant.organization_id,
        "question": QUESTION,
        "sources": SOURCES,
        "composer_reply": COMPOSED,
        "handoff_reply": HANDOFF,
        **kwargs,
    }
    return await runtime_of(harness).answer(**arguments)


async def test_without_providers_there_is_no_runtime(make_harness: HarnessFactory) -> None:
    harness = await make_harness(nlu_enabled=False)
    assert harness.app.state.llm is None


async def test_llm_answers_with_a_citation_and_its_usage_is_stored(
    llm_server: FakeLLMServer, make_harness: HarnessFactory
) -> None:
    harness = await llm_harness(make_harness, llm_server)
    tenant = await harness.create_tenant()

    result = await ask(harness, tenant)
    await runtime_of(harness).flush()

    assert (result.model_used, result.by_llm) == (LINK, True)
    assert "[kb-1]" in result.text
    assert result.verdict is not None and result.verdict.passed
    assert result.cost == pytest.approx(CALL_COST)
    sent = llm_server.last(OPENAI_PATH)
    assert sent.headers["authorization"] == "Bearer test-key"
    assert sent.body["model"] == MODEL
    prompt = sent.body["messages"][-1]["content"]
    assert 'id="kb-1"' in prompt and QUESTION in prompt

    [row] = await all_usage_rows(harness, tenant)
    assert (row.provider, row.model, row.calls) == ("openai", MODEL, 1)
    assert (row.prompt_tokens, row.completion_tokens) == (42, 17)
    assert row.cost_usd == pytest.approx(CALL_COST)
    report = await harness.client.get(
        "/api/v1/usage/llm", params={"period": row.period}, headers=tenant.headers
    )
    assert report.json()["spent_usd"] == pytest.approx(CALL_COST)


async def test_server_error_falls_back_to_the_composer(
    llm_server: FakeLLMServer, make_harness: HarnessFactory
) -> None:
    harness = await llm_harness(make_harness, llm_server)
    tenant = await harness.create_tenant()
    llm_server.script(OPENAI_PATH, error(500))

    result = await ask(harness, tenant)
    await runtime_of(harness).flush()

    assert (result.model_used, result.text) == (COMPOSER, COMPOSED)
    assert [(f.link, f.reason) for f in result.failures] == [(LINK, "server_error")]
    assert llm_server.count(OPENAI_PATH) == 1
    assert await all_usage_rows(harness, tenant) == []


async def test_no_composer_reply_hands_the_customer_to_a_person(
    llm_server: FakeLLMServer, make_harness: HarnessFactory
) -> None:
    harness = await llm_harness(make_harness, llm_server)
    tenant = await harness.create_tenant()
    llm_server.script(OPENAI_PATH, error(500))

    result = await ask(harness, tenant, composer_reply=None)

    assert (result.model_used, result.text) == (HUMAN, HANDOFF)


async def test_exhausted_budget_sends_nothing_to_the_server(
    llm_server: FakeLLMServer, make_harness: HarnessFactory, stack: Stack
) -> None:
    # One call (0.076) overruns the 0.05 budget; the next must not reach the server.
    tiers = tiers_with_budget(stack.settings.tiers, free=0.05)
    harness = await llm_harness(make_harness, llm_server, tiers=tiers)
    tenant = await harness.create_tenant(tier="free")

    first = await ask(harness, tenant)
    second = await ask(harness, tenant)
    await runtime_of(harness).flush()
    third = await ask(harness, tenant)

    assert first.model_used == LINK
    for later in (second, third):
        assert (later.model_used, later.text) == (COMPOSER, COMPOSED)
        assert [(f.link, f.reason) for f in later.failures] == [(LINK, "budget_exhausted")]
    assert llm_server.count(OPENAI_PATH) == 1
    [row] = await all_usage_rows(harness, tenant)
    assert row.calls == 1


async def test_no_source_and_no_finding_means_no_llm_call(
    llm_server: FakeLLMServer, make_harness: HarnessFactory
) -> None:
    harness = await llm_harness(make_harness, llm_server)
    tenant = await harness.create_tenant()

    result = await ask(harness, tenant, sources=[])

    assert result.model_used == COMPOSER
    assert llm_server.count(OPENAI_PATH) == 0


async def test_diagnostics_and_history_reach_the_prompt(
    llm_server: FakeLLMServer, make_harness: HarnessFactory
) -> None:
    harness = await llm_harness(make_harness, llm_server)
    tenant = await harness.create_tenant()
    llm_server.script(OPENAI_PATH, Reply(text="Two jobs update the same rows: retry the job."))

    result = await ask(
        harness,
        tenant,
        sources=[],
        diagnostics=[("Row lock contention", "Two jobs update the same rows", ["Retry the job"])],
        history=[("user", "My batch job fails"), ("assistant", "Which error do you see?")],
    )

    assert result.model_used == LINK
    messages = llm_server.last(OPENAI_PATH).body["messages"]
    assert [m["role"] for m in messages if m["role"] != "system"] == [
        "user",
        "assistant",
        "user",
    ]
    assert "My batch job fails" in messages[-3]["content"]
    assert "Cause: Row lock contention" in messages[-1]["content"]
    assert "Fix 1: Retry the job" in messages[-1]["content"]


async def all_usage_rows(harness: Harness, tenant: TenantHandle) -> list[LlmUsage]:
    async with harness.app.state.read_sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        repository = LlmUsageRepository(session, tenant.organization_id)
        return list((await session.execute(repository.scoped())).scalars())
