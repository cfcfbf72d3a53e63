"""The pipeline stages, in order. Stages of later capabilities plug into STAGES.

Until understanding, diagnosis, retrieval and composition exist, the decide stage hands
every message to a person and the reply says so plainly: never an invented answer.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from sfagent.conversations.lifecycle import ConversationStatus
from sfagent.conversations.models import Message
from sfagent.conversations.transitions import transition
from sfagent.db.base import utcnow
from sfagent.errors import ValidationFailed
from sfagent.outbox.service import enqueue
from sfagent.pipeline.turn import Action, PipelineContext, Turn

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


async def decide(turn: Turn, ctx: PipelineContext) -> None:
    """Choose what to do. Without understanding, every message goes to a person."""
    if turn.action is not None:
        return
    turn.action = Action.ESCALATE
    turn.decision_reason = "automated understanding is not enabled; queued for a person"


async def respond(turn: Turn, ctx: PipelineContext) -> None:
    """Compose the reply for the decided action."""
    if turn.reply is not None:
        return
    reference = ctx.conversation.id.split("-")[0]
    if ConversationStatus(ctx.conversation.status) is ConversationStatus.ESCALATED:
        turn.reply = (
            f"Added to your request (reference {reference}). The support engineer "
            "handling it will see this message and reply here."
        )
    else:
        turn.reply = (
            f"Thanks, your message is recorded (reference {reference}). Automated "
            "diagnosis is not enabled on this service yet, so a support engineer will "
            "read it and reply in this conversation."
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


def _message(ctx: PipelineContext, sequence: int, role: str, content: str, now: object) -> Message:
    return Message(
        organization_id=ctx.conversation.organization_id,
        conversation_id=ctx.conversation.id,
        sequence=sequence,
        role=role,
        content=content,
        created_at=now,
    )


# The order a message flows through. guard, understand, diagnose, retrieve arrive with
# the security, NLU, diagnostics and knowledge capabilities, each as one line here.
STAGES: list[tuple[str, Stage]] = [
    ("ingest", ingest),
    ("decide", decide),
    ("respond", respond),
    ("record", record),
]
