"""OpenAI-compatible chat completions: OpenAI, Azure OpenAI (v1 API), vLLM, Ollama, llama.cpp."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

from sfagent.responder.llm.base import (
    ChatMessage,
    Completion,
    CompletionStream,
    LLMRequest,
    ProviderError,
)
from sfagent.responder.llm.errors import SdkErrors, translated_errors
from sfagent.responder.llm.retry import RetryPolicy

KIND = "openai"
_SDK_ERRORS = SdkErrors(
    timeout=openai.APITimeoutError,
    status=openai.APIStatusError,
    connection=openai.APIConnectionError,
    base=openai.OpenAIError,
)
DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, llama.cpp) need no key, but the client insists on one.
_PLACEHOLDER_KEY = "unused"

MaxTokensField = Literal["max_tokens", "max_completion_tokens"]


class OpenAICompatibleProvider:
    """Chat completions over the official async client; retries are ours, not the SDK's."""

    kind = KIND

    def __init__(
        self,
        *,
        model: str,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        max_tokens_field: MaxTokensField = "max_tokens",
        client: AsyncOpenAI | None = None,
    ) -> None:
        self.model = model
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        # OpenAI's reasoning models only accept max_completion_tokens; most servers take both.
        self._max_tokens_field = max_tokens_field
        self._client = client or AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or _PLACEHOLDER_KEY,
            timeout=timeout,
            max_retries=0,
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
                response: ChatCompletion = await self._client.chat.completions.create(
                    **self._arguments(request)
                )
        return self._completion(response, started)

    async def _stream_events(self, request: LLMRequest) -> AsyncIterator[str | Completion]:
        started = time.perf_counter()
        # Only opening the stream is retried: once text has reached the caller it cannot be
        # taken back, so a failure mid-stream is reported, not replayed.
        chunks = await self._retry.run(lambda: self._open_stream(request))
        parts: list[str] = []
        usage: tuple[int, int] = (0, 0)
        finish_reason: str | None = None
        async with chunks:
            async for chunk in self._guarded(chunks):
                if chunk.usage is not None:
                    usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices[:1]:
                    finish_reason = choice.finish_reason or finish_reason
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        yield choice.delta.content
        yield Completion(
            text="".join(parts),
            provider=KIND,
            model=self.model,
            prompt_tokens=usage[0],
            completion_tokens=usage[1],
            finish_reason=finish_reason,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    async def _open_stream(self, request: LLMRequest) -> openai.AsyncStream[ChatCompletionChunk]:
        with translated_errors(KIND, _SDK_ERRORS):
            async with asyncio.timeout(self._timeout):
                stream: openai.AsyncStream[ChatCompletionChunk]
                stream = await self._client.chat.completions.create(
                    **self._arguments(request),
                    stream=True,
                    stream_options={"include_usage": True},
                )
                return stream

    async def _guarded(
        self, chunks: openai.AsyncStream[ChatCompletionChunk]
    ) -> AsyncIterator[ChatCompletionChunk]:
        iterator = chunks.__aiter__()
        while True:
            # The timeout bounds the silence between chunks, not the whole answer.
            with translated_errors(KIND, _SDK_ERRORS):
                async with asyncio.timeout(self._timeout):
                    try:
                        chunk = await anext(iterator)
                    except StopAsyncIteration:
                        return
            yield chunk

    def _arguments(self, request: LLMRequest) -> dict[str, Any]:
        messages: list[ChatCompletionMessageParam] = [{"role": "system", "content": request.system}]
        messages += [_message_param(message) for message in request.messages]
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            self._max_tokens_field: request.max_tokens,
        }
        if request.temperature is not None:
            arguments["temperature"] = request.temperature
        return arguments

    def _completion(self, response: ChatCompletion, started: float) -> Completion:
        if not response.choices:
            raise ProviderError(
                "the server returned no choices",
                provider=KIND,
                reason="bad_response",
                retryable=False,
            )
        choice = response.choices[0]
        usage = response.usage
        return Completion(
            text=choice.message.content or "",
            provider=KIND,
            model=self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            finish_reason=choice.finish_reason,
            latency_ms=(time.perf_counter() - started) * 1000,
        )


def _message_param(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "user":
        return {"role": "user", "content": message.content}
    return {"role": "assistant", "content": message.content}
