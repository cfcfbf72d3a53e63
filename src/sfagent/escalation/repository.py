"""All SQL for escalations; tenant scoping lives here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.escalation.models import Escalation, EscalationStatus

ACTIVE = (EscalationStatus.OPEN.value, EscalationStatus.CLAIMED.value)
# Most urgent first, then the nearest deadline.
_PRIORITY_ORDER = case(
    {"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=Escalation.priority, else_=4
)


class EscalationRepository:
    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def add(self, escalation: Escalation) -> None:
        self.session.add(escalation)

    async def get(self, escalation_id: str) -> Escalation | None:
        row = await self.session.get(Escalation, escalation_id)
        return row if row is not None and row.organization_id == self.organization_id else None

    async def queue(
        self,
        *,
        statuses: Sequence[str],
        queue: str | None,
        priority: str | None,
        limit: int,
    ) -> list[Escalation]:
        statement = select(Escalation).where(
            Escalation.organization_id == self.organization_id,
            Escalation.status.in_(list(statuses)),
        )
        if queue is not None:
            statement = statement.where(Escalation.queue == queue)
        if priority is not None:
            statement = statement.where(Escalation.priority == priority)
        statement = statement.order_by(_PRIORITY_ORDER, Escalation.sla_due_at).limit(limit)
        return list((await self.session.execute(statement)).scalars().all())

    async def close_active(
        self, conversation_id: str, status: EscalationStatus, now: datetime
    ) -> int:
        result = await self.session.execute(
            update(Escalation)
            .where(
                Escalation.organization_id == self.organization_id,
                Escalation.conversation_id == conversation_id,
                Escalation.status.in_(ACTIVE),
            )
            .values(status=status.value, closed_at=now, updated_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def newly_breached(self, now: datetime) -> list[Escalation]:
        statement = (
            select(Escalation)
            .where(
                Escalation.organization_id == self.organization_id,
                Escalation.status.in_(ACTIVE),
                Escalation.sla_due_at < now,
                Escalation.sla_breached_at.is_(None),
            )
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(statement)).scalars().all())
