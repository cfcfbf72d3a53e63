"""Retrying transient provider failures: exponential backoff, full jitter, Retry-After honoured."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

from sfagent.responder.llm.base import ProviderError

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one provider call is retried.

    `max_attempts` counts the first call. A Retry-After longer than `max_retry_after` ends
    the retries at once: a customer is waiting, and the next link of the chain can answer.
    """

    max_attempts: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 20.0
    sleep: Sleep = field(default=asyncio.sleep, compare=False)

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await `call`, retrying retryable `ProviderError`s; the last error is re-raised."""

        async def attempt() -> T:
            return await call()

        retrying = AsyncRetrying(
            sleep=self.sleep,
            stop=stop_after_attempt(max(1, self.max_attempts)) | _RetryAfterTooLong(self),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            reraise=True,
        )
        result: T = await retrying(attempt)
        return result

    def _wait(self, state: RetryCallState) -> float:
        jittered = wait_random_exponential(multiplier=self.backoff_base, max=self.backoff_max)
        return max(jittered(state), _retry_after(state) or 0.0)


class _RetryAfterTooLong(stop_base):
    def __init__(self, policy: RetryPolicy) -> None:
        self._limit = policy.max_retry_after

    def __call__(self, retry_state: RetryCallState) -> bool:
        delay = _retry_after(retry_state)
        return delay is not None and delay > self._limit


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, ProviderError) and error.retryable


def _retry_after(state: RetryCallState) -> float | None:
    error = state.outcome.exception() if state.outcome else None
    return error.retry_after if isinstance(error, ProviderError) else None


def parse_retry_after(
    headers: dict[str, str] | None, *, now: datetime | None = None
) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    if not headers:
        return None
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    milliseconds = _as_float(lowered.get("retry-after-ms"))
    if milliseconds is not None:
        return max(0.0, milliseconds / 1000)
    value = lowered.get("retry-after")
    if not value:
        return None
    seconds = _as_float(value)
    if seconds is not None:
        return max(0.0, seconds)
    return _seconds_until(value, now or datetime.now(UTC))


def _as_float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
