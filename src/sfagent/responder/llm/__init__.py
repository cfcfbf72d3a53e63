"""LLM answers for the responder: providers, retries, breakers, budget, fallback chain, guard.

Built once in the app's lifespan with `build_chain(...)` and closed with `chain.aclose()`.
"""

from sfagent.responder.llm.anthropic_provider import AnthropicProvider
from sfagent.responder.llm.base import (
    ChatMessage,
    Completion,
    CompletionStream,
    FailureReason,
    LLMRequest,
    Provider,
    ProviderError,
)
from sfagent.responder.llm.breaker import CircuitBreaker
from sfagent.responder.llm.chain import (
    COMPOSER,
    HUMAN,
    ChainLink,
    ChainRequest,
    ChainResult,
    FallbackReply,
    LinkFailure,
    LLMChain,
)
from sfagent.responder.llm.factory import ProviderSettings, build_chain, build_provider
from sfagent.responder.llm.guard import GroundingVerdict, check_grounding, response_confidence
from sfagent.responder.llm.openai_provider import OpenAICompatibleProvider
from sfagent.responder.llm.prompt import (
    HistoryTurn,
    PromptDiagnostic,
    PromptOptions,
    PromptSource,
    build_prompt,
)
from sfagent.responder.llm.retry import RetryPolicy
from sfagent.responder.llm.usage import (
    Cost,
    InMemoryUsageMeter,
    ModelPrice,
    PriceTable,
    TenantUsage,
    UsageMeter,
)

__all__ = [
    "COMPOSER",
    "HUMAN",
    "AnthropicProvider",
    "ChainLink",
    "ChainRequest",
    "ChainResult",
    "ChatMessage",
    "CircuitBreaker",
    "Completion",
    "CompletionStream",
    "Cost",
    "FailureReason",
    "FallbackReply",
    "GroundingVerdict",
    "HistoryTurn",
    "InMemoryUsageMeter",
    "LLMChain",
    "LLMRequest",
    "LinkFailure",
    "ModelPrice",
    "OpenAICompatibleProvider",
    "PriceTable",
    "PromptDiagnostic",
    "PromptOptions",
    "PromptSource",
    "Provider",
    "ProviderError",
    "ProviderSettings",
    "RetryPolicy",
    "TenantUsage",
    "UsageMeter",
    "build_chain",
    "build_prompt",
    "build_provider",
    "check_grounding",
    "response_confidence",
]
