"""REST routes of the audit log, under /api/v1/admin/audit: read it, check its chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from sfagent.db.session import SessionDep
from sfagent.security.audit_verify import verify_organization
from sfagent.security.models import AuditEntry
from sfagent.tenancy.dependencies import AuditRead

router = APIRouter(prefix="/api/v1/admin/audit", tags=["audit"])
MAX_PAGE = 500
MAX_SEQUENCE = 2**31 - 1  # the column is a 32-bit integer


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sequence: int
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]
    created_at: datetime
    previous_hash: str
    entry_hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_after: int | None


class ChainOut(BaseModel):
    intact: bool
    entries: int
    problem: str | None


@router.get("", response_model=AuditPage)
async def list_entries(
    tenant: AuditRead,
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=MAX_SEQUENCE)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AuditPage:
    """The organization's audit entries in order, from `after` (a sequence number)."""
    statement = (
        select(AuditEntry)
        .where(AuditEntry.organization_id == tenant.organization_id, AuditEntry.sequence > after)
        .order_by(AuditEntry.sequence)
        .limit(limit + 1)
    )
    rows = list((await session.execute(statement)).scalars().all())
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(
        items=[AuditEntryOut.model_validate(row) for row in rows],
        next_after=rows[-1].sequence if more else None,
    )


@router.get("/verify", response_model=ChainOut)
async def verify(tenant: AuditRead, session: SessionDep) -> ChainOut:
    """Whether the chain is intact; the first edited, removed or reordered entry if not."""
    report = await verify_organization(session, tenant.organization_id)
    return ChainOut(
        intact=report.intact,
        entries=report.entries,
        problem=report.problem.describe() if report.problem else None,
    )
