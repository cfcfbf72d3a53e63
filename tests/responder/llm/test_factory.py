"""Building providers and the chain from configuration values."""

from __future__ import annotations

import pytest

from sfagent.errors import ConfigurationError
from sfagent.responder.llm import (
    AnthropicProvider,
    ChainRequest,
    FallbackReply,
    InMemoryUsageMeter,
    ModelPrice,
    OpenAICompatibleProvider,
    PromptSource,
    ProviderSettings,
    build_chain,
    build_provider,
)
from tests.responder.llm.fake_server import ANTHROPIC_PATH, OPENAI_PATH, FakeLLMServer, error


async def test_builds_each_kind_with_its_model() -> None:
    openai = build_provider(ProviderSettings(kind="openai", model="llama3", api_key=None))
    anthropic = build_provider(ProviderSettings(kind="anthropic", model="claude-x", api_key="k"))

    assert isinstance(openai, OpenAICompatibleProvider) and openai.model == "llama3"
    assert isinstance(anthropic, AnthropicProvider) and anthropic.kind == "anthropic"
    await openai.aclose()
    await anthropic.aclose()


def test_unknown_kind_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        build_provider(ProviderSettings(kind="cohere", model="x"))  # type: ignore[arg-type]


async def test_chain_from_settings_falls_through_in_order(llm_server: FakeLLMServer) -> None:
    llm_server.script(OPENAI_PATH, error(500))
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    chain = build_chain(
        [
            ProviderSettings(
                kind="openai",
                model="gpt-test",
                base_url=llm_server.openai_base_url,
                timeout=0.3,
                max_attempts=1,
                failure_threshold=1,
            ),
            ProviderSettings(
                kind="anthropic",
                model="claude-test",
                base_url=llm_server.anthropic_base_url,
                api_key="k",
                timeout=0.3,
            ),
        ],
        prices={"anthropic:claude-test": ModelPrice(3, 15)},
        usage=InMemoryUsageMeter(default_budget=1.0),
        sleep=no_wait,
    )
    request = ChainRequest(
        "org-1", "How?", (PromptSource("kb-1", "t", "Database.update(records, false)"),)
    )

    async def composer() -> FallbackReply | None:
        return None

    async def human() -> FallbackReply:
        return FallbackReply("person")

    result = await chain.respond(request, composer=composer, human=human)
    await chain.aclose()

    assert result.model_used == "anthropic:claude-test"
    assert result.cost > 0
    assert chain.links[0].breaker.state == "open"
    assert (llm_server.count(OPENAI_PATH), llm_server.count(ANTHROPIC_PATH)) == (1, 1)
