"""Conversation jobs: hand-off notification and the inactivity sweeper."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.config import Settings, TierLimits
from sfagent.conversations.service import (
    abandon_idle_conversations,
    delete_expired_conversations,
)
from sfagent.db.base import utcnow
from sfagent.db.engine import bind_tenant
from sfagent.errors import SfagentError
from sfagent.idempotency.repository import purge_expired
from sfagent.outbox.registry import JobContext, JobHandler, PermanentJobError
from sfagent.pipeline.stages import HANDOFF_JOB
from sfagent.tenancy.repository import OrganizationRepository
from sfagent.tenancy.service import resolve_limits

log = structlog.get_logger(__name__)


def escalations_channel(organization_id: str) -> str:
    """The backplane channel live consoles of one organization listen on."""
    return f"org:{organization_id}:escalations"


async def announce_handoff(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Tell every listening console of the organization that a conversation needs a person."""
    if ctx.organization_id is None or "conversation_id" not in payload:
        raise PermanentJobError("handoff job lacks organization or conversation id")
    event = {
        "type": "conversation.escalated",
        "conversation_id": payload["conversation_id"],
        "reason": payload.get("reason"),
    }
    await ctx.backplane.publish(escalations_channel(ctx.organization_id), json.dumps(event))


def conversation_channel(organization_id: str, conversation_id: str) -> str:
    """The backplane channel live clients of one conversation listen on."""
    return f"org:{organization_id}:conversation:{conversation_id}"


MESSAGE_POSTED_JOB = "conversations.message_posted"


async def announce_message(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A person's reply to the conversation's live clients; an internal note to consoles only."""
    if ctx.organization_id is None or "conversation_id" not in payload:
        raise PermanentJobError("message job lacks organization or conversation id")
    event = {
        "type": "message.created",
        "conversation_id": payload["conversation_id"],
        "message_id": payload.get("message_id"),
        "role": payload.get("role"),
    }
    if payload.get("internal"):
        channel = escalations_channel(ctx.organization_id)
    else:
        channel = conversation_channel(ctx.organization_id, str(payload["conversation_id"]))
    await ctx.backplane.publish(channel, json.dumps(event))


HANDLERS: dict[str, JobHandler] = {
    HANDOFF_JOB: announce_handoff,
    MESSAGE_POSTED_JOB: announce_message,
}


# Work on one organization, in a transaction bound to it: (session, org id, its limits).
TenantWork = Callable[[AsyncSession, str, TierLimits], Awaitable[int]]


async def for_each_organization(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, work: TenantWork
) -> int:
    """Run work once per organization, each in its own tenant-bound transaction; sum results."""
    async with sessionmaker() as session:
        organizations = [
            (org.id, resolve_limits(org, settings))
            for org in await OrganizationRepository(session).list_all()
        ]
    total = 0
    for organization_id, limits in organizations:
        try:
            async with sessionmaker() as session, session.begin():
                await bind_tenant(session, organization_id)
                total += await work(session, organization_id, limits)
        except (SfagentError, DBAPIError, OSError):
            # One organization's failure (a lock, a bad row) must not starve the others.
            log.exception("sweep.organization_failed", organization_id=organization_id)
    return total


async def sweep_inactive_conversations(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Abandon idle conversations, organization by organization, each with its own timeout."""

    async def sweep(session: AsyncSession, organization_id: str, limits: TierLimits) -> int:
        idle_for = timedelta(minutes=limits.inactivity_timeout_minutes)
        return await abandon_idle_conversations(
            session, organization_id=organization_id, idle_for=idle_for
        )

    total = await for_each_organization(sessionmaker, settings, sweep)
    if total:
        log.info("conversations.abandoned", count=total)
    return total


async def purge_expired_idempotency_records(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Delete every organization's expired idempotency records."""

    async def purge(session: AsyncSession, organization_id: str, _limits: TierLimits) -> int:
        return await purge_expired(session, organization_id, utcnow())

    return await for_each_organization(sessionmaker, settings, purge)


async def enforce_retention(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Delete finished conversations past each organization's retention period."""

    async def expire(session: AsyncSession, organization_id: str, limits: TierLimits) -> int:
        retention = timedelta(days=limits.retention_days)
        return await delete_expired_conversations(
            session, organization_id=organization_id, retention=retention
        )

    total = await for_each_organization(sessionmaker, settings, expire)
    if total:
        log.info("conversations.retention_deleted", count=total)
    return total
