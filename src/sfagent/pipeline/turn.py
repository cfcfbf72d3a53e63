"""The Turn (one inbound message and everything learned about it) and the stage context."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.models import Conversation, Message
from sfagent.diagnostics.diagnose import Diagnosis
from sfagent.pipeline.nlu_runtime import NluRuntime
from sfagent.tenancy.context import Tenant

if TYPE_CHECKING:
    from sfagent.kb.store import CorpusHit, KnowledgeStore
    from sfagent.llm_usage.runtime import LlmRuntime
    from sfagent.nlu.understand import Understanding
    from sfagent.responder.composer import ComposedReply


class Action(enum.StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    CONFIRM = "confirm"
    ESCALATE = "escalate"


@dataclass
class Turn:
    content: str
    channel: str
    # understand
    understanding: Understanding | None = None
    language: str | None = None
    intent: str | None = None
    confidence: float | None = None
    category: str | None = None
    entities: dict[str, Any] = field(default_factory=dict)
    sentiment: float | None = None
    emotion: str | None = None
    # diagnose / retrieve
    diagnosis: Diagnosis | None = None
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[CorpusHit] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    # decide
    rules: dict[str, Any] | None = None  # the tenant's rules that fired and their decision
    action: Action | None = None
    decision_reason: str | None = None
    # respond
    composed: ComposedReply | None = None
    citations: list[dict[str, str]] = field(default_factory=list)
    reply: str | None = None
    llm: dict[str, Any] | None = None  # which link answered, why others did not, the cost
    suggested_actions: list[str] = field(default_factory=list)
    model_used: str | None = None
    # record
    user_message: Message | None = None
    reply_message: Message | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def requires_escalation(self) -> bool:
        return self.action is Action.ESCALATE

    @property
    def processing_time_ms(self) -> float:
        return round(sum(self.timings_ms.values()), 3)


@dataclass
class PipelineContext:
    """What stages may touch besides the Turn: the transaction, the tenant, the conversation."""

    session: AsyncSession
    tenant: Tenant
    conversation: Conversation
    max_message_length: int
    nlu: NluRuntime | None = None
    knowledge: KnowledgeStore | None = None
    llm: LlmRuntime | None = None
