"""Apply a lifecycle transition to a conversation and record it as an event; move the
dialogue state with it, and apply the dialogue policy's own moves."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.lifecycle import ConversationStatus, check_transition
from sfagent.conversations.models import Conversation, ConversationEvent, DialogueTransition
from sfagent.db.base import utcnow
from sfagent.pipeline.dialogue import DialogueMove, DialogueState

# The dialogue state a lifecycle change puts the conversation in. People decide these
# (a staff member resolves, the sweeper abandons), so they apply from any dialogue state.
_DIALOGUE_FOR_STATUS = {
    ConversationStatus.ESCALATED: DialogueState.ESCALATION_REQUIRED,
    ConversationStatus.RESOLVED: DialogueState.RESOLVED,
    ConversationStatus.ABANDONED: DialogueState.ABANDONED,
}


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
    _follow_lifecycle(session, conversation, current, target, reason=reason)
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


def _follow_lifecycle(
    session: AsyncSession,
    conversation: Conversation,
    previous: ConversationStatus,
    target: ConversationStatus,
    *,
    reason: str,
) -> None:
    dialogue = _DIALOGUE_FOR_STATUS.get(target)
    if target is ConversationStatus.ACTIVE and previous is ConversationStatus.ESCALATED:
        dialogue = DialogueState.GATHERING_CONTEXT  # handed back to the assistant
    current = DialogueState(conversation.dialogue_state or DialogueState.INITIALIZATION)
    if dialogue is None or dialogue is current:
        return
    record_dialogue_moves(
        session, conversation, [DialogueMove(current, dialogue, reason)], sequence=None
    )


def record_dialogue_moves(
    session: AsyncSession,
    conversation: Conversation,
    moves: list[DialogueMove],
    *,
    sequence: int | None,
) -> None:
    """Put the conversation in the last move's state and store every move with its reason."""
    if not moves:
        return
    now = utcnow()
    conversation.dialogue_state = moves[-1].to_state.value
    for step, move in enumerate(moves):
        session.add(
            DialogueTransition(
                organization_id=conversation.organization_id,
                conversation_id=conversation.id,
                message_sequence=sequence,
                step=step,
                from_state=move.from_state.value,
                to_state=move.to_state.value,
                reason=move.reason[:300],
                created_at=now,
            )
        )
