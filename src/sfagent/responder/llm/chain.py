"""The fallback chain: primary LLM → secondary LLM → grounded composer → human.

An LLM answer is used only when its provider is healthy, the tenant has budget left and
the grounding guard passes it; every other outcome moves down the chain with the reason
recorded. Nothing an LLM does can turn a customer's message into an error: the composer
and the human handoff are always there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import structlog

from sfagent.responder.llm.base import (
    Completion,
    FailureReason,
    LLMRequest,
    Provider,
    ProviderError,
    provider_label,
)
from sfagent.responder.llm.breaker import CircuitBreaker
from sfagent.responder.llm.guard import GroundingVerdict, check_grounding
from sfagent.responder.llm.prompt import (
    HistoryTurn,
    PromptDiagnostic,
    PromptOptions,
    PromptSource,
    build_prompt,
)
from sfagent.responder.llm.usage import Cost, PriceTable, UsageMeter

log = structlog.get_logger(__name__)

COMPOSER = "composer"
HUMAN = "human"


@dataclass(frozen=True)
class FallbackReply:
    """What the composer or the human handoff says to the customer."""

    text: str


ComposerFallback = Callable[[], Awaitable[FallbackReply | None]]
"""The grounded composer; None when it has nothing to say (the chain then hands off)."""
HumanFallback = Callable[[], Awaitable[FallbackReply]]
"""The handoff to a person; it always has a reply (e.g. "a colleague will take over")."""


@dataclass(frozen=True)
class ChainLink:
    """One LLM provider with its own circuit breaker."""

    provider: Provider
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)

    @property
    def label(self) -> str:
        return provider_label(self.provider.kind, self.provider.model)


@dataclass(frozen=True)
class ChainRequest:
    """One customer turn with everything the engines found for it."""

    tenant_id: str
    question: str
    sources: Sequence[PromptSource] = ()
    diagnostics: Sequence[PromptDiagnostic] = ()
    history: Sequence[HistoryTurn] = ()


@dataclass(frozen=True)
class LinkFailure:
    """Why a link of the chain did not answer."""

    link: str
    reason: FailureReason
    detail: str = ""


@dataclass(frozen=True)
class ChainResult:
    """The reply and the path that led to it."""

    text: str
    model_used: str
    failures: tuple[LinkFailure, ...] = ()
    completion: Completion | None = None
    verdict: GroundingVerdict | None = None
    cost: float = 0.0

    @property
    def by_llm(self) -> bool:
        return self.completion is not None

    @property
    def handed_to_human(self) -> bool:
        return self.model_used == HUMAN


class LLMChain:
    """Tries each LLM link in order, then the composer, then a person."""

    def __init__(
        self,
        links: Sequence[ChainLink],
        *,
        usage: UsageMeter | None = None,
        prices: PriceTable | None = None,
        prompt_options: PromptOptions | None = None,
        require_grounding: bool = True,
    ) -> None:
        self.links = tuple(links)
        self._usage = usage
        self._prices = prices or PriceTable()
        self._prompt_options = prompt_options or PromptOptions()
        # With no source and no diagnostic, an LLM can only guess or say it does not know;
        # the composer says the latter for free.
        self._require_grounding = require_grounding

    async def respond(
        self, request: ChainRequest, *, composer: ComposerFallback, human: HumanFallback
    ) -> ChainResult:
        """The first grounded answer down the chain; never raises for an LLM failure."""
        failures: list[LinkFailure] = []
        if self.links:
            answered = await self._try_llms(request, failures)
            if answered is not None:
                return answered
        return await self._fall_back(failures, composer, human)

    async def aclose(self) -> None:
        """Close every provider's HTTP client."""
        for link in self.links:
            await link.provider.aclose()

    async def _try_llms(
        self, request: ChainRequest, failures: list[LinkFailure]
    ) -> ChainResult | None:
        if self._require_grounding and not (request.sources or request.diagnostics):
            failures.append(LinkFailure("llm", "no_grounding", "no source or diagnostic"))
            return None
        prompt = build_prompt(
            request.question,
            sources=request.sources,
            diagnostics=request.diagnostics,
            history=request.history,
            options=self._prompt_options,
        )
        for link in self.links:
            outcome = await self._try_link(link, prompt, request, failures)
            if outcome == "stop":
                return None
            if outcome != "next":
                return outcome
        return None

    async def _try_link(
        self,
        link: ChainLink,
        prompt: LLMRequest,
        request: ChainRequest,
        failures: list[LinkFailure],
    ) -> ChainResult | Literal["next", "stop"]:
        if await self._budget_exhausted(request.tenant_id):
            failures.append(LinkFailure(link.label, "budget_exhausted"))
            return "next"
        if not link.breaker.allow():
            failures.append(LinkFailure(link.label, "circuit_open"))
            return "next"
        completion = await self._call(link, prompt, failures)
        if completion is None:
            return "next"
        cost = await self._record_usage(request.tenant_id, completion)
        if not completion.text.strip():
            failures.append(LinkFailure(link.label, "empty_answer"))
            return "next"
        verdict = check_grounding(
            completion.text,
            sources=request.sources,
            diagnostics=request.diagnostics,
            user_input=[
                request.question,
                *(t.content for t in request.history if t.role == "user"),
            ],
        )
        if not verdict.passed:
            failures.append(LinkFailure(link.label, "guard_rejected", ", ".join(verdict.offending)))
            # The rejection is about the question, not the provider: another model given the
            # same prompt is no safer a bet than the composer, and it costs money.
            return "stop"
        return ChainResult(
            text=completion.text,
            model_used=link.label,
            failures=tuple(failures),
            completion=completion,
            verdict=verdict,
            cost=cost.amount,
        )

    async def _call(
        self, link: ChainLink, prompt: LLMRequest, failures: list[LinkFailure]
    ) -> Completion | None:
        try:
            completion = await link.provider.complete(prompt)
        except ProviderError as error:
            link.breaker.record_failure()
            failures.append(LinkFailure(link.label, error.reason, error.message))
            log.warning("llm.link_failed", link=link.label, reason=error.reason)
            return None
        except Exception as error:
            # The contract is that an LLM never turns a message into a 500: a bug in an SDK
            # or a provider is logged and treated as that provider failing.
            link.breaker.record_failure()
            failures.append(LinkFailure(link.label, "unexpected_error", repr(error)))
            log.exception("llm.link_crashed", link=link.label)
            return None
        link.breaker.record_success()
        return completion

    async def _budget_exhausted(self, tenant_id: str) -> bool:
        if self._usage is None:
            return False
        remaining = await self._usage.remaining_budget(tenant_id)
        return remaining is not None and remaining <= 0

    async def _record_usage(self, tenant_id: str, completion: Completion) -> Cost:
        cost = self._prices.cost(
            completion.provider,
            completion.model,
            completion.prompt_tokens,
            completion.completion_tokens,
        )
        if not cost.priced:
            log.warning("llm.model_unpriced", model=completion.model_used)
        if self._usage is not None:
            await self._usage.record(
                tenant_id,
                completion.provider,
                completion.model,
                completion.prompt_tokens,
                completion.completion_tokens,
                cost,
            )
        return cost

    async def _fall_back(
        self, failures: list[LinkFailure], composer: ComposerFallback, human: HumanFallback
    ) -> ChainResult:
        try:
            reply = await composer()
        except Exception as error:
            # A composer bug must not cost the customer their answer; a person still can.
            failures.append(LinkFailure(COMPOSER, "composer_error", repr(error)))
            log.exception("llm.composer_crashed")
        else:
            if reply is not None:
                return ChainResult(reply.text, COMPOSER, tuple(failures))
            failures.append(LinkFailure(COMPOSER, "composer_declined"))
        handoff = await human()
        return ChainResult(handoff.text, HUMAN, tuple(failures))
