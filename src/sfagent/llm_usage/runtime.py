"""The LLM chain as the app runs it: built from settings, metered in the database.

`LlmRuntime.from_settings` returns None when no provider is configured; callers then use
the grounded composer alone. The LLM package is imported only when a provider is
configured: it loads the provider SDKs, which takes seconds an LLM-free deployment (and
every CLI command) should not pay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.config import LlmProviderConfig, Settings
from sfagent.llm_usage.meter import Clock, DatabaseUsageMeter

if TYPE_CHECKING:
    from sfagent.responder.llm import ChainResult, LLMChain, ProviderSettings

SourceTuple = tuple[str, str, str]
"""A retrieved passage: (article_id, title, text)."""
DiagnosticTuple = tuple[str, str, Sequence[str]]
"""A diagnostic finding: (title, explanation, fix steps)."""
HistoryTuple = tuple[str, str]
"""An earlier message: (role, content); every role but "user" is the assistant's side."""


class LlmRuntime:
    """The configured LLM chain and its database usage meter, for the respond stage."""

    def __init__(self, chain: LLMChain, meter: DatabaseUsageMeter) -> None:
        self.chain = chain
        self.meter = meter

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        write_lock: asyncio.Lock | None = None,
        clock: Clock | None = None,
    ) -> LlmRuntime | None:
        """The runtime for SFAGENT_LLM_PROVIDERS, or None when none is configured.

        `sessionmaker` should be the writer one; `write_lock` is the app's SQLite writer
        queue (None on PostgreSQL). No request is made here.
        """
        if not settings.llm_providers:
            return None
        # Deferred on purpose (see the module docstring), not to dodge an import cycle.
        from sfagent.responder.llm import ModelPrice, build_chain

        meter = DatabaseUsageMeter(sessionmaker, settings, write_lock=write_lock, clock=clock)
        prices = {
            name: ModelPrice(price.input_per_million, price.output_per_million)
            for name, price in settings.llm_prices.items()
        }
        providers = [_provider_settings(config) for config in settings.llm_providers]
        return cls(build_chain(providers, prices=prices, usage=meter), meter)

    async def answer(
        self,
        *,
        tenant_id: str,
        question: str,
        sources: Sequence[SourceTuple] = (),
        diagnostics: Sequence[DiagnosticTuple] = (),
        history: Sequence[HistoryTuple] = (),
        composer_reply: str | None,
        handoff_reply: str,
    ) -> ChainResult:
        """The reply to one turn: an LLM answer when one is grounded, else the fallbacks.

        `composer_reply` is the grounded composer's text (None when it has none) and
        `handoff_reply` what the customer is told when a person takes over. Never raises
        for an LLM failure; `model_used` says which link answered ("composer", "human" or
        "kind:model").
        """
        # Already loaded by from_settings: this is a lookup, not an import.
        from sfagent.responder.llm import (
            ChainRequest,
            FallbackReply,
            HistoryTurn,
            PromptDiagnostic,
            PromptSource,
        )

        request = ChainRequest(
            tenant_id=tenant_id,
            question=question,
            sources=tuple(PromptSource(*source) for source in sources),
            diagnostics=tuple(
                PromptDiagnostic(title, explanation, tuple(steps))
                for title, explanation, steps in diagnostics
            ),
            history=tuple(
                HistoryTurn("user" if role == "user" else "assistant", content)
                for role, content in history
            ),
        )

        async def composer() -> FallbackReply | None:
            return FallbackReply(composer_reply) if composer_reply is not None else None

        async def human() -> FallbackReply:
            return FallbackReply(handoff_reply)

        return await self.chain.respond(request, composer=composer, human=human)

    async def flush(self) -> None:
        """Wait until the usage of every call so far is committed."""
        await self.meter.flush()

    async def aclose(self) -> None:
        """Close the providers' HTTP clients and finish the usage writes."""
        await self.chain.aclose()
        await self.meter.aclose()


def _provider_settings(config: LlmProviderConfig) -> ProviderSettings:
    from sfagent.responder.llm import ProviderSettings

    return ProviderSettings(
        kind=config.kind,
        model=config.model,
        base_url=config.base_url,
        api_key=config.api_key.get_secret_value() if config.api_key else None,
        timeout=config.timeout,
        max_attempts=config.max_attempts,
        failure_threshold=config.failure_threshold,
        cool_down=config.cool_down,
        max_tokens_field=config.max_tokens_field,
    )
