"""Building the chain from configuration values; the app's lifespan calls this once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sfagent.errors import ConfigurationError
from sfagent.responder.llm import anthropic_provider, openai_provider
from sfagent.responder.llm.anthropic_provider import AnthropicProvider
from sfagent.responder.llm.base import Clock, Provider
from sfagent.responder.llm.breaker import CircuitBreaker
from sfagent.responder.llm.chain import ChainLink, LLMChain
from sfagent.responder.llm.openai_provider import MaxTokensField, OpenAICompatibleProvider
from sfagent.responder.llm.prompt import PromptOptions
from sfagent.responder.llm.retry import RetryPolicy, Sleep
from sfagent.responder.llm.usage import ModelPrice, PriceTable, UsageMeter

ProviderKind = Literal["openai", "anthropic"]


@dataclass(frozen=True)
class ProviderSettings:
    """One LLM backend as configured; "openai" covers every OpenAI-compatible server.

    base_url examples: https://api.openai.com/v1, https://<resource>.openai.azure.com/openai/v1,
    http://localhost:8000/v1 (vLLM), http://localhost:11434/v1 (Ollama),
    http://localhost:8080/v1 (llama.cpp), https://api.anthropic.com (Anthropic).
    """

    kind: ProviderKind
    model: str
    base_url: str | None = None
    api_key: str | None = None
    timeout: float = 20.0
    max_attempts: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 20.0
    failure_threshold: int = 5
    cool_down: float = 30.0
    max_tokens_field: MaxTokensField = "max_tokens"


def build_provider(settings: ProviderSettings, *, sleep: Sleep | None = None) -> Provider:
    """The provider for `settings`, with its retry policy; no request is made."""
    retry = RetryPolicy(
        max_attempts=settings.max_attempts,
        backoff_base=settings.backoff_base,
        backoff_max=settings.backoff_max,
        max_retry_after=settings.max_retry_after,
        sleep=sleep or asyncio.sleep,
    )
    if settings.kind == "openai":
        return OpenAICompatibleProvider(
            model=settings.model,
            api_key=settings.api_key,
            timeout=settings.timeout,
            retry=retry,
            max_tokens_field=settings.max_tokens_field,
            base_url=settings.base_url or openai_provider.DEFAULT_BASE_URL,
        )
    if settings.kind == "anthropic":
        return AnthropicProvider(
            model=settings.model,
            api_key=settings.api_key,
            timeout=settings.timeout,
            retry=retry,
            base_url=settings.base_url or anthropic_provider.DEFAULT_BASE_URL,
        )
    raise ConfigurationError(f"unknown LLM provider kind {settings.kind!r}")


def build_chain(
    providers: Sequence[ProviderSettings],
    *,
    prices: Mapping[str, ModelPrice] | None = None,
    usage: UsageMeter | None = None,
    prompt_options: PromptOptions | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
) -> LLMChain:
    """The chain trying `providers` in order (primary first), each with its own breaker."""
    links = []
    for settings in providers:
        breaker = CircuitBreaker(
            failure_threshold=settings.failure_threshold,
            cool_down=settings.cool_down,
            clock=clock or time.monotonic,
        )
        links.append(ChainLink(build_provider(settings, sleep=sleep), breaker))
    return LLMChain(links, usage=usage, prices=PriceTable(prices), prompt_options=prompt_options)
