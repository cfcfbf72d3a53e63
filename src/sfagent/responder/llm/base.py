"""What every LLM provider speaks: the request, the completion, the stream and the error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from sfagent.errors import SfagentError

Role = Literal["user", "assistant"]

FailureReason = Literal[
    "timeout",
    "rate_limited",
    "server_error",
    "connection",
    "client_error",
    "bad_response",
    "circuit_open",
    "budget_exhausted",
    "no_grounding",
    "empty_answer",
    "guard_rejected",
    "unexpected_error",
    "composer_declined",
    "composer_error",
]


@dataclass(frozen=True)
class ChatMessage:
    """One turn sent to the model; the system prompt travels separately."""

    role: Role
    content: str


@dataclass(frozen=True)
class LLMRequest:
    """A provider-neutral chat request."""

    system: str
    messages: tuple[ChatMessage, ...]
    max_tokens: int = 700
    # None leaves the server default; the Anthropic Messages API no longer takes it.
    temperature: float | None = 0.2


@dataclass(frozen=True)
class Completion:
    """A finished answer with the figures needed for accounting and monitoring."""

    text: str
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    latency_ms: float

    @property
    def model_used(self) -> str:
        return provider_label(self.provider, self.model)


class ProviderError(SfagentError):
    """A provider call that did not produce an answer, classified for retry and fallback."""

    status_code = 503

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        reason: FailureReason,
        retryable: bool,
        upstream_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, details={"provider": provider, "reason": reason})
        self.provider = provider
        self.reason: FailureReason = reason
        self.retryable = retryable
        self.upstream_status = upstream_status
        self.retry_after = retry_after


class CompletionStream:
    """Text deltas as they arrive; `completion` holds text and usage once exhausted.

    Wraps an async generator that yields `str` deltas and finally one `Completion`, so a
    provider writes a single generator and callers get a plain `async for delta in stream`.
    """

    def __init__(self, events: AsyncIterator[str | Completion]) -> None:
        self._events = events
        self._completion: Completion | None = None

    def __aiter__(self) -> AsyncIterator[str]:
        return self._deltas()

    async def _deltas(self) -> AsyncIterator[str]:
        async for event in self._events:
            if isinstance(event, Completion):
                self._completion = event
            elif event:
                yield event

    @property
    def completion(self) -> Completion:
        """The final completion; only available after the stream has been consumed."""
        if self._completion is None:
            raise RuntimeError("the stream has not finished yet")
        return self._completion


class Provider(Protocol):
    """An LLM backend. Implementations retry transient failures themselves.

    Attributes:
        kind: provider family, e.g. "openai" or "anthropic".
        model: the model name sent to the server.
    """

    kind: str
    model: str

    async def complete(self, request: LLMRequest) -> Completion:
        """Return the whole answer.

        Args:
            request: system prompt, messages and generation limits.

        Returns:
            The completion with token usage and latency.

        Raises:
            ProviderError: the call failed after the provider's retries.
        """
        ...

    def stream(self, request: LLMRequest) -> CompletionStream:
        """Return the answer as text deltas; usage is on `stream.completion` afterwards.

        Raises:
            ProviderError: while iterating, when the call fails.
        """
        ...

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        ...


Clock = Callable[[], float]


def provider_label(kind: str, model: str) -> str:
    """The `model_used` name of a provider, e.g. "openai:gpt-4o-mini"."""
    return f"{kind}:{model}"
