"""Periodic escalation work: surface SLA breaches."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.config import Settings, TierLimits
from sfagent.conversations.tasks import for_each_organization
from sfagent.escalation.service import flag_sla_breaches


async def flag_sla_breaches_everywhere(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Flag every organization's escalations past their deadline (and notify, once)."""

    async def flag(session: AsyncSession, organization_id: str, _limits: TierLimits) -> int:
        return await flag_sla_breaches(session, organization_id)

    return await for_each_organization(sessionmaker, settings, flag)
