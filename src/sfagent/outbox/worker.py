"""The outbox worker: claim due jobs with a lease, run them, retry with backoff, dead-letter."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import traceback
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import defer

from sfagent.backplane.base import Backplane
from sfagent.config import Settings
from sfagent.db.base import utcnow
from sfagent.observability.metrics import OUTBOX_JOBS
from sfagent.outbox.models import JobStatus, OutboxJob
from sfagent.outbox.registry import JobContext, JobDeferred, JobHandler, PermanentJobError

log = structlog.get_logger(__name__)
LEASE = timedelta(minutes=5)


def backoff(attempt: int) -> timedelta:
    """Exponential: 2s, 4s, 8s ... capped at 15 minutes."""
    return timedelta(seconds=min(2**attempt, 900))


class OutboxWorker:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        backplane: Backplane,
        settings: Settings,
        handlers: dict[str, JobHandler],
        services: Mapping[str, Any] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.backplane = backplane
        self.settings = settings
        self.handlers = handlers
        self.services = dict(services or {})
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._stopping = asyncio.Event()

    async def claim(self, limit: int) -> list[OutboxJob]:
        """Lease up to limit due jobs to this worker; other workers skip them."""
        now = utcnow()
        async with self.sessionmaker() as session, session.begin():
            due = (
                select(OutboxJob.id)
                .where(
                    or_(
                        and_(OutboxJob.status == JobStatus.PENDING, OutboxJob.run_after <= now),
                        # A crashed worker's lease runs out and the job is claimed again.
                        and_(OutboxJob.status == JobStatus.RUNNING, OutboxJob.locked_until < now),
                    )
                )
                # Oldest first among jobs due at once: what was queued first is delivered first.
                .order_by(OutboxJob.run_after, OutboxJob.created_at)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list((await session.execute(due)).scalars())
            if not ids:
                return []
            await session.execute(
                update(OutboxJob)
                .where(OutboxJob.id.in_(ids))
                .values(
                    status=JobStatus.RUNNING.value,
                    locked_by=self.worker_id,
                    locked_until=now + LEASE,
                    attempts=OutboxJob.attempts + 1,
                    updated_at=now,
                )
            )
            # Payloads are decrypted one job at a time in `_run`: a payload the configured keys
            # cannot read fails that job alone, not the batch and every tenant's queue with it.
            claimed = await session.execute(
                select(OutboxJob)
                .options(defer(OutboxJob.payload))
                .where(OutboxJob.id.in_(ids))
                .order_by(OutboxJob.run_after, OutboxJob.created_at)
            )
            return list(claimed.scalars())

    async def run_once(self) -> int:
        """Claim one batch and run it; return how many jobs ran."""
        jobs = await self.claim(self.settings.worker_batch_size)
        for job in jobs:
            await self._run(job)
        return len(jobs)

    async def _run(self, job: OutboxJob) -> None:
        handler = self.handlers.get(job.name)
        error: str | None = None
        permanent = False
        try:
            if handler is None:
                raise PermanentJobError(f"no handler registered for job {job.name!r}")
            context = JobContext(
                sessionmaker=self.sessionmaker,
                backplane=self.backplane,
                settings=self.settings,
                organization_id=job.organization_id,
                services=self.services,
            )
            await handler(context, await self._payload(job))
        except JobDeferred as exc:
            await self._defer(job, exc)
            return
        except PermanentJobError as exc:
            error, permanent = str(exc), True
        except Exception:
            error = traceback.format_exc(limit=5)
        await self._finish(job, error=error, permanent=permanent)

    async def _payload(self, job: OutboxJob) -> dict[str, Any]:
        async with self.sessionmaker() as session:
            payload = await session.scalar(select(OutboxJob.payload).where(OutboxJob.id == job.id))
        return dict(payload or {})

    async def _finish(self, job: OutboxJob, *, error: str | None, permanent: bool) -> None:
        now = utcnow()
        values: dict[str, object] = {"locked_by": None, "locked_until": None, "updated_at": now}
        if error is None:
            values |= {"status": JobStatus.DONE.value, "finished_at": now, "last_error": None}
            outcome = "done"
        elif permanent or job.attempts >= job.max_attempts:
            values |= {"status": JobStatus.DEAD.value, "finished_at": now, "last_error": error}
            outcome = "dead"
        else:
            values |= {
                "status": JobStatus.PENDING.value,
                "run_after": now + backoff(job.attempts),
                "last_error": error,
            }
            outcome = "retry"
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(OutboxJob)
                .where(OutboxJob.id == job.id, OutboxJob.locked_by == self.worker_id)
                .values(**values)
            )
        OUTBOX_JOBS.labels(job.name, outcome).inc()
        log.info("outbox.job", job_id=job.id, name=job.name, outcome=outcome, attempts=job.attempts)

    async def _defer(self, job: OutboxJob, deferred: JobDeferred) -> None:
        now = utcnow()
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(OutboxJob)
                .where(OutboxJob.id == job.id, OutboxJob.locked_by == self.worker_id)
                .values(
                    status=JobStatus.PENDING.value,
                    run_after=now + timedelta(seconds=deferred.seconds),
                    attempts=OutboxJob.attempts - 1,  # waiting is not failing
                    last_error=f"deferred: {deferred}",
                    locked_by=None,
                    locked_until=None,
                    updated_at=now,
                )
            )
        OUTBOX_JOBS.labels(job.name, "deferred").inc()
        log.info("outbox.job", job_id=job.id, name=job.name, outcome="deferred")

    async def run_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                ran = await self.run_once()
            except Exception:
                log.exception("outbox.claim_failed")
                ran = 0
            if ran == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stopping.wait(), timeout=self.settings.worker_poll_seconds
                    )

    def stop(self) -> None:
        self._stopping.set()
