"""Apply a lifecycle transition to a conversation and record it as an event."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.lifecycle import ConversationStatus, check_transition
from sfagent.conversations.models import Conversation, ConversationEvent
from sfagent.db.base import utcnow


def transition(
    session: AsyncSession,
    conversation: Conversation,
    target: ConversationStatus,
    *,
    reason: str,
    actor: str,
) -> None:
    """Move the conversation to target (409 when not allowed) and store why."""
    current = ConversationStatus(conversation.status)
    check_transition(current, target)
    now = utcnow()
    conversation.status = target.value
    conversation.updated_at = now
    if target is ConversationStatus.RESOLVED:
        conversation.resolved_at = now
    elif target is ConversationStatus.CLOSED:
        conversation.closed_at = now
    elif target is ConversationStatus.ACTIVE:
        conversation.resolved_at = None
    session.add(
        ConversationEvent(
            organization_id=conversation.organization_id,
            conversation_id=conversation.id,
            from_status=current.value,
            to_status=target.value,
            reason=reason[:300],
            actor=actor[:120],
            created_at=now,
        )
    )
