"""The pipeline stages, in order. Stages of later capabilities plug into STAGES.

The understand stage records what the message asks for (intents, support category, priority),
what it names (entities), how the writer feels and in which language. The diagnose stage
analyses pasted code, queries, logs and error text. When it names a
cause with certainty, the reply explains it; otherwise, until understanding and retrieval
exist, the decide stage hands the message to a person and the reply says so plainly:
never an invented answer.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from sfagent.conversations.lifecycle import ConversationStatus
from sfagent.conversations.models import Message
from sfagent.conversations.transitions import transition
from sfagent.db.base import utcnow
from sfagent.diagnostics.diagnose import diagnose_message
from sfagent.errors import ValidationFailed
from sfagent.outbox.service import enqueue
from sfagent.pipeline.turn import Action, PipelineContext, Turn
from sfagent.responder.diagnosis import compose_diagnosis_reply

if TYPE_CHECKING:
    from sfagent.nlu.understand import Understanding

Stage = Callable[[Turn, PipelineContext], Awaitable[None]]

HANDOFF_JOB = "conversations.handoff_requested"
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


async def decide(turn: Turn, ctx: PipelineContext) -> None:
    """Answer when diagnostics named a cause; otherwise the message goes to a person."""
    if turn.action is not None:
        return
    already_with_person = (
        ConversationStatus(ctx.conversation.status) is ConversationStatus.ESCALATED
    )
    if (
        turn.diagnosis is not None
        and turn.diagnosis.primary is not None
        and not already_with_person
    ):
        turn.action = Action.ANSWER
        turn.decision_reason = f"diagnosed: {turn.diagnosis.primary.title}"
        return
    turn.action = Action.ESCALATE
    turn.decision_reason = "no cause could be diagnosed with certainty; queued for a person"


async def respond(turn: Turn, ctx: PipelineContext) -> None:
    """Compose the reply for the decided action."""
    if turn.reply is not None:
        return
    if turn.action is Action.ANSWER and turn.diagnosis is not None:
        turn.reply = compose_diagnosis_reply(turn.diagnosis)
        turn.suggested_actions = ["confirm_fixed", "still_failing", "talk_to_person"]
        turn.model_used = "diagnostics"
        return
    reference = ctx.conversation.id.split("-")[0]
    if ConversationStatus(ctx.conversation.status) is ConversationStatus.ESCALATED:
        turn.reply = (
            f"Added to your request (reference {reference}). The support engineer "
            "handling it will see this message and reply here."
        )
    else:
        turn.reply = (
            f"Thanks, your message is recorded (reference {reference}). I could not "
            "pin down the cause from it with certainty, so a support engineer will read "
            "it and reply in this conversation."
        )
    turn.suggested_actions = ["add_details", "close_conversation"]


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
            payload={"conversation_id": conversation.id, "reason": turn.decision_reason},
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
        "stage_timings_ms": dict(turn.timings_ms),
    }
    turn.reply_message = _message(ctx, sequence + 2, "assistant", turn.reply or "", now)
    turn.reply_message.model_used = turn.model_used or "none"
    conversation.message_count = sequence + 2
    conversation.last_activity_at = now
    conversation.updated_at = now
    ctx.session.add_all([turn.user_message, turn.reply_message])
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


# The order a message flows through. guard and retrieve arrive with the security and
# knowledge capabilities, each as one line here.
STAGES: list[tuple[str, Stage]] = [
    ("ingest", ingest),
    ("understand", understand),
    ("diagnose", diagnose),
    ("decide", decide),
    ("respond", respond),
    ("record", record),
]
