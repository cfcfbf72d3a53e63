"""Operator views of the outbox: dead letters and replay."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.base import utcnow
from sfagent.errors import NotFound
from sfagent.outbox.models import JobStatus, OutboxJob


async def list_jobs(
    session: AsyncSession, *, status: JobStatus | None, limit: int = 100
) -> Sequence[OutboxJob]:
    statement = select(OutboxJob).order_by(OutboxJob.created_at.desc()).limit(limit)
    if status is not None:
        statement = statement.where(OutboxJob.status == status.value)
    return (await session.execute(statement)).scalars().all()


async def replay_job(session: AsyncSession, *, job_id: str) -> OutboxJob:
    """Put a dead (or finished) job back in the queue with a fresh attempt budget."""
    job = await session.get(OutboxJob, job_id)
    if job is None:
        raise NotFound(f"outbox job {job_id!r} not found")
    job.status = JobStatus.PENDING.value
    job.attempts = 0
    job.run_after = utcnow()
    job.finished_at = None
    job.locked_by = None
    job.locked_until = None
    await session.flush()
    return job
