"""Opening escalations (in the turn's transaction), the queue people work from, closing
them with the conversation, and surfacing SLA breaches."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.base import utcnow
from sfagent.errors import NotFound
from sfagent.escalation.models import Escalation, EscalationStatus
from sfagent.escalation.policy import HandoffPlan
from sfagent.escalation.repository import ACTIVE, EscalationRepository
from sfagent.escalation.summary import HandoffSummary
from sfagent.notifications.messages import NotificationEvent
from sfagent.notifications.service import notify_escalation
from sfagent.tenancy.context import Tenant

MAX_QUEUE_PAGE = 200
log = structlog.get_logger(__name__)


class EscalationNotFound(NotFound):
    def __init__(self, escalation_id: str) -> None:
        super().__init__(f"escalation {escalation_id} not found")


def open_escalation(
    session: AsyncSession,
    *,
    organization_id: str,
    conversation_id: str,
    plan: HandoffPlan,
    summary: HandoffSummary,
    now: datetime | None = None,
) -> Escalation:
    """Add the escalation to the caller's transaction (the hand-off and its record commit
    together, or neither does)."""
    now = now or utcnow()
    escalation = Escalation(
        organization_id=organization_id,
        conversation_id=conversation_id,
        status=EscalationStatus.OPEN.value,
        reason_code=plan.reason_code.value,
        reason=plan.reason[:300],
        priority=plan.priority,
        queue=plan.queue[:200],
        sla_due_at=now + timedelta(seconds=plan.sla_seconds),
        summary=summary.to_json(),
        created_at=now,
        updated_at=now,
    )
    EscalationRepository(session, organization_id).add(escalation)
    return escalation


async def list_queue(
    session: AsyncSession,
    tenant: Tenant,
    *,
    status: EscalationStatus | None = None,
    queue: str | None = None,
    priority: str | None = None,
    limit: int = 50,
) -> list[Escalation]:
    """Active escalations (or those of one status), most urgent and soonest due first."""
    repository = EscalationRepository(session, tenant.organization_id)
    statuses = [status.value] if status is not None else list(ACTIVE)
    return await repository.queue(
        statuses=statuses, queue=queue, priority=priority, limit=min(limit, MAX_QUEUE_PAGE)
    )


async def get_escalation(session: AsyncSession, tenant: Tenant, escalation_id: str) -> Escalation:
    row = await EscalationRepository(session, tenant.organization_id).get(escalation_id)
    if row is None:
        raise EscalationNotFound(escalation_id)
    return row


async def close_for_conversation(
    session: AsyncSession, organization_id: str, conversation_id: str, status: EscalationStatus
) -> int:
    """Resolve (or return to the assistant) the conversation's active escalations."""
    repository = EscalationRepository(session, organization_id)
    return await repository.close_active(conversation_id, status, utcnow())


async def flag_sla_breaches(session: AsyncSession, organization_id: str) -> int:
    """Mark active escalations past their deadline as breached, once, and notify the
    channels subscribed to escalations."""
    now = utcnow()
    breached = await EscalationRepository(session, organization_id).newly_breached(now)
    for escalation in breached:
        escalation.sla_breached_at = now
        escalation.updated_at = now
        event = NotificationEvent(
            kind="sla_breach",
            organization_id=organization_id,
            title=f"SLA missed: conversation {escalation.conversation_id.split('-')[0]}",
            reason=escalation.reason,
            conversation_id=escalation.conversation_id,
            priority=escalation.priority,
            queue=escalation.queue,
            occurred_at=now.isoformat(),
        )
        await notify_escalation(session, organization_id, event)
    if breached:
        log.warning(
            "escalations.sla_breached", organization_id=organization_id, count=len(breached)
        )
    return len(breached)
