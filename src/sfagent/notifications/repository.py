"""All SQL for notification channels; tenant scoping lives here."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.notifications.models import NotificationChannel


class ChannelRepository:
    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    async def all(self) -> list[NotificationChannel]:
        statement = (
            select(NotificationChannel)
            .where(NotificationChannel.organization_id == self.organization_id)
            .order_by(NotificationChannel.name, NotificationChannel.method)
        )
        return list((await self.session.execute(statement)).scalars().all())

    async def get(self, channel_id: str) -> NotificationChannel | None:
        channel = await self.session.get(NotificationChannel, channel_id)
        if channel is None or channel.organization_id != self.organization_id:
            return None
        return channel

    async def find(self, name: str, method: str) -> NotificationChannel | None:
        statement = select(NotificationChannel).where(
            NotificationChannel.organization_id == self.organization_id,
            NotificationChannel.name == name,
            NotificationChannel.method == method,
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def escalation_subscribers(self) -> list[NotificationChannel]:
        statement = select(NotificationChannel).where(
            NotificationChannel.organization_id == self.organization_id,
            NotificationChannel.on_escalation.is_(True),
            NotificationChannel.enabled.is_(True),
        )
        return list((await self.session.execute(statement)).scalars().all())

    async def count(self) -> int:
        statement = select(func.count()).where(
            NotificationChannel.organization_id == self.organization_id
        )
        return int((await self.session.execute(statement)).scalar_one())
