"""Retry-After parsing and the retry policy's decisions, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sfagent.responder.llm import FailureReason, ProviderError, RetryPolicy
from sfagent.responder.llm.retry import parse_retry_after
from tests.responder.llm.conftest import RecordedSleeps

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": "Thu, 01 Jan 2026 12:00:30 GMT"}, 30.0),
        ({"Retry-After": "Thu, 01 Jan 2026 11:00:00 GMT"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str] | None, expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


def failing(
    reason: FailureReason, *, retryable: bool, retry_after: float | None = None
) -> ProviderError:
    return ProviderError(
        "boom", provider="p", reason=reason, retryable=retryable, retry_after=retry_after
    )


async def test_backoff_grows_within_the_cap_and_the_last_error_is_raised() -> None:
    sleeps = RecordedSleeps()
    policy = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, sleep=sleeps)
    calls = 0

    async def always_down() -> str:
        nonlocal calls
        calls += 1
        raise failing("server_error", retryable=True)

    with pytest.raises(ProviderError):
        await policy.run(always_down)

    assert calls == 4
    assert len(sleeps.waits) == 3
    assert all(0 <= wait <= 0.05 for wait in sleeps.waits)


async def test_non_retryable_error_is_raised_at_once() -> None:
    sleeps = RecordedSleeps()
    calls = 0

    async def unauthorized() -> str:
        nonlocal calls
        calls += 1
        raise failing("client_error", retryable=False)

    with pytest.raises(ProviderError):
        await RetryPolicy(max_attempts=3, sleep=sleeps).run(unauthorized)

    assert calls == 1
    assert sleeps.waits == []


async def test_retry_after_outweighs_a_shorter_backoff() -> None:
    sleeps = RecordedSleeps()
    outcomes: list[ProviderError | str] = [failing("rate_limited", retryable=True, retry_after=3)]

    async def limited_once() -> str:
        outcome = outcomes.pop(0) if outcomes else "ok"
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    result = await RetryPolicy(backoff_base=0.01, backoff_max=0.05, sleep=sleeps).run(limited_once)

    assert result == "ok"
    assert sleeps.waits == [3]
