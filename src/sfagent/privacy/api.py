"""REST routes of GDPR/CCPA requests, under /api/v1/admin/privacy (scope privacy:manage)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from sfagent.db.engine import bind_tenant
from sfagent.db.session import SessionDep, WriterSessionDep
from sfagent.privacy import service
from sfagent.privacy.schemas import ErasureOut, RetentionOut
from sfagent.tenancy.dependencies import PrivacyManage

router = APIRouter(prefix="/api/v1/admin/privacy", tags=["privacy"])
ExternalId = Annotated[
    str,
    Path(min_length=1, max_length=200, description="The end user's id in your system"),
]


@router.get(
    "/end-users/{external_id}/export",
    responses={200: {"description": "The export document, as a JSON attachment"}},
)
async def export_end_user(
    external_id: ExternalId, tenant: PrivacyManage, session: WriterSessionDep
) -> JSONResponse:
    """Everything stored about the end user: profile, conversations with their messages,
    events, dialogue moves, attachments (base64), ratings, escalations, Salesforce Cases."""
    await bind_tenant(session, tenant.organization_id)
    document = await service.export_end_user(session, tenant, external_id)
    # Named by the internal id: the external one may be an email address.
    filename = f"sfagent-end-user-{document['end_user']['id']}.json"
    return JSONResponse(
        document, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.delete("/end-users/{external_id}", response_model=ErasureOut)
async def erase_end_user(
    external_id: ExternalId, tenant: PrivacyManage, session: SessionDep
) -> ErasureOut:
    """Erase the end user's content and identity; their conversations stay as anonymous
    rows so analytics still count them. A second erasure is 404: the id is gone."""
    report = await service.erase_end_user(session, tenant, external_id)
    return ErasureOut(**asdict(report))


@router.post("/retention/run", response_model=RetentionOut)
async def run_retention(tenant: PrivacyManage, session: SessionDep) -> RetentionOut:
    """Delete finished conversations past the organization's retention period now."""
    run = await service.run_retention(session, tenant)
    return RetentionOut(**asdict(run))
