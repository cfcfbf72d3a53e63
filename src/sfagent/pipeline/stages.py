"""The pipeline stages, in order. Stages of later capabilities plug into STAGES.

The understand stage records what the message asks for (intents, support category, priority),
what it names (entities), how the writer feels and in which language. The diagnose stage
analyses pasted code, queries, logs and error text; retrieve finds the tenant's best articles.
decide answers when a diagnosis or well-matched articles support an answer, and otherwise
(or when a person must decide: refunds, incidents, a request for a human) hands the
conversation to a person. respond writes the grounded reply, citing its sources: never an
invented answer.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from sfagent.conversations.lifecycle import ConversationStatus
from sfagent.conversations.models import Message
from sfagent.conversations.repository import MessageRepository
from sfagent.conversations.transitions import transition
from sfagent.db.base import utcnow
from sfagent.diagnostics.detect import ArtifactKind
from sfagent.diagnostics.diagnose import diagnose_message
from sfagent.errors import ValidationFailed
from sfagent.kb.service import record_usage
from sfagent.knowledge import SearchFilters
from sfagent.outbox.service import enqueue
from sfagent.pipeline import policy
from sfagent.pipeline.llm_answer import llm_answer
from sfagent.pipeline.tenant_rules import escalation_reason, evaluate_tenant_rules
from sfagent.pipeline.turn import Action, PipelineContext, Turn
from sfagent.responder.composer import (
    ComposedReply,
    DialogueDecision,
    ReplyRequest,
    compose_reply,
)
from sfagent.responder.small_talk import small_talk_reply

if TYPE_CHECKING:
    from sfagent.nlu.understand import Understanding

Stage = Callable[[Turn, PipelineContext], Awaitable[None]]

HANDOFF_JOB = "conversations.handoff_requested"
RETRIEVED_ARTICLES = 5
# A pasted 20,000-character log is searched by its first part; the error lines lead it.
RETRIEVAL_QUERY_CHARS = 4_000
_LOG_ERROR_LINE = re.compile(r"FATAL_ERROR|EXCEPTION_THROWN|FLOW_ELEMENT_ERROR|VALIDATION_FAIL")
# Below this the composer's answer is too weakly supported to send without a person.
MIN_ANSWER_CONFIDENCE = 0.3
# Conversation slots the composer may mention, filled from the message's entities.
SLOT_ENTITIES = {
    "object": "SALESFORCE_OBJECT",
    "field": "FIELD_NAME",
    "error": "ERROR",
    "api_version": "API_VERSION",
    "record_id": "RECORD_ID",
    "product": "PRODUCT",
}
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


async def ingest(turn: Turn, ctx: PipelineContext) -> None:
    """Normalise line endings, drop control characters, enforce the tenant's length limit."""
    content = _CONTROL_CHARACTERS.sub("", turn.content.replace("\r\n", "\n").replace("\r", "\n"))
    if not content.strip():
        raise ValidationFailed("content", "must contain visible text")
    if len(content) > ctx.max_message_length:
        raise ValidationFailed(
            "content",
            f"is {len(content)} characters; this organization allows at most "
            f"{ctx.max_message_length}",
        )
    turn.content = content


async def understand(turn: Turn, ctx: PipelineContext) -> None:
    """Intents, category, entities, sentiment, emotion and language (CPU-bound: in a thread)."""
    understander = await ctx.nlu.get() if ctx.nlu is not None else None
    if understander is None:
        return
    understanding = await anyio.to_thread.run_sync(understander.understand, turn.content)
    turn.understanding = understanding
    turn.intent = understanding.intent.intent
    turn.confidence = round(understanding.intent.confidence, 4)
    turn.category = understanding.category.category
    turn.entities = entities_by_type(understanding)
    turn.sentiment = round(understanding.sentiment.score, 4)
    turn.emotion = understanding.emotion.label
    turn.language = understanding.language.code


def entities_by_type(understanding: Understanding) -> dict[str, Any]:
    """What a message's `entities` column holds: values by type, and every span."""
    by_type: dict[str, list[str]] = {}
    for entity in understanding.entities:
        values = by_type.setdefault(entity.type.value, [])
        if entity.value not in values:
            values.append(entity.value)
    return {"by_type": by_type, "items": [entity.to_dict() for entity in understanding.entities]}


async def diagnose(turn: Turn, ctx: PipelineContext) -> None:
    """Analyse pasted code, queries, logs and errors (CPU-bound: off the event loop)."""
    diagnosis = await anyio.to_thread.run_sync(diagnose_message, turn.content)
    turn.diagnosis = diagnosis
    if diagnosis.found_anything:
        turn.diagnostics = [diagnosis.summary()]


async def retrieve(turn: Turn, ctx: PipelineContext) -> None:
    """The tenant's best knowledge articles for the message, scoped to its API version."""
    if ctx.knowledge is None:
        return
    query = retrieval_query(turn)
    filters = SearchFilters(api_version=_api_version(turn))
    turn.retrieved = await ctx.knowledge.search(
        ctx.session, ctx.conversation.organization_id, query, k=RETRIEVED_ARTICLES, filters=filters
    )
    turn.sources = [
        {
            "article_id": found.hit.article_id,
            "title": found.hit.title,
            "score": found.hit.score,
            "section": found.hit.section,
            "origin": found.origin,
        }
        for found in turn.retrieved
    ]
    turn.category = policy.support_category(turn)


def retrieval_query(turn: Turn) -> str:
    """What to search for: the message, with a pasted debug log replaced by its error lines
    and the errors the catalog recognised (a log's thousands of event lines are noise)."""
    diagnosis = turn.diagnosis
    logs = [a for a in diagnosis.artifacts if a.kind is ArtifactKind.LOG] if diagnosis else []
    if diagnosis is None or not logs:
        return turn.content[:RETRIEVAL_QUERY_CHARS]
    pieces, position = [], 0
    for log in logs:
        pieces.append(turn.content[position : log.start])
        pieces.extend(line for line in log.text.splitlines() if _LOG_ERROR_LINE.search(line))
        position = log.end
    pieces.append(turn.content[position:])
    pieces.extend(match.entry.title for match in diagnosis.errors)
    return "\n".join(piece for piece in pieces if piece.strip())[:RETRIEVAL_QUERY_CHARS]


async def decide(turn: Turn, ctx: PipelineContext) -> None:
    """Answer what the evidence supports; hand the rest to a person, saying why."""
    if turn.action is not None:
        return
    if ConversationStatus(ctx.conversation.status) is ConversationStatus.ESCALATED:
        _escalate(turn, "a person is already handling this conversation")
        return
    clarifications = await _clarifications_in_a_row(ctx)
    ruled = await evaluate_tenant_rules(turn, ctx, clarification_count=clarifications)
    if ruled is not None and ruled.escalate:
        _escalate(turn, escalation_reason(turn, ruled))
        return
    if ruled is not None and ruled.auto_reply:
        turn.action, turn.reply, turn.model_used = Action.ANSWER, ruled.auto_reply, "rules"
        turn.decision_reason = "a rule of your organization answers this"
        return
    handoff = policy.handoff_needed(turn)
    if handoff is not None:
        _escalate(turn, handoff.reason)
        return
    if policy.is_small_talk(turn):
        turn.action = Action.ANSWER
        turn.decision_reason = f"small talk: {turn.intent}"
        return
    if policy.too_vague(turn):
        if clarifications < policy.MAX_CLARIFICATIONS:
            turn.action = Action.CLARIFY
            turn.decision_reason = "too little to go on; asked for the exact error"
        else:
            _escalate(turn, "still unclear after several questions")
        return
    composed = compose_reply(_reply_request(turn, DialogueDecision.answer()))
    if turn.diagnosis is not None and turn.diagnosis.primary is not None:
        turn.action, turn.composed = Action.ANSWER, composed
        turn.decision_reason = f"diagnosed: {turn.diagnosis.primary.title}"
        return
    if (
        composed.grounded
        and composed.confidence >= MIN_ANSWER_CONFIDENCE
        and policy.knowledge_answer_allowed(turn)
    ):
        turn.action, turn.composed = Action.ANSWER, composed
        turn.decision_reason = f"answered from {len(composed.citations)} article(s)"
        return
    if policy.needs_clarification(turn):
        if clarifications < policy.MAX_CLARIFICATIONS:
            turn.action = Action.CLARIFY
            turn.decision_reason = "could not tell what this is about; asked which feature"
            return
        _escalate(turn, "still unclear after several questions")
        return
    _escalate(turn, "no diagnosis or knowledge article covers this with enough confidence")


async def _clarifications_in_a_row(ctx: PipelineContext) -> int:
    repository = MessageRepository(ctx.session, ctx.conversation.organization_id)
    actions = await repository.recent_user_actions(
        ctx.conversation.id, limit=policy.MAX_CLARIFICATIONS
    )
    return next((i for i, action in enumerate(actions) if action != Action.CLARIFY), len(actions))


async def respond(turn: Turn, ctx: PipelineContext) -> None:
    """Compose the reply for the decided action, citing every source it used."""
    if turn.reply is not None:
        return
    if turn.action is Action.ANSWER and turn.composed is None:
        turn.reply = small_talk_reply(turn.intent or "")
        turn.model_used = "small_talk"
        turn.suggested_actions = ["ask_question"]
        return
    if turn.action is Action.ANSWER and turn.composed is not None:
        _use(turn, turn.composed)
        turn.model_used = "diagnostics" if turn.diagnosis and turn.diagnosis.primary else "composer"
        turn.suggested_actions = ["confirm_fixed", "still_failing", "talk_to_person"]
        if ctx.llm is not None:
            await llm_answer(turn, ctx, ctx.llm)
        return
    if turn.action is Action.CLARIFY:
        question = (
            DialogueDecision.clarify(slot="error")
            if policy.too_vague(turn)
            else DialogueDecision.clarify(
                question=policy.CLARIFYING_QUESTION, options=policy.CLARIFYING_OPTIONS
            )
        )
        _use(turn, compose_reply(_reply_request(turn, question)))
        turn.model_used = "composer"
        turn.suggested_actions = ["add_details", "talk_to_person"]
        return
    reference = ctx.conversation.id.split("-")[0]
    decision = DialogueDecision.escalate(
        reason=turn.decision_reason, next_step=_next_step(ctx, reference)
    )
    _use(turn, compose_reply(_reply_request(turn, decision)))
    turn.model_used = "composer"
    turn.suggested_actions = ["add_details", "close_conversation"]


def _escalate(turn: Turn, reason: str) -> None:
    turn.action = Action.ESCALATE
    turn.decision_reason = reason


def _use(turn: Turn, composed: ComposedReply) -> None:
    turn.composed = composed
    turn.reply = composed.text
    turn.citations = [{"article_id": aid, "title": title} for aid, title in composed.citations]


def _reply_request(turn: Turn, decision: DialogueDecision) -> ReplyRequest:
    return ReplyRequest.build(
        turn.content,
        diagnosis=turn.diagnosis,
        sources=[(found.article, found.hit) for found in turn.retrieved],
        slots=_slots(turn),
        level=policy.technical_level(turn),
        strategy=policy.emotional_strategy(turn),
        decision=decision,
    )


def _slots(turn: Turn) -> dict[str, str]:
    by_type: dict[str, list[str]] = turn.entities.get("by_type", {}) if turn.entities else {}
    slots: dict[str, str] = {}
    for slot, entity_type in SLOT_ENTITIES.items():
        values = by_type.get(entity_type)
        if values:
            slots[slot] = values[0]
    return slots


def _api_version(turn: Turn) -> float | None:
    by_type: dict[str, list[str]] = turn.entities.get("by_type", {}) if turn.entities else {}
    for value in by_type.get("API_VERSION", []):
        try:
            return float(value.lstrip("vV"))
        except ValueError:
            continue
    return None


def _next_step(ctx: PipelineContext, reference: str) -> str:
    if ConversationStatus(ctx.conversation.status) is ConversationStatus.ESCALATED:
        return (
            f"Your message is added to your request (reference {reference}); the support "
            "engineer handling it will see it and reply here."
        )
    return f"A support engineer will read this conversation and reply here (reference {reference})."


async def record(turn: Turn, ctx: PipelineContext) -> None:
    """Store the user's message with its analysis and the reply; move the conversation on."""
    conversation = ctx.conversation
    now = utcnow()
    status = ConversationStatus(conversation.status)
    actor = ctx.tenant.principal.label
    if status in (ConversationStatus.RESOLVED, ConversationStatus.ABANDONED):
        transition(
            ctx.session,
            conversation,
            ConversationStatus.ACTIVE,
            reason="customer wrote again",
            actor=actor,
        )
        status = ConversationStatus.ACTIVE
    if turn.action is Action.ESCALATE and status is not ConversationStatus.ESCALATED:
        transition(
            ctx.session,
            conversation,
            ConversationStatus.ESCALATED,
            reason=turn.decision_reason or "escalated",
            actor="pipeline",
        )
        await enqueue(
            ctx.session,
            name=HANDOFF_JOB,
            payload={
                "conversation_id": conversation.id,
                "reason": turn.decision_reason,
                "rules": (turn.rules or {}).get("decision"),
            },
            organization_id=conversation.organization_id,
        )
    sequence = conversation.message_count
    turn.user_message = _message(ctx, sequence + 1, "user", turn.content, now)
    turn.user_message.intent = turn.intent
    turn.user_message.confidence = turn.confidence
    turn.user_message.entities = turn.entities or None
    turn.user_message.sentiment = turn.sentiment
    turn.user_message.emotion = turn.emotion
    turn.user_message.language = turn.language
    turn.user_message.analysis = {
        "action": turn.action.value if turn.action else None,
        "decision_reason": turn.decision_reason,
        "nlu": nlu_summary(turn.understanding) if turn.understanding else None,
        "diagnostics": turn.diagnostics,
        "sources": turn.sources,
        "citations": turn.citations,
        "llm": turn.llm,
        "rules": turn.rules,
        "reply_type": turn.composed.reply_type.value if turn.composed else None,
        "response_confidence": turn.composed.confidence if turn.composed else None,
        "stage_timings_ms": dict(turn.timings_ms),
    }
    turn.reply_message = _message(ctx, sequence + 2, "assistant", turn.reply or "", now)
    turn.reply_message.model_used = turn.model_used or "none"
    conversation.message_count = sequence + 2
    conversation.last_activity_at = now
    conversation.updated_at = now
    ctx.session.add_all([turn.user_message, turn.reply_message])
    if turn.citations:
        await record_usage(
            ctx.session,
            conversation.organization_id,
            [citation["article_id"] for citation in turn.citations],
        )
    await ctx.session.flush()


def nlu_summary(understanding: Understanding) -> dict[str, Any]:
    """The understanding as stored in a message's analysis (entities have their own column)."""
    summary = understanding.to_dict()
    del summary["entities"]
    return summary


def _message(ctx: PipelineContext, sequence: int, role: str, content: str, now: object) -> Message:
    return Message(
        organization_id=ctx.conversation.organization_id,
        conversation_id=ctx.conversation.id,
        sequence=sequence,
        role=role,
        content=content,
        created_at=now,
    )


# The order a message flows through. guard arrives with the security capability, as one
# line here.
STAGES: list[tuple[str, Stage]] = [
    ("ingest", ingest),
    ("understand", understand),
    ("diagnose", diagnose),
    ("retrieve", retrieve),
    ("decide", decide),
    ("respond", respond),
    ("record", record),
]
