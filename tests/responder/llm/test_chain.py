"""The fallback chain end to end: real providers on a local server, fake composer and human."""

from __future__ import annotations

from dataclasses import dataclass, field

from sfagent.responder.llm import (
    COMPOSER,
    HUMAN,
    ChainLink,
    ChainRequest,
    CircuitBreaker,
    FallbackReply,
    InMemoryUsageMeter,
    LLMChain,
    ModelPrice,
    PriceTable,
    PromptDiagnostic,
    PromptSource,
)
from tests.responder.llm.conftest import ANTHROPIC_MODEL, OPENAI_MODEL, ProviderFactory
from tests.responder.llm.fake_server import (
    ANTHROPIC_PATH,
    DEFAULT_TEXT,
    HANG,
    OPENAI_PATH,
    FakeLLMServer,
    Reply,
    error,
)

PRIMARY = f"openai:{OPENAI_MODEL}"
SECONDARY = f"anthropic:{ANTHROPIC_MODEL}"
SOURCES = (
    PromptSource(
        "kb-1",
        "Partial DML success",
        "Database.update(records, false) saves the valid records and returns errors for the rest.",
    ),
)
REQUEST = ChainRequest(
    tenant_id="org-1", question="Some records fail validation and nothing saves", sources=SOURCES
)


@dataclass
class Fallbacks:
    """The composer and the human handoff, counting their calls."""

    composer_reply: FallbackReply | None = field(default_factory=lambda: FallbackReply("composed"))
    composer_calls: int = 0
    human_calls: int = 0

    async def composer(self) -> FallbackReply | None:
        self.composer_calls += 1
        return self.composer_reply

    async def human(self) -> FallbackReply:
        self.human_calls += 1
        return FallbackReply("A colleague will take over.")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def two_link_chain(
    providers: ProviderFactory,
    *,
    max_attempts: int = 2,
    breaker: CircuitBreaker | None = None,
    usage: InMemoryUsageMeter | None = None,
    prices: PriceTable | None = None,
) -> LLMChain:
    primary = ChainLink(providers.openai(max_attempts=max_attempts), breaker or CircuitBreaker())
    secondary = ChainLink(providers.anthropic(max_attempts=max_attempts))
    return LLMChain([primary, secondary], usage=usage, prices=prices)


async def test_primary_answers_when_healthy_and_grounded(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    fallbacks = Fallbacks()

    result = await two_link_chain(providers).respond(
        REQUEST, composer=fallbacks.composer, human=fallbacks.human
    )

    assert result.text == DEFAULT_TEXT
    assert result.model_used == PRIMARY
    assert result.failures == ()
    assert result.verdict is not None and result.verdict.passed
    assert llm_server.count(ANTHROPIC_PATH) == 0
    assert fallbacks.composer_calls == 0


async def test_server_errors_exhaust_retries_then_secondary_answers(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, error(500), error(500))
    fallbacks = Fallbacks()

    result = await two_link_chain(providers, max_attempts=2).respond(
        REQUEST, composer=fallbacks.composer, human=fallbacks.human
    )

    assert result.model_used == SECONDARY
    assert llm_server.count(OPENAI_PATH) == 2
    assert [(f.link, f.reason) for f in result.failures] == [(PRIMARY, "server_error")]


async def test_hanging_primary_times_out_and_falls_back(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, HANG)
    fallbacks = Fallbacks()

    result = await two_link_chain(providers, max_attempts=1).respond(
        REQUEST, composer=fallbacks.composer, human=fallbacks.human
    )

    assert result.model_used == SECONDARY
    assert result.failures[0].reason == "timeout"


async def test_both_providers_down_falls_to_the_composer(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, error(503))
    llm_server.script(ANTHROPIC_PATH, error(401))
    fallbacks = Fallbacks()

    result = await two_link_chain(providers, max_attempts=1).respond(
        REQUEST, composer=fallbacks.composer, human=fallbacks.human
    )

    assert (result.model_used, result.text) == (COMPOSER, "composed")
    assert [f.reason for f in result.failures] == ["server_error", "client_error"]
    assert not result.by_llm


async def test_composer_without_an_answer_hands_off_to_a_human(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    fallbacks = Fallbacks(composer_reply=None)
    chain = LLMChain([])

    result = await chain.respond(REQUEST, composer=fallbacks.composer, human=fallbacks.human)

    assert result.model_used == HUMAN
    assert result.handed_to_human
    assert result.failures[-1].reason == "composer_declined"


async def test_crashing_composer_still_reaches_a_human(providers: ProviderFactory) -> None:
    fallbacks = Fallbacks()

    async def broken_composer() -> FallbackReply | None:
        raise RuntimeError("bug")

    result = await LLMChain([]).respond(REQUEST, composer=broken_composer, human=fallbacks.human)

    assert result.model_used == HUMAN
    assert result.failures[-1].reason == "composer_error"


async def test_open_breaker_skips_the_provider_without_a_request(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, error(500), error(500))
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, cool_down=30, clock=clock)
    chain = two_link_chain(providers, max_attempts=1, breaker=breaker)
    fallbacks = Fallbacks()

    for _ in range(2):
        await chain.respond(REQUEST, composer=fallbacks.composer, human=fallbacks.human)
    skipped = await chain.respond(REQUEST, composer=fallbacks.composer, human=fallbacks.human)

    assert breaker.state == "open"
    assert llm_server.count(OPENAI_PATH) == 2
    assert skipped.model_used == SECONDARY
    assert skipped.failures[0].reason == "circuit_open"


async def test_breaker_lets_one_trial_through_after_the_cool_down(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, error(500))
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, cool_down=30, clock=clock)
    chain = two_link_chain(providers, max_attempts=1, breaker=breaker)
    fallbacks = Fallbacks()
    await chain.respond(REQUEST, composer=fallbacks.composer, human=fallbacks.human)

    clock.now += 30
    result = await chain.respond(REQUEST, composer=fallbacks.composer, human=fallbacks.human)

    assert result.model_used == PRIMARY
    assert llm_server.count(OPENAI_PATH) == 2
    assert breaker.state == "closed"


async def test_exhausted_budget_goes_to_the_composer_without_any_request(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    usage = InMemoryUsageMeter(budgets={"org-1": 0.0})
    fallbacks = Fallbacks()

    result = await two_link_chain(providers, usage=usage).respond(
        REQUEST, composer=fallbacks.composer, human=fallbacks.human
    )

    assert result.model_used == COMPOSER
    assert [f.reason for f in result.failures] == ["budget_exhausted", "budget_exhausted"]
    assert llm_server.requests == []


async def test_spending_is_recorded_and_stops_once_the_budget_is_used(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    usage = InMemoryUsageMeter(budgets={"org-1": 0.001})
    prices = PriceTable({PRIMARY: ModelPrice(input_per_million=10, output_per_million=40)})
    chain = two_link_chain(providers, usage=usage, prices=prices)
    fallbacks = Fallbacks()

    first = await chain.respond(REQUEST, composer=fallbacks.composer, human=fallbacks.human)
    second = await chain.respond(REQUEST, composer=fallbacks.composer, human=fallbacks.human)

    spent = usage.usage("org-1")
    assert first.model_used == PRIMARY
    assert first.cost == (42 * 10 + 17 * 40) / 1_000_000
    assert (spent.calls, spent.prompt_tokens, spent.completion_tokens) == (1, 42, 17)
    assert second.model_used == COMPOSER
    assert len(llm_server.requests) == 1


async def test_other_tenants_budget_is_untouched(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    usage = InMemoryUsageMeter(budgets={"org-2": 0.0})
    fallbacks = Fallbacks()

    result = await two_link_chain(providers, usage=usage).respond(
        REQUEST, composer=fallbacks.composer, human=fallbacks.human
    )

    assert result.model_used == PRIMARY
    assert usage.usage("org-1").unpriced_calls == 1


async def test_answer_citing_an_unretrieved_article_falls_back(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, Reply(text="Use Database.update(records, false) [kb-99]."))
    fallbacks = Fallbacks()

    result = await two_link_chain(providers).respond(
        REQUEST, composer=fallbacks.composer, human=fallbacks.human
    )

    assert result.model_used == COMPOSER
    assert result.failures[0].reason == "guard_rejected"
    assert "kb-99" in result.failures[0].detail
    assert llm_server.count(ANTHROPIC_PATH) == 0


async def test_answer_inventing_an_error_code_falls_back(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    invented = "This is INVALID_CROSS_REFERENCE_KEY; use Database.update(records, false) [kb-1]."
    llm_server.script(OPENAI_PATH, Reply(text=invented))
    fallbacks = Fallbacks()

    result = await two_link_chain(providers).respond(
        REQUEST, composer=fallbacks.composer, human=fallbacks.human
    )

    assert result.model_used == COMPOSER
    assert result.failures[0].detail == "INVALID_CROSS_REFERENCE_KEY"


async def test_error_code_from_the_diagnostics_is_grounded(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    answer = "UNABLE_TO_LOCK_ROW means another transaction holds the record [kb-1]."
    llm_server.script(OPENAI_PATH, Reply(text=answer))
    diagnostic = PromptDiagnostic(
        "Record lock contention", "UNABLE_TO_LOCK_ROW: two transactions update one record."
    )
    request = ChainRequest("org-1", "Why does my batch fail?", SOURCES, (diagnostic,))
    fallbacks = Fallbacks()

    result = await two_link_chain(providers).respond(
        request, composer=fallbacks.composer, human=fallbacks.human
    )

    assert result.model_used == PRIMARY


async def test_empty_answer_moves_to_the_next_provider(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    llm_server.script(OPENAI_PATH, Reply(text=""))
    fallbacks = Fallbacks()

    result = await two_link_chain(providers).respond(
        REQUEST, composer=fallbacks.composer, human=fallbacks.human
    )

    assert result.model_used == SECONDARY
    assert result.failures[0].reason == "empty_answer"


async def test_without_sources_or_diagnostics_no_llm_is_asked(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    fallbacks = Fallbacks()
    request = ChainRequest("org-1", "hello")

    result = await two_link_chain(providers).respond(
        request, composer=fallbacks.composer, human=fallbacks.human
    )

    assert result.model_used == COMPOSER
    assert result.failures[0].reason == "no_grounding"
    assert llm_server.requests == []


async def test_prompt_sent_carries_sources_and_fenced_question(
    llm_server: FakeLLMServer, providers: ProviderFactory
) -> None:
    fallbacks = Fallbacks()

    await two_link_chain(providers).respond(
        REQUEST, composer=fallbacks.composer, human=fallbacks.human
    )

    messages = llm_server.last(OPENAI_PATH).body["messages"]
    assert messages[0]["role"] == "system"
    assert 'id="kb-1"' in messages[-1]["content"]
    assert f"<customer_message>\n{REQUEST.question}\n</customer_message>" in messages[-1]["content"]
