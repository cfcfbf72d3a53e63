"""Classifying provider failures: which are worth a retry and which only a fallback can fix."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sfagent.responder.llm.base import FailureReason, ProviderError
from sfagent.responder.llm.retry import parse_retry_after

# 408 and 409 are OpenAI's and Anthropic's own "try again" answers besides 429 and 5xx.
_RETRYABLE_CLIENT_STATUSES = frozenset({408, 409, 429})


def classify_status(
    provider: str, status: int, message: str, retry_after: float | None
) -> ProviderError:
    """The error for an HTTP status: 429/408/409/5xx retryable; 400/401/403/404 and the rest not."""
    reason: FailureReason
    if status == 429:
        reason = "rate_limited"
    elif status >= 500:
        reason = "server_error"
    elif status == 408:
        reason = "timeout"
    else:
        reason = "client_error"
    retryable = status >= 500 or status in _RETRYABLE_CLIENT_STATUSES
    return ProviderError(
        f"{provider} answered HTTP {status}: {message}",
        provider=provider,
        reason=reason,
        retryable=retryable,
        upstream_status=status,
        retry_after=retry_after if retryable else None,
    )


def timeout_error(provider: str) -> ProviderError:
    return ProviderError(
        f"{provider} did not answer in time", provider=provider, reason="timeout", retryable=True
    )


def connection_error(provider: str, message: str) -> ProviderError:
    return ProviderError(
        f"could not reach {provider}: {message}",
        provider=provider,
        reason="connection",
        retryable=True,
    )


@dataclass(frozen=True, slots=True)
class SdkErrors:
    """An SDK's exception classes; the OpenAI and Anthropic clients share this shape."""

    timeout: type[Exception]
    status: type[Exception]  # has .status_code and .response
    connection: type[Exception]
    base: type[Exception]


@contextmanager
def translated_errors(provider: str, sdk: SdkErrors) -> Iterator[None]:
    """Turn SDK and timeout exceptions into `ProviderError`s the retry policy understands."""
    try:
        yield
    except ProviderError:
        raise
    except (TimeoutError, sdk.timeout) as error:
        raise timeout_error(provider) from error
    except sdk.status as error:
        failed: Any = error
        retry_after = parse_retry_after(dict(failed.response.headers))
        raise classify_status(provider, failed.status_code, str(error), retry_after) from error
    except sdk.connection as error:
        raise connection_error(provider, str(error)) from error
    except sdk.base as error:
        raise ProviderError(
            str(error), provider=provider, reason="bad_response", retryable=False
        ) from error
