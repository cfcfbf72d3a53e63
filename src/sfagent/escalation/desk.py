"""What people do with an escalation: claim it, reply to the customer or leave an internal
note, transfer it, resolve it, or hand the conversation back to the assistant. Every action
is audited; replies reach live clients through an outbox job."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.lifecycle import ConversationStatus
from sfagent.conversations.models import Message
from sfagent.conversations.repository import ConversationRepository
from sfagent.conversations.service import STAFF_NOTE_ROLE, ConversationView, change_status
from sfagent.conversations.tasks import MESSAGE_POSTED_JOB
from sfagent.db.base import utcnow
from sfagent.errors import Conflict, ValidationFailed
from sfagent.escalation.models import Escalation, EscalationStatus
from sfagent.escalation.repository import ACTIVE
from sfagent.escalation.service import get_escalation
from sfagent.outbox.service import enqueue
from sfagent.salesforce.service import enqueue_case_sync
from sfagent.security.audit import audit_change
from sfagent.security.pii_service import protect_text
from sfagent.tenancy.context import Tenant

AGENT_ROLE = "agent"


class EscalationClosed(Conflict):
    def __init__(self, escalation: Escalation) -> None:
        super().__init__(
            f"escalation {escalation.id} is {escalation.status}; only open or claimed ones "
            "can be worked on",
            details={"status": escalation.status},
        )


async def claim(
    session: AsyncSession, tenant: Tenant, escalation_id: str, *, take_over: bool = False
) -> Escalation:
    """Assign the escalation to the caller; 409 when someone else has it (unless take_over)."""
    escalation = await _active(session, tenant, escalation_id)
    me = tenant.principal.label
    if escalation.assigned_to not in (None, me) and not take_over:
        raise Conflict(
            f"escalation {escalation.id} is claimed by {escalation.assigned_to}; "
            "send take_over=true to take it",
            details={"assigned_to": escalation.assigned_to},
        )
    previous = escalation.assigned_to
    _assign(escalation, me)
    await audit_change(session, tenant, "escalation.claimed", escalation.id, {"previous": previous})
    await session.flush()
    return escalation


async def post_message(
    session: AsyncSession, tenant: Tenant, escalation_id: str, content: str, *, internal: bool
) -> Message:
    """A reply to the customer (claiming the escalation if nobody has) or an internal note."""
    if not content.strip():
        raise ValidationFailed("content", "must contain visible text")
    escalation = await _active(session, tenant, escalation_id)
    if not internal and escalation.assigned_to is None:
        _assign(escalation, tenant.principal.label)
    conversation = await ConversationRepository(session, tenant.organization_id).get(
        escalation.conversation_id, for_update=True
    )
    assert conversation is not None  # the escalation's foreign key holds it
    now = utcnow()
    # A person's reply is stored under the same policy as the customer's words.
    protected = await protect_text(session, tenant.organization_id, content)
    message = Message(
        organization_id=tenant.organization_id,
        conversation_id=conversation.id,
        sequence=conversation.message_count + 1,
        role=STAFF_NOTE_ROLE if internal else AGENT_ROLE,
        content=protected.text,
        model_used=tenant.principal.label,
        created_at=now,
    )
    conversation.message_count += 1
    conversation.last_activity_at = now
    conversation.updated_at = now
    session.add(message)
    await session.flush()
    await enqueue(
        session,
        name=MESSAGE_POSTED_JOB,
        payload={
            "conversation_id": conversation.id,
            "message_id": message.id,
            "role": message.role,
            "internal": internal,
        },
        organization_id=tenant.organization_id,
    )
    if not internal:  # the Case, when there is one, gets the reply as a comment
        await enqueue_case_sync(session, tenant.organization_id, conversation.id, escalation.id)
    return message


async def transfer(
    session: AsyncSession,
    tenant: Tenant,
    escalation_id: str,
    *,
    queue: str | None,
    assignee: str | None,
) -> Escalation:
    """Move it to another queue (back to open, unassigned) and/or to a named person."""
    if queue is None and assignee is None:
        raise ValidationFailed("queue", "give a queue, an assignee, or both")
    escalation = await _active(session, tenant, escalation_id)
    details = {"from_queue": escalation.queue, "from_assignee": escalation.assigned_to}
    if queue is not None:
        escalation.queue = queue
        escalation.assigned_to = None
        escalation.status = EscalationStatus.OPEN.value
    if assignee is not None:
        _assign(escalation, assignee)
    escalation.updated_at = utcnow()
    await audit_change(
        session,
        tenant,
        "escalation.transferred",
        escalation.id,
        {**details, "queue": escalation.queue, "assignee": escalation.assigned_to},
    )
    await session.flush()
    return escalation


# What ending an escalation does to its conversation, and the reason recorded by default.
ENDINGS = {
    "resolve": (ConversationStatus.RESOLVED, "resolved by a person"),
    "return": (ConversationStatus.ACTIVE, "handed back to the assistant"),
}


async def finish(
    session: AsyncSession, tenant: Tenant, escalation_id: str, how: str, reason: str | None
) -> ConversationView:
    """`resolve`: solved by a person, the conversation is resolved with it. `return`: the
    assistant takes the conversation again (the escalation is marked returned). Live
    clients learn of it after the commit, through the outbox."""
    target, default_reason = ENDINGS[how]
    escalation = await _active(session, tenant, escalation_id)
    view = await change_status(
        session,
        tenant=tenant,
        conversation_id=escalation.conversation_id,
        target=target,
        reason=reason or default_reason,
    )
    await enqueue(
        session,
        name=MESSAGE_POSTED_JOB,
        payload={"conversation_id": escalation.conversation_id, "role": None, "internal": False},
        organization_id=tenant.organization_id,
    )
    return view


async def _active(session: AsyncSession, tenant: Tenant, escalation_id: str) -> Escalation:
    escalation = await get_escalation(session, tenant, escalation_id)
    if escalation.status not in ACTIVE:
        raise EscalationClosed(escalation)
    return escalation


def _assign(escalation: Escalation, assignee: str) -> None:
    escalation.assigned_to = assignee[:120]
    escalation.status = EscalationStatus.CLAIMED.value
    escalation.updated_at = utcnow()
