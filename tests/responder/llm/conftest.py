"""A fake LLM server per test, and providers pointed at it with small timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from sfagent.responder.llm import (
    AnthropicProvider,
    OpenAICompatibleProvider,
    RetryPolicy,
)
from tests.responder.llm.fake_server import FakeLLMServer

OPENAI_MODEL = "gpt-test"
ANTHROPIC_MODEL = "claude-test"
CLIENT_TIMEOUT = 0.3


@dataclass
class RecordedSleeps:
    """Stands in for asyncio.sleep: remembers each backoff instead of waiting it out."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


@dataclass
class ProviderFactory:
    """Builds providers against the fake server and closes them after the test."""

    server: FakeLLMServer
    sleeps: RecordedSleeps
    built: list[OpenAICompatibleProvider | AnthropicProvider] = field(default_factory=list)

    def retry(self, max_attempts: int) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=max_attempts, backoff_base=0.01, backoff_max=0.05, sleep=self.sleeps
        )

    def openai(self, *, max_attempts: int = 3) -> OpenAICompatibleProvider:
        provider = OpenAICompatibleProvider(
            model=OPENAI_MODEL,
            base_url=self.server.openai_base_url,
            api_key="test-key",
            timeout=CLIENT_TIMEOUT,
            retry=self.retry(max_attempts),
        )
        self.built.append(provider)
        return provider

    def anthropic(self, *, max_attempts: int = 3) -> AnthropicProvider:
        provider = AnthropicProvider(
            model=ANTHROPIC_MODEL,
            base_url=self.server.anthropic_base_url,
            api_key="test-key",
            timeout=CLIENT_TIMEOUT,
            retry=self.retry(max_attempts),
        )
        self.built.append(provider)
        return provider


@pytest.fixture
async def llm_server() -> AsyncIterator[FakeLLMServer]:
    server = FakeLLMServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def providers(llm_server: FakeLLMServer) -> AsyncIterator[ProviderFactory]:
    factory = ProviderFactory(llm_server, RecordedSleeps())
    yield factory
    for provider in factory.built:
        await provider.aclose()
