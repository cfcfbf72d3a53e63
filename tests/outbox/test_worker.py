"""The outbox: jobs commit with their cause, run once, retry with backoff, dead-letter."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select, update

from sfagent.conversations.tasks import HANDLERS, escalations_channel
from sfagent.db.base import utcnow
from sfagent.outbox.admin import replay_job
from sfagent.outbox.models import JobStatus, OutboxJob
from sfagent.outbox.registry import JobContext, JobHandler, PermanentJobError
from sfagent.outbox.service import enqueue
from sfagent.outbox.worker import OutboxWorker, backoff
from sfagent.pipeline.stages import HANDOFF_JOB
from tests.conftest import Harness, HarnessFactory, TenantHandle


def _worker(harness: Harness, handlers: dict[str, JobHandler]) -> OutboxWorker:
    return OutboxWorker(
        sessionmaker=harness.app.state.sessionmaker,
        backplane=harness.app.state.backplane,
        settings=harness.settings,
        handlers=handlers,
    )


async def _job(harness: Harness, job_id: str) -> OutboxJob:
    async with harness.app.state.sessionmaker() as session:
        job = await session.get(OutboxJob, job_id)
        assert job is not None
        return job


async def _enqueue(harness: Harness, name: str, max_attempts: int = 3) -> str:
    async with harness.app.state.sessionmaker() as session:
        job = await enqueue(
            session, name=name, payload={"n": 1}, organization_id=None, max_attempts=max_attempts
        )
        await session.commit()
        return job.id


async def _run_until_idle(worker: OutboxWorker, job_name: str) -> None:
    """Run batches until no job of this name is due (bounded)."""
    for _ in range(20):
        if await worker.run_once() == 0:
            return


async def test_job_runs_once_and_is_done(harness: Harness) -> None:
    name = f"test.ok.{uuid.uuid4().hex}"
    calls: list[dict[str, Any]] = []

    async def handler(_ctx: JobContext, payload: dict[str, Any]) -> None:
        calls.append(payload)

    job_id = await _enqueue(harness, name)
    worker = _worker(harness, {name: handler})
    await _run_until_idle(worker, name)
    await _run_until_idle(worker, name)
    assert calls == [{"n": 1}]
    job = await _job(harness, job_id)
    assert job.status == JobStatus.DONE
    assert job.attempts == 1


async def test_failing_job_backs_off_then_dead_letters(harness: Harness) -> None:
    name = f"test.fail.{uuid.uuid4().hex}"

    async def handler(_ctx: JobContext, _payload: dict[str, Any]) -> None:
        raise RuntimeError("Salesforce said 503")

    job_id = await _enqueue(harness, name, max_attempts=2)
    worker = _worker(harness, {name: handler})
    await worker.run_once()
    job = await _job(harness, job_id)
    assert job.status == JobStatus.PENDING
    assert job.run_after > utcnow()
    assert "Salesforce said 503" in (job.last_error or "")
    # Make it due now instead of waiting for the backoff.
    async with harness.app.state.sessionmaker() as session:
        await session.execute(
            update(OutboxJob).where(OutboxJob.id == job_id).values(run_after=utcnow())
        )
        await session.commit()
    await worker.run_once()
    job = await _job(harness, job_id)
    assert job.status == JobStatus.DEAD
    assert job.attempts == 2

    async with harness.app.state.sessionmaker() as session:
        await replay_job(session, job_id=job_id)
        await session.commit()
    job = await _job(harness, job_id)
    assert (job.status, job.attempts) == (JobStatus.PENDING, 0)


async def test_permanent_error_and_unknown_job_go_straight_to_dead(harness: Harness) -> None:
    name = f"test.permanent.{uuid.uuid4().hex}"

    async def handler(_ctx: JobContext, _payload: dict[str, Any]) -> None:
        raise PermanentJobError("bad payload")

    permanent = await _enqueue(harness, name, max_attempts=5)
    unknown = await _enqueue(harness, f"test.unknown.{uuid.uuid4().hex}", max_attempts=5)
    await _worker(harness, {name: handler}).run_once()
    assert (await _job(harness, permanent)).status == JobStatus.DEAD
    dead = await _job(harness, unknown)
    assert dead.status == JobStatus.DEAD
    assert "no handler" in (dead.last_error or "")


async def test_two_workers_never_claim_the_same_job(harness: Harness) -> None:
    name = f"test.claim.{uuid.uuid4().hex}"
    ids = {await _enqueue(harness, name) for _ in range(6)}
    first, second = _worker(harness, {}), _worker(harness, {})
    claimed_a, claimed_b = await asyncio.gather(first.claim(100), second.claim(100))
    mine_a = {job.id for job in claimed_a} & ids
    mine_b = {job.id for job in claimed_b} & ids
    assert not (mine_a & mine_b)
    assert mine_a | mine_b == ids


async def test_expired_lease_is_claimed_again(harness: Harness) -> None:
    name = f"test.lease.{uuid.uuid4().hex}"
    job_id = await _enqueue(harness, name)
    crashed = _worker(harness, {})
    assert job_id in {job.id for job in await crashed.claim(100)}
    assert job_id not in {job.id for job in await _worker(harness, {}).claim(100)}
    async with harness.app.state.sessionmaker() as session:
        await session.execute(
            update(OutboxJob).where(OutboxJob.id == job_id).values(locked_until=utcnow())
        )
        await session.commit()
    assert job_id in {job.id for job in await _worker(harness, {}).claim(100)}


async def test_rolled_back_escalation_enqueues_nothing(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": "x" * 6000},  # refused by the tenant's limit: the turn rolls back
        headers=tenant.headers,
    )
    assert response.status_code == 422
    async with harness.app.state.sessionmaker() as session:
        jobs = (
            (
                await session.execute(
                    select(OutboxJob).where(OutboxJob.organization_id == tenant.organization_id)
                )
            )
            .scalars()
            .all()
        )
    assert jobs == []


async def test_escalation_is_announced_to_the_tenant_channel(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": "my deployment fails, I need to talk to a person"},
        headers=tenant.headers,
    )
    async with harness.app.state.sessionmaker() as session:
        jobs = (
            (
                await session.execute(
                    select(OutboxJob).where(OutboxJob.organization_id == tenant.organization_id)
                )
            )
            .scalars()
            .all()
        )
    assert [job.name for job in jobs] == [HANDOFF_JOB]

    subscription = harness.app.state.backplane.subscribe(
        escalations_channel(tenant.organization_id)
    )
    listener = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0.2)  # let the subscription register before publishing
    worker = _worker(harness, HANDLERS)
    for _ in range(10):
        await worker.run_once()
        if (await _job(harness, jobs[0].id)).status == JobStatus.DONE:
            break
    event = json.loads(await asyncio.wait_for(listener, timeout=10))
    await subscription.aclose()
    assert event["type"] == "conversation.escalated"
    assert event["conversation_id"] == conversation["id"]


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff(attempt).total_seconds() for attempt in (1, 2, 3, 20)]
    assert delays == [2, 4, 8, 900]


async def test_a_payload_no_configured_key_can_read_fails_alone(
    make_harness: HarnessFactory,
) -> None:
    """A job written under a key since removed retries on its own; the rest of the batch runs."""
    keyed = await make_harness(encryption_key=SecretStr(base64.b64encode(bytes(32)).decode()))
    unreadable_name = f"test.unreadable.{uuid.uuid4().hex}"
    unreadable_id = await _enqueue(keyed, unreadable_name)
    keyless = await make_harness()
    name = f"test.ok.{uuid.uuid4().hex}"
    calls: list[dict[str, Any]] = []

    async def handler(_ctx: JobContext, payload: dict[str, Any]) -> None:
        calls.append(payload)

    readable_id = await _enqueue(keyless, name)
    await _run_until_idle(_worker(keyless, {name: handler, unreadable_name: handler}), name)
    assert calls == [{"n": 1}]
    assert (await _job(keyless, readable_id)).status == JobStatus.DONE
    async with keyless.app.state.sessionmaker() as session:
        row = (
            await session.execute(
                select(OutboxJob.status, OutboxJob.last_error).where(OutboxJob.id == unreadable_id)
            )
        ).one()
    assert row.status == JobStatus.PENDING  # retried later: the key may come back
    assert "no key is configured" in (row.last_error or "")
