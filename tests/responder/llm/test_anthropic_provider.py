"""The Anthropic provider against a local server speaking the Messages format."""

from __future__ import annotations

import pytest

from sfagent.responder.llm import LLMRequest, ProviderError
from sfagent.responder.llm.base import ChatMessage
from tests.responder.llm.conftest import ANTHROPIC_MODEL, ProviderFactory
from tests.responder.llm.fake_server import (
    ANTHROPIC_PATH,
    DEFAULT_TEXT,
    HANG,
    FakeLLMServer,
    Reply,
    error,
)

REQUEST = LLMRequest(
    system="Answer from the sources.",
    messages=(
        ChatMessage("user", "My trigger fails"),
        ChatMessage("assistant", "Which error?"),
        ChatMessage("user", "UNABLE_TO_LOCK_ROW"),
    ),
    max_tokens=300,
)


async def test_completion_returns_text_usage_and_model(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    completion = await providers.anthropic().complete(REQUEST)

    assert completion.text == DEFAULT_TEXT
    assert (completion.prompt_tokens, completion.completion_tokens) == (42, 17)
    assert completion.finish_reason == "end_turn"
    assert completion.model_used == f"anthropic:{ANTHROPIC_MODEL}"


async def test_request_uses_the_messages_format(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    await providers.anthropic().complete(REQUEST)

    recorded = llm_server.last(ANTHROPIC_PATH)
    assert recorded.body["system"] == "Answer from the sources."
    assert [m["role"] for m in recorded.body["messages"]] == ["user", "assistant", "user"]
    assert recorded.body["max_tokens"] == 300
    # SDK 2.x authenticates with a bearer token; older ones used x-api-key.
    credentials = {recorded.headers.get("x-api-key"), recorded.headers.get("authorization")}
    assert credentials & {"test-key", "Bearer test-key"}
    assert "anthropic-version" in recorded.headers


async def test_stream_yields_deltas_then_usage(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    stream = providers.anthropic().stream(REQUEST)

    deltas = [delta async for delta in stream]

    assert len(deltas) > 1
    assert "".join(deltas) == DEFAULT_TEXT
    assert (stream.completion.prompt_tokens, stream.completion.completion_tokens) == (42, 17)
    assert stream.completion.finish_reason == "end_turn"


async def test_overloaded_then_success_is_retried(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(ANTHROPIC_PATH, error(529), error(429, retry_after_ms="1500"), Reply())

    completion = await providers.anthropic().complete(REQUEST)

    assert completion.text == DEFAULT_TEXT
    assert llm_server.count(ANTHROPIC_PATH) == 3
    assert providers.sleeps.waits[1] >= 1.5


async def test_authentication_failure_is_not_retried(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(ANTHROPIC_PATH, error(401))

    with pytest.raises(ProviderError) as raised:
        await providers.anthropic().complete(REQUEST)

    assert raised.value.reason == "client_error"
    assert llm_server.count(ANTHROPIC_PATH) == 1


async def test_a_hanging_server_ends_in_a_timeout_error(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(ANTHROPIC_PATH, HANG)

    with pytest.raises(ProviderError) as raised:
        await providers.anthropic(max_attempts=1).complete(REQUEST)

    assert raised.value.reason == "timeout"


async def test_a_stream_that_stalls_midway_times_out(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(ANTHROPIC_PATH, Reply(stall=True))
    deltas: list[str] = []

    with pytest.raises(ProviderError) as raised:
        async for delta in providers.anthropic().stream(REQUEST):
            deltas.append(delta)

    assert raised.value.reason == "timeout"
    assert len(deltas) == 1
