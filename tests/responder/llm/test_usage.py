"""Prices and the in-memory usage meter."""

from __future__ import annotations

from sfagent.responder.llm import Cost, InMemoryUsageMeter, ModelPrice, PriceTable


def test_cost_uses_the_provider_qualified_price_first() -> None:
    table = PriceTable(
        {
            "gpt-x": ModelPrice(1, 1),
            "openai:gpt-x": ModelPrice(input_per_million=2, output_per_million=8),
        }
    )

    cost = table.cost("openai", "gpt-x", prompt_tokens=1_000_000, completion_tokens=500_000)

    assert cost == Cost(2 + 4, priced=True)


def test_bare_model_name_prices_any_provider() -> None:
    table = PriceTable({"llama3": ModelPrice(0.5, 0.5)})

    assert table.cost("openai", "llama3", 2_000_000, 0) == Cost(1.0, priced=True)


def test_unknown_model_costs_nothing_and_is_flagged() -> None:
    assert PriceTable().cost("anthropic", "claude-new", 100, 100) == Cost(0.0, priced=False)


async def test_meter_totals_and_remaining_budget() -> None:
    meter = InMemoryUsageMeter(budgets={"org-1": 1.0})

    await meter.record("org-1", "openai", "gpt-x", 100, 20, Cost(0.25, priced=True))
    await meter.record("org-1", "openai", "local", 10, 2, Cost(0.0, priced=False))

    usage = meter.usage("org-1")
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (2, 110, 22)
    assert usage.unpriced_calls == 1
    assert await meter.remaining_budget("org-1") == 0.75


async def test_no_budget_means_unlimited_and_default_budget_applies() -> None:
    assert await InMemoryUsageMeter().remaining_budget("org-1") is None
    assert await InMemoryUsageMeter(default_budget=5.0).remaining_budget("org-9") == 5.0


async def test_reset_starts_a_new_period() -> None:
    meter = InMemoryUsageMeter(default_budget=1.0)
    await meter.record("org-1", "openai", "gpt-x", 1, 1, Cost(1.0, priced=True))
    assert await meter.remaining_budget("org-1") == 0.0

    meter.reset("org-1")

    assert await meter.remaining_budget("org-1") == 1.0
