"""Enqueue jobs in the caller's transaction: rolled back together, committed together."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.base import utcnow
from sfagent.outbox.models import JobStatus, OutboxJob

DEFAULT_MAX_ATTEMPTS = 8


async def enqueue(
    session: AsyncSession,
    *,
    name: str,
    payload: dict[str, Any],
    organization_id: str | None,
    delay: timedelta | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> OutboxJob:
    """Add a job; it becomes visible to workers when the caller's transaction commits."""
    job = OutboxJob(
        organization_id=organization_id,
        name=name,
        payload=payload,
        status=JobStatus.PENDING.value,
        max_attempts=max_attempts,
        run_after=utcnow() + (delay or timedelta()),
    )
    session.add(job)
    await session.flush()
    return job
