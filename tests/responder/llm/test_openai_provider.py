"""The OpenAI-compatible provider against a local server speaking the chat-completions format."""

from __future__ import annotations

import pytest

from sfagent.responder.llm import LLMRequest, ProviderError, build_prompt
from sfagent.responder.llm.base import ChatMessage
from tests.responder.llm.conftest import OPENAI_MODEL, ProviderFactory
from tests.responder.llm.fake_server import (
    DEFAULT_TEXT,
    HANG,
    OPENAI_PATH,
    FakeLLMServer,
    Reply,
    error,
)

REQUEST = LLMRequest(system="Answer from the sources.", messages=(ChatMessage("user", "Hi"),))


async def test_completion_returns_text_usage_and_model(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    completion = await providers.openai().complete(REQUEST)

    assert completion.text == DEFAULT_TEXT
    assert (completion.prompt_tokens, completion.completion_tokens) == (42, 17)
    assert completion.finish_reason == "stop"
    assert completion.model_used == f"openai:{OPENAI_MODEL}"
    assert completion.latency_ms >= 0


async def test_request_carries_system_prompt_messages_and_limits(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    await providers.openai().complete(REQUEST)

    body = llm_server.last(OPENAI_PATH).body
    assert body["model"] == OPENAI_MODEL
    assert body["messages"] == [
        {"role": "system", "content": "Answer from the sources."},
        {"role": "user", "content": "Hi"},
    ]
    assert body["max_tokens"] == REQUEST.max_tokens
    assert llm_server.last(OPENAI_PATH).headers["authorization"] == "Bearer test-key"


async def test_stream_yields_deltas_then_usage(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    stream = providers.openai().stream(REQUEST)

    deltas = [delta async for delta in stream]

    assert len(deltas) > 1
    assert "".join(deltas) == DEFAULT_TEXT
    assert stream.completion.text == DEFAULT_TEXT
    assert (stream.completion.prompt_tokens, stream.completion.completion_tokens) == (42, 17)
    assert stream.completion.finish_reason == "stop"
    assert llm_server.last(OPENAI_PATH).body["stream"] is True


async def test_rate_limit_is_retried_after_the_servers_retry_after(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, error(429, Retry_After="2"), Reply())

    completion = await providers.openai().complete(REQUEST)

    assert completion.text == DEFAULT_TEXT
    assert llm_server.count(OPENAI_PATH) == 2
    assert providers.sleeps.waits[0] >= 2.0


async def test_retry_after_beyond_the_patience_limit_gives_up_at_once(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, error(429, Retry_After="3600"))

    with pytest.raises(ProviderError) as raised:
        await providers.openai().complete(REQUEST)

    assert raised.value.reason == "rate_limited"
    assert llm_server.count(OPENAI_PATH) == 1


async def test_server_errors_are_retried_until_attempts_run_out(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, *[error(500)] * 3)

    with pytest.raises(ProviderError) as raised:
        await providers.openai(max_attempts=3).complete(REQUEST)

    assert raised.value.reason == "server_error"
    assert raised.value.upstream_status == 500
    assert llm_server.count(OPENAI_PATH) == 3
    assert len(providers.sleeps.waits) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_client_errors_are_not_retried(
    status: int, llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, error(status))

    with pytest.raises(ProviderError) as raised:
        await providers.openai(max_attempts=3).complete(REQUEST)

    assert raised.value.reason == "client_error"
    assert not raised.value.retryable
    assert llm_server.count(OPENAI_PATH) == 1


async def test_a_hanging_server_times_out_and_is_retried(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, HANG)

    completion = await providers.openai(max_attempts=2).complete(REQUEST)

    assert completion.text == DEFAULT_TEXT
    assert llm_server.count(OPENAI_PATH) == 2


async def test_a_hanging_server_ends_in_a_timeout_error(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, HANG, HANG)

    with pytest.raises(ProviderError) as raised:
        await providers.openai(max_attempts=2).complete(REQUEST)

    assert raised.value.reason == "timeout"
    assert llm_server.count(OPENAI_PATH) == 2


async def test_stream_opening_is_retried_on_server_error(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, error(503))

    deltas = [delta async for delta in providers.openai().stream(REQUEST)]

    assert "".join(deltas) == DEFAULT_TEXT
    assert llm_server.count(OPENAI_PATH) == 2


async def test_a_stream_that_stalls_midway_times_out_without_replay(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, Reply(stall=True))
    deltas: list[str] = []

    with pytest.raises(ProviderError) as raised:
        async for delta in providers.openai().stream(REQUEST):
            deltas.append(delta)

    assert raised.value.reason == "timeout"
    assert deltas == [DEFAULT_TEXT.split()[0] + " "]
    assert llm_server.count(OPENAI_PATH) == 1


async def test_unreachable_server_is_a_connection_error(providers: ProviderFactory) -> None:
    provider = providers.openai(max_attempts=2)
    await providers.server.stop()

    with pytest.raises(ProviderError) as raised:
        await provider.complete(build_prompt("Hi", sources=()))

    assert raised.value.reason == "connection"
    assert raised.value.retryable
