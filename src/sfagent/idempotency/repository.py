"""All SQL for idempotency records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.idempotency.models import IdempotencyRecord


class IdempotencyRepository:
    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    async def find(self, principal_id: str, key: str, now: datetime) -> IdempotencyRecord | None:
        statement = select(IdempotencyRecord).where(
            IdempotencyRecord.organization_id == self.organization_id,
            IdempotencyRecord.principal_id == principal_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.expires_at > now,
        )
        return (await self.session.execute(statement)).scalars().first()

    async def delete_expired_for(self, principal_id: str, key: str, now: datetime) -> None:
        await self.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.organization_id == self.organization_id,
                IdempotencyRecord.principal_id == principal_id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.expires_at <= now,
            )
        )

    def add(self, record: IdempotencyRecord) -> None:
        self.session.add(record)


async def purge_expired(session: AsyncSession, organization_id: str, now: datetime) -> int:
    """Delete one organization's expired records."""
    result = await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.organization_id == organization_id,
            IdempotencyRecord.expires_at <= now,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
