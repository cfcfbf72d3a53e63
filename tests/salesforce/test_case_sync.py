"""Escalations become Salesforce Cases through the outbox, against a stand-in of the REST API:
one Case per conversation whatever is retried, the transcript as comments once, and each
documented failure handled as it should be (retry, wait, log in again, dead-letter)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from sfagent.app import JOB_HANDLERS
from sfagent.db.base import utcnow
from sfagent.outbox.models import JobStatus, OutboxJob
from sfagent.outbox.worker import OutboxWorker
from sfagent.salesforce.status_sync import pull_case_updates
from sfagent.salesforce.tasks import BREAKER_SERVICE, HTTP_SERVICE, LimitBreaker
from tests.conftest import Harness, TenantHandle
from tests.salesforce.case_standin import (
    CLIENT_SECRET,
    CONSUMER_KEY,
    LOGIN_URL,
    USERNAME,
    CaseStandIn,
    new_key_pair,
)

SALESFORCE = "/api/v1/admin/salesforce"
CASE_SYNC = "salesforce.case_sync"
CLIENT_CREDENTIALS = {
    "auth_flow": "client_credentials",
    "login_url": LOGIN_URL,
    "consumer_key": CONSUMER_KEY,
    "client_secret": CLIENT_SECRET,
}


async def connect(harness: Harness, tenant: TenantHandle, **changes: Any) -> Any:
    response = await harness.client.put(
        SALESFORCE, json={**CLIENT_CREDENTIALS, **changes}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def escalate(harness: Harness, tenant: TenantHandle, user: str = "jane@acme.example") -> Any:
    conversation = await harness.create_conversation(tenant, user_id=user)
    reply = await harness.say(tenant, "I was charged twice, I want a refund", conversation["id"])
    assert reply["requires_escalation"] is True
    return conversation["id"]


class Worker:
    """An outbox worker whose Salesforce calls go to the stand-in."""

    def __init__(self, harness: Harness, standin: CaseStandIn) -> None:
        self.harness = harness
        self.breaker = LimitBreaker()
        self.worker = OutboxWorker(
            sessionmaker=harness.app.state.sessionmaker,
            backplane=harness.app.state.backplane,
            settings=harness.settings,
            handlers=JOB_HANDLERS,
            services={HTTP_SERVICE: standin.session, BREAKER_SERVICE: self.breaker},
        )

    async def drain(self) -> None:
        for _ in range(100):
            if not await self.worker.run_once():
                return

    async def jobs(self, tenant: TenantHandle) -> list[OutboxJob]:
        async with self.harness.app.state.sessionmaker() as session:
            rows = await session.execute(
                select(OutboxJob)
                .where(
                    OutboxJob.organization_id == tenant.organization_id,
                    OutboxJob.name == CASE_SYNC,
                )
                .order_by(OutboxJob.created_at)
            )
            return list(rows.scalars().all())

    async def make_due(self, tenant: TenantHandle) -> None:
        """Skip the backoff wait (what time would do)."""
        async with self.harness.app.state.sessionmaker() as session, session.begin():
            await session.execute(
                update(OutboxJob)
                .where(
                    OutboxJob.organization_id == tenant.organization_id,
                    OutboxJob.status == JobStatus.PENDING.value,
                )
                .values(run_after=utcnow() - timedelta(seconds=1))
            )


@pytest.fixture
def standin() -> CaseStandIn:
    return CaseStandIn()


@pytest.fixture
async def harness(make_harness: Any) -> Harness:
    built: Harness = await make_harness(worker_enabled=False)
    return built


async def test_an_escalation_becomes_one_case_with_its_transcript(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn
) -> None:
    await connect(harness, tenant)
    conversation = await escalate(harness, tenant)
    worker = Worker(harness, standin)
    await worker.drain()
    case = standin.case_by_external_id(conversation)
    assert case is not None
    assert case["Priority"] == "High" and case["Origin"] == "Web" and case["Status"] == "New"
    assert case["SuppliedEmail"] == "jane@acme.example"
    assert "charged twice" in case["Subject"] and "Why: refunds" in case["Description"]
    [comment] = standin.comments_on(case["Id"])
    assert "[Customer #2] I was charged twice" in comment
    assert "[sfagent #3]" in comment
    [job] = await worker.jobs(tenant)
    assert job.status == JobStatus.DONE.value

    # Replayed (an operator, or a worker that died after the calls): nothing doubles.
    async with harness.app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job.id)
            .values(status=JobStatus.PENDING.value, run_after=utcnow())
        )
    await worker.drain()
    assert len(standin.cases) == 1 and len(standin.comments_on(case["Id"])) == 1


async def test_the_jwt_bearer_flow_signs_in_with_the_tenants_key(
    harness: Harness, tenant: TenantHandle
) -> None:
    private, public = new_key_pair()
    standin = CaseStandIn(public_key=public)
    await connect(
        harness,
        tenant,
        auth_flow="jwt_bearer",
        username=USERNAME,
        private_key=private,
        client_secret=None,
    )
    conversation = await escalate(harness, tenant)
    await Worker(harness, standin).drain()
    assert standin.case_by_external_id(conversation) is not None
    assert standin.logins == 1


async def test_a_refused_login_dead_letters_saying_why(
    harness: Harness, tenant: TenantHandle
) -> None:
    _, someone_elses = new_key_pair()
    private, _ = new_key_pair()
    standin = CaseStandIn(public_key=someone_elses)
    await connect(harness, tenant, auth_flow="jwt_bearer", username=USERNAME, private_key=private)
    await escalate(harness, tenant)
    worker = Worker(harness, standin)
    await worker.drain()
    [job] = await worker.jobs(tenant)
    assert job.status == JobStatus.DEAD.value
    assert "invalid_grant" in (job.last_error or "") and standin.cases == {}


@pytest.mark.parametrize(
    ("status", "code"), [(503, "SERVER_UNAVAILABLE"), (400, "UNABLE_TO_LOCK_ROW")]
)
async def test_busy_or_locked_is_retried_then_delivered_once(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn, status: int, code: str
) -> None:
    await connect(harness, tenant)
    conversation = await escalate(harness, tenant)
    standin.fail_next(status, code, "try again")
    worker = Worker(harness, standin)
    await worker.drain()
    [job] = await worker.jobs(tenant)
    assert (job.status, job.attempts) == (JobStatus.PENDING.value, 1)
    assert code in (job.last_error or "")
    await worker.make_due(tenant)
    await worker.drain()
    assert [c["Sfagent_Conversation_Id__c"] for c in standin.cases.values()] == [conversation]
    assert (await worker.jobs(tenant))[0].status == JobStatus.DONE.value


async def test_the_api_limit_opens_a_breaker_and_jobs_wait_without_spending_attempts(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn
) -> None:
    await connect(harness, tenant)
    await escalate(harness, tenant)
    await escalate(harness, tenant, user="joe@acme.example")
    standin.fail_next(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    worker = Worker(harness, standin)
    await worker.drain()
    jobs = await worker.jobs(tenant)
    assert [job.status for job in jobs] == [JobStatus.PENDING.value] * 2
    assert [job.attempts for job in jobs] == [0, 0]
    assert all("deferred" in (job.last_error or "") for job in jobs)
    calls_when_tripped = len(standin.requests_seen)
    await worker.make_due(tenant)
    await worker.drain()  # the breaker is still open: no calls at all
    assert len(standin.requests_seen) == calls_when_tripped and standin.cases == {}
    worker.breaker = LimitBreaker()  # the cool-down ended
    worker.worker.services[BREAKER_SERVICE] = worker.breaker
    await worker.make_due(tenant)
    await worker.drain()
    assert len(standin.cases) == 2


async def test_an_ended_session_is_renewed_once(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn
) -> None:
    await connect(harness, tenant)
    conversation = await escalate(harness, tenant)
    standin.fail_next(401, "INVALID_SESSION_ID", "Session expired or invalid")
    await Worker(harness, standin).drain()
    assert standin.case_by_external_id(conversation) is not None
    assert standin.logins == 2


async def test_a_session_refused_after_a_fresh_login_fails_visibly(
    harness: Harness, tenant: TenantHandle
) -> None:
    standin = CaseStandIn(rest_accepts_new_sessions=False)
    await connect(harness, tenant)
    await escalate(harness, tenant)
    worker = Worker(harness, standin)
    await worker.drain()
    [job] = await worker.jobs(tenant)
    assert job.status == JobStatus.DEAD.value
    assert "refused a fresh session" in (job.last_error or "")
    assert standin.logins == 2, "one login, one renewal, then stop (no recursion)"


async def test_a_wrong_external_id_field_dead_letters_with_salesforces_message(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn
) -> None:
    await connect(harness, tenant, case_external_id_field="Missing_Field__c")
    await escalate(harness, tenant)
    worker = Worker(harness, standin)
    await worker.drain()
    [job] = await worker.jobs(tenant)
    assert job.status == JobStatus.DEAD.value
    assert "404 NOT_FOUND" in (job.last_error or "") and "Missing_Field__c" in (
        job.last_error or ""
    )


async def test_salesforce_down_for_a_while_then_every_case_arrives_once_in_order(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn
) -> None:
    await connect(harness, tenant)
    conversations = [
        await escalate(harness, tenant, user=f"user{n}@acme.example") for n in range(3)
    ]
    standin.down = True
    worker = Worker(harness, standin)
    for _ in range(3):  # three rounds of retries while it is down
        await worker.make_due(tenant)
        await worker.drain()
    assert standin.cases == {}
    assert {job.status for job in await worker.jobs(tenant)} == {JobStatus.PENDING.value}
    standin.down = False
    await worker.make_due(tenant)
    await worker.drain()
    created = [case["Sfagent_Conversation_Id__c"] for case in standin.cases.values()]
    assert created == conversations
    assert all(len(standin.comments_on(case_id)) == 1 for case_id in standin.cases)


async def test_a_worker_stopped_between_the_case_and_its_comments_adds_them_once(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn
) -> None:
    await connect(harness, tenant)
    conversation = await escalate(harness, tenant)
    # The upsert and its read-back succeed; the comment call finds Salesforce gone.
    worker = Worker(harness, standin)
    original = standin._comment

    def vanish_once(fields: dict[str, Any]) -> tuple[int, Any]:
        standin._comment = original  # type: ignore[method-assign]
        return 503, [{"message": "down", "errorCode": "SERVER_UNAVAILABLE", "fields": []}]

    standin._comment = vanish_once  # type: ignore[method-assign]
    await worker.drain()
    case = standin.case_by_external_id(conversation)
    assert case is not None and standin.comments_on(case["Id"]) == []
    await worker.make_due(tenant)
    await worker.drain()
    assert len(standin.cases) == 1 and len(standin.comments_on(case["Id"])) == 1


async def test_no_connection_no_job(harness: Harness, tenant: TenantHandle) -> None:
    await escalate(harness, tenant)
    assert await Worker(harness, CaseStandIn()).jobs(tenant) == []


async def test_an_agents_reply_reaches_the_case_as_a_comment(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn
) -> None:
    await connect(harness, tenant)
    conversation = await escalate(harness, tenant)
    worker = Worker(harness, standin)
    await worker.drain()
    queue = (await harness.client.get("/api/v1/escalations", headers=tenant.headers)).json()
    [escalation] = [item for item in queue["items"] if item["conversation_id"] == conversation]
    posted = await harness.client.post(
        f"/api/v1/escalations/{escalation['id']}/messages",
        json={"content": "Refund issued, you will see it in 3 days."},
        headers=tenant.headers,
    )
    assert posted.status_code == 201
    await worker.drain()
    case = standin.case_by_external_id(conversation)
    assert case is not None and len(standin.cases) == 1
    comments = standin.comments_on(case["Id"])
    assert len(comments) == 2 and "[Agent #4] Refund issued" in comments[1]


async def test_a_case_closed_in_salesforce_resolves_the_conversation(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn
) -> None:
    await connect(harness, tenant)
    conversation = await escalate(harness, tenant)
    await Worker(harness, standin).drain()
    sessionmaker = harness.app.state.sessionmaker
    http = standin.session()
    assert (
        await pull_case_updates(sessionmaker, tenant.organization_id, harness.settings, http=http)
        == 0
    )
    case = standin.case_by_external_id(conversation)
    assert case is not None
    standin.close_case(case["Id"])
    resolved = await pull_case_updates(
        sessionmaker, tenant.organization_id, harness.settings, http=http
    )
    assert resolved == 1
    view = await harness.client.get(f"/api/v1/conversations/{conversation}", headers=tenant.headers)
    assert view.json()["status"] == "resolved"
    assert view.json()["dialogue_state"] == "resolved"
    queue = await harness.client.get("/api/v1/escalations?status=resolved", headers=tenant.headers)
    assert [item["conversation_id"] for item in queue.json()["items"]] == [conversation]
    # Read again: the watermark moved past it, nothing happens twice.
    assert (
        await pull_case_updates(sessionmaker, tenant.organization_id, harness.settings, http=http)
        == 0
    )


async def test_polling_a_tenant_without_a_connection_calls_nothing(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn
) -> None:
    http = standin.session()
    assert (
        await pull_case_updates(
            harness.app.state.sessionmaker, tenant.organization_id, harness.settings, http=http
        )
        == 0
    )
    assert standin.requests_seen == []


async def test_a_worker_killed_mid_delivery_leaves_exactly_one_case(
    harness: Harness, tenant: TenantHandle, standin: CaseStandIn
) -> None:
    await connect(harness, tenant)
    conversation = await escalate(harness, tenant)
    original = standin._comment

    def killed(fields: dict[str, Any]) -> tuple[int, Any]:
        # The process dies here, after the Case exists: nothing of the worker's own
        # bookkeeping runs (a BaseException, like a kill, escapes its error handling).
        raise KeyboardInterrupt

    standin._comment = killed  # type: ignore[method-assign]
    worker = Worker(harness, standin)
    with pytest.raises(KeyboardInterrupt):
        await worker.worker.run_once()
    [job] = await worker.jobs(tenant)
    assert job.status == JobStatus.RUNNING.value, "the dead worker still holds the lease"
    assert len(standin.cases) == 1

    standin._comment = original  # type: ignore[method-assign]
    async with harness.app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job.id)
            .values(locked_until=utcnow() - timedelta(seconds=1))  # the lease ran out
        )
    await Worker(harness, standin).drain()  # a new worker process
    case = standin.case_by_external_id(conversation)
    assert case is not None and len(standin.cases) == 1
    assert len(standin.comments_on(case["Id"])) == 1
    assert (await worker.jobs(tenant))[0].status == JobStatus.DONE.value
