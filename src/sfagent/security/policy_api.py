"""REST routes for the tenant's PII policy, its security events, and revealing a message's
tokenized values to staff allowed to see them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from sfagent.conversations.repository import MessageRepository
from sfagent.db.engine import bind_tenant
from sfagent.db.session import SessionDep, WriterSessionDep
from sfagent.errors import NotFound
from sfagent.security.models import SecurityEvent
from sfagent.security.pii_service import load_privacy, reveal, set_privacy
from sfagent.tenancy.dependencies import AuditRead, PiiReveal, SecurityWrite, TenantRead

router = APIRouter(prefix="/api/v1/admin/security", tags=["security"])
reveal_router = APIRouter(prefix="/api/v1/conversations", tags=["security"])
MAX_EVENTS = 500


class PiiPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: str = Field(default="standard", max_length=20, description="standard, hipaa or pci")
    actions: dict[str, Annotated[str, Field(max_length=20)]] = Field(
        default_factory=dict,
        max_length=30,
        description='Per type: "redact", "tokenize" or "allow", e.g. {"email": "redact"}',
    )
    llm_baa: bool = Field(
        default=False, description="HIPAA: a BAA with the LLM provider is in place"
    )


class PiiPolicyOut(BaseModel):
    profile: str
    actions: dict[str, str]  # the effective action per type, floors applied
    detected_types: list[str]
    llm_baa: bool
    llm_allowed: bool


class SecurityEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str | None
    message_sequence: int | None
    kind: str
    rule: str
    excerpt: str
    actor: str
    created_at: datetime


class RevealedMessage(BaseModel):
    id: str
    conversation_id: str
    sequence: int
    content: str


@router.get("/pii-policy", response_model=PiiPolicyOut)
async def get_pii_policy(tenant: TenantRead, session: SessionDep) -> dict[str, Any]:
    """What the guard does with each kind of personal data and secret."""
    return (await load_privacy(session, tenant.organization_id)).to_dict()


@router.put("/pii-policy", response_model=PiiPolicyOut)
async def put_pii_policy(
    body: PiiPolicyIn, tenant: SecurityWrite, session: SessionDep
) -> dict[str, Any]:
    """Set the policy; secrets are always redacted and the profile's floors apply."""
    privacy = await set_privacy(
        session, tenant, actions=body.actions, profile=body.profile, llm_baa=body.llm_baa
    )
    return privacy.to_dict()


@router.get("/events", response_model=list[SecurityEventOut])
async def list_events(
    tenant: AuditRead,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS)] = 100,
) -> list[SecurityEvent]:
    """Attack patterns seen in messages, newest first."""
    statement = (
        select(SecurityEvent)
        .where(SecurityEvent.organization_id == tenant.organization_id)
        .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id)
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars().all())


@reveal_router.get(
    "/{conversation_id}/messages/{message_id}/reveal", response_model=RevealedMessage
)
async def reveal_message(
    conversation_id: str, message_id: str, tenant: PiiReveal, session: WriterSessionDep
) -> RevealedMessage:
    """The message with its tokenized values shown as written (audited)."""
    await bind_tenant(session, tenant.organization_id)
    message = await MessageRepository(session, tenant.organization_id).get(message_id)
    if message is None or message.conversation_id != conversation_id:
        raise NotFound(f"message {message_id!r} not found in conversation {conversation_id!r}")
    content = await reveal(session, tenant, message.content, f"message:{message.id}")
    return RevealedMessage(
        id=message.id,
        conversation_id=message.conversation_id,
        sequence=message.sequence,
        content=content,
    )
