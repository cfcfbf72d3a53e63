"""Anthropic's Messages API over the official async client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import anthropic
from anthropic import AsyncAnthropic
from anthropic.types import Message, MessageParam, RawMessageStreamEvent, Usage

from sfagent.responder.llm.base import (
    ChatMessage,
    Completion,
    CompletionStream,
    LLMRequest,
)
from sfagent.responder.llm.errors import SdkErrors, translated_errors
from sfagent.responder.llm.retry import RetryPolicy

KIND = "anthropic"
_SDK_ERRORS = SdkErrors(
    timeout=anthropic.APITimeoutError,
    status=anthropic.APIStatusError,
    connection=anthropic.APIConnectionError,
    base=anthropic.AnthropicError,
)
DEFAULT_BASE_URL = "https://api.anthropic.com"


class AnthropicProvider:
    """Claude models through the Messages API; retries are ours, not the SDK's.

    The request's temperature is not sent: current Messages API versions do not take it.
    """

    kind = KIND

    def __init__(
        self,
        *,
        model: str,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        client: AsyncAnthropic | None = None,
    ) -> None:
        self.model = model
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._client = client or AsyncAnthropic(
            base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0
        )

    async def complete(self, request: LLMRequest) -> Completion:
        return await self._retry.run(lambda: self._complete_once(request))

    def stream(self, request: LLMRequest) -> CompletionStream:
        return CompletionStream(self._stream_events(request))

    async def aclose(self) -> None:
        await self._client.close()

    async def _complete_once(self, request: LLMRequest) -> Completion:
        started = time.perf_counter()
        with translated_errors(KIND, _SDK_ERRORS):
            async with asyncio.timeout(self._timeout):
                message: Message = await self._client.messages.create(**self._arguments(request))
        text = "".join(block.text for block in message.content if block.type == "text")
        return Completion(
            text=text,
            provider=KIND,
            model=self.model,
            prompt_tokens=_input_tokens(message.usage),
            completion_tokens=message.usage.output_tokens,
            finish_reason=message.stop_reason,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    async def _stream_events(self, request: LLMRequest) -> AsyncIterator[str | Completion]:
        started = time.perf_counter()
        # Only opening the stream is retried: text already shown cannot be taken back.
        events = await self._retry.run(lambda: self._open_stream(request))
        tally = _StreamTally()
        async with events:
            async for event in self._guarded(events):
                delta = tally.add(event)
                if delta:
                    yield delta
        yield Completion(
            text="".join(tally.parts),
            provider=KIND,
            model=self.model,
            prompt_tokens=tally.prompt_tokens,
            completion_tokens=tally.completion_tokens,
            finish_reason=tally.finish_reason,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    async def _open_stream(
        self, request: LLMRequest
    ) -> anthropic.AsyncStream[RawMessageStreamEvent]:
        with translated_errors(KIND, _SDK_ERRORS):
            async with asyncio.timeout(self._timeout):
                stream: anthropic.AsyncStream[RawMessageStreamEvent]
                stream = await self._client.messages.create(**self._arguments(request), stream=True)
                return stream

    async def _guarded(
        self, events: anthropic.AsyncStream[RawMessageStreamEvent]
    ) -> AsyncIterator[RawMessageStreamEvent]:
        iterator = events.__aiter__()
        while True:
            # The timeout bounds the silence between events, not the whole answer.
            with translated_errors(KIND, _SDK_ERRORS):
                async with asyncio.timeout(self._timeout):
                    try:
                        event = await anext(iterator)
                    except StopAsyncIteration:
                        return
            yield event

    def _arguments(self, request: LLMRequest) -> dict[str, Any]:
        messages = [_message_param(message) for message in request.messages]
        return {
            "model": self.model,
            "system": request.system,
            "messages": messages,
            "max_tokens": request.max_tokens,
        }


class _StreamTally:
    """Accumulates text, usage and stop reason from the raw Messages stream events."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.finish_reason: str | None = None

    def add(self, event: RawMessageStreamEvent) -> str | None:
        if event.type == "message_start":
            self.prompt_tokens = _input_tokens(event.message.usage)
            self.completion_tokens = event.message.usage.output_tokens
        elif event.type == "content_block_delta" and event.delta.type == "text_delta":
            self.parts.append(event.delta.text)
            return event.delta.text
        elif event.type == "message_delta":
            # message_delta carries the cumulative output count for the whole message.
            self.completion_tokens = event.usage.output_tokens
            self.finish_reason = event.delta.stop_reason or self.finish_reason
        return None


def _message_param(message: ChatMessage) -> MessageParam:
    if message.role == "user":
        return {"role": "user", "content": message.content}
    return {"role": "assistant", "content": message.content}


def _input_tokens(usage: Usage) -> int:
    # Cached prompt tokens are billed too, at their own rate; all count as prompt tokens.
    cached = (usage.cache_creation_input_tokens or 0) + (usage.cache_read_input_tokens or 0)
    return usage.input_tokens + cached
