"""REST routes of the escalation queue, under /api/v1/escalations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from sfagent.db.session import SessionDep
from sfagent.escalation import service
from sfagent.escalation.models import EscalationStatus
from sfagent.escalation.schemas import EscalationList, EscalationOut
from sfagent.tenancy.dependencies import EscalationsRead

router = APIRouter(prefix="/api/v1/escalations", tags=["escalations"])
Priority = Literal["low", "normal", "high", "urgent"]


@router.get("", response_model=EscalationList)
async def list_escalations(
    tenant: EscalationsRead,
    session: SessionDep,
    status: EscalationStatus | None = None,
    queue: Annotated[str | None, Query(max_length=200)] = None,
    priority: Priority | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_QUEUE_PAGE)] = 50,
) -> EscalationList:
    """The queue: active escalations (or one status), most urgent and soonest due first."""
    rows = await service.list_queue(
        session, tenant, status=status, queue=queue, priority=priority, limit=limit
    )
    return EscalationList(items=[EscalationOut.model_validate(row) for row in rows])


@router.get("/{escalation_id}", response_model=EscalationOut)
async def get_escalation(
    escalation_id: str, tenant: EscalationsRead, session: SessionDep
) -> EscalationOut:
    return EscalationOut.model_validate(
        await service.get_escalation(session, tenant, escalation_id)
    )
