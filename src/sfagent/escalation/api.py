"""REST routes of the escalation queue, under /api/v1/escalations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.api import conversation_out
from sfagent.conversations.schemas import ConversationOut, MessageOut
from sfagent.db.session import SessionDep
from sfagent.escalation import desk, service
from sfagent.escalation.models import EscalationStatus
from sfagent.escalation.schemas import (
    ClaimIn,
    DeskMessageIn,
    DeskReasonIn,
    EscalationList,
    EscalationOut,
    TransferIn,
)
from sfagent.security.access_log import note_staff_access
from sfagent.tenancy.context import Tenant
from sfagent.tenancy.dependencies import EscalationsRead, EscalationsWrite

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
    escalation_id: str,
    tenant: EscalationsRead,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> EscalationOut:
    escalation = await service.get_escalation(session, tenant, escalation_id)
    # The summary retells the customer's conversation: reading it is reading that.
    target = f"conversation:{escalation.conversation_id}"
    await note_staff_access(request.app.state, background, tenant, target)
    return EscalationOut.model_validate(escalation)


@router.post("/{escalation_id}/claim", response_model=EscalationOut)
async def claim(
    escalation_id: str, tenant: EscalationsWrite, session: SessionDep, body: ClaimIn | None = None
) -> EscalationOut:
    """Take the escalation (409 naming who has it, unless take_over)."""
    take_over = body.take_over if body is not None else False
    row = await desk.claim(session, tenant, escalation_id, take_over=take_over)
    return EscalationOut.model_validate(row)


@router.post("/{escalation_id}/messages", status_code=201, response_model=MessageOut)
async def post_message(
    escalation_id: str, body: DeskMessageIn, tenant: EscalationsWrite, session: SessionDep
) -> MessageOut:
    """Reply to the customer in the conversation, or add an internal note (`internal`)."""
    message = await desk.post_message(
        session, tenant, escalation_id, body.content, internal=body.internal
    )
    return MessageOut.model_validate(message)


@router.post("/{escalation_id}/transfer", response_model=EscalationOut)
async def transfer(
    escalation_id: str, body: TransferIn, tenant: EscalationsWrite, session: SessionDep
) -> EscalationOut:
    row = await desk.transfer(
        session, tenant, escalation_id, queue=body.queue, assignee=body.assignee
    )
    return EscalationOut.model_validate(row)


@router.post("/{escalation_id}/resolve", response_model=ConversationOut)
async def resolve(
    escalation_id: str,
    tenant: EscalationsWrite,
    session: SessionDep,
    body: DeskReasonIn | None = None,
) -> ConversationOut:
    """Solved: the conversation is resolved with it."""
    return await _finish(session, tenant, escalation_id, "resolve", body)


@router.post("/{escalation_id}/return", response_model=ConversationOut)
async def hand_back(
    escalation_id: str,
    tenant: EscalationsWrite,
    session: SessionDep,
    body: DeskReasonIn | None = None,
) -> ConversationOut:
    """Hand the conversation back to the assistant."""
    return await _finish(session, tenant, escalation_id, "return", body)


async def _finish(
    session: AsyncSession, tenant: Tenant, escalation_id: str, how: str, body: DeskReasonIn | None
) -> ConversationOut:
    reason = body.reason if body is not None else None
    return conversation_out(await desk.finish(session, tenant, escalation_id, how, reason))
