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
    from sfagent.escalation.policy import HandoffPlan
    from sfagent.kb.store import CorpusHit, KnowledgeStore
    from sfagent.llm_usage.runtime import LlmRuntime
    from sfagent.nlu.understand import Understanding
    from sfagent.pipeline.confirmation import Confirmation
    from sfagent.pipeline.context_stack import Shift
    from sfagent.pipeline.dialogue import DialogueMemory, DialogueMove
    from sfagent.responder.composer import ComposedReply
    from sfagent.rules import Decision
    from sfagent.security.pii_service import TenantPrivacy


class Action(enum.StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    CONFIRM = "confirm"
    ESCALATE = "escalate"


@dataclass
class Turn:
    content: str
    channel: str
    # guard
    privacy: TenantPrivacy | None = None
    pii: list[dict[str, Any]] = field(default_factory=list)  # what was replaced, by type
    attacks: list[dict[str, str]] = field(default_factory=list)  # attack patterns seen
    llm_text: str | None = None  # the content with prompt injection removed, for an LLM
    # understand
    understanding: Understanding | None = None
    language: str | None = None
    intent: str | None = None
    confidence: float | None = None
    category: str | None = None
    entities: dict[str, Any] = field(default_factory=dict)
    sentiment: float | None = None
    emotion: str | None = None
    # recall: the message read against the conversation's memory
    memory: DialogueMemory | None = None
    shift: Shift | None = None
    working_text: str | None = None  # what diagnose and retrieve read (topic so far, references)
    referenced_sequence: int | None = None  # the earlier message the user pointed at
    confirmation: Confirmation | None = None  # the answer to "did this fix it?"
    rating: int | None = None  # the answer to the 1-5 rating question
    added_detail: bool = False  # the message told something new about its topic
    # diagnose / retrieve
    diagnosis: Diagnosis | None = None
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[CorpusHit] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    # decide
    rules: dict[str, Any] | None = None  # the tenant's rules that fired and their decision
    rule_decision: Decision | None = None
    handoff: HandoffPlan | None = None  # for a new escalation: reason, priority, queue, SLA
    action: Action | None = None
    decision_reason: str | None = None
    escalated_by_rule: bool = False
    lead: str | None = None  # the dialogue's first words: "Back to your data export."
    asked: str | None = None  # for CLARIFY: what the question asks for ("error", "feature")
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
    dialogue_moves: list[DialogueMove] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def requires_escalation(self) -> bool:
        return self.action is Action.ESCALATE

    @property
    def text(self) -> str:
        """What diagnose and retrieve read: the working text when recall set one."""
        return self.working_text or self.content

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
