"""Privacy tests: an app with the privacy routes, and an end user with a full history.

Alice has two conversations: one opened for her by the tenant's backend (subject, context,
a diagnosed message, a rated reply, a screenshot), one she opened herself with her widget
token (an idempotent message that escalated, a person's reply, an internal note, a Case in
Salesforce, a Case sync still queued). Bob, in the same tenant, and another Alice in
another tenant must come through everything untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.conversations.models import Conversation
from sfagent.db.base import utcnow
from sfagent.db.engine import bind_tenant
from sfagent.outbox.models import JobStatus, OutboxJob
from sfagent.outbox.service import enqueue
from sfagent.privacy.api import router as privacy_router
from sfagent.salesforce.models import SalesforceCaseLink
from sfagent.salesforce.service import CASE_SYNC_JOB
from sfagent.security.models import AuditEntry
from sfagent.tenancy.auth import issue_end_user_token
from tests.conftest import Harness, HarnessFactory, TenantHandle
from tests.tenancy.test_auth import bearer, load_organization

ALICE = "alice@example.com"
BOB = "bob-1234"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
CASE_ID = "500Zanzibar0000AAA"
# Words only one person's data contains, to look for in exports and after erasure.
ALICE_WORDS = ("Zanzibar", "Okavango")
BOB_WORD = "Quokka"
OTHER_TENANT_WORD = "Narwhal"
PRIVACY = "/api/v1/admin/privacy"


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    # Staff log in in these tests; lift the per-address login throttle shared on Redis.
    built = await make_harness(auth_ip_requests_per_minute=100_000)
    paths = {getattr(route, "path", None) for route in built.app.routes}
    if f"{PRIVACY}/retention/run" not in paths:  # until app.py registers the router
        built.app.include_router(privacy_router)
    return built


@dataclass
class Story:
    tenant: TenantHandle
    alice_conversations: list[str]
    escalated: str
    escalation_id: str
    bob_conversation: str
    customer_headers: dict[str, str]


def sessionmaker_of(harness: Harness) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = harness.app.state.sessionmaker
    return maker


async def post_ok(harness: Harness, url: str, headers: dict[str, str], **body: Any) -> Any:
    response = await harness.client.post(url, json=body, headers=headers)
    assert response.status_code in (200, 201, 204), response.text
    return response.json() if response.content else None


async def build_story(harness: Harness, tenant: TenantHandle) -> Story:
    backend = await _backend_conversation(harness, tenant)
    escalated, escalation_id, customer = await _customer_escalation(harness, tenant)
    await _queue_case_work(harness, tenant, escalated, escalation_id)
    bob = await harness.create_conversation(tenant, user_id=BOB, subject=f"{BOB_WORD} report")
    await harness.say(tenant, f"My {BOB_WORD} dashboard will not load", bob["id"])
    return Story(tenant, [backend, escalated], escalated, escalation_id, bob["id"], customer)


async def _backend_conversation(harness: Harness, tenant: TenantHandle) -> str:
    conversation = await harness.create_conversation(
        tenant,
        user_id=ALICE,
        subject="Zanzibar invoices",
        context={"org_id": "00DZanzibar", "product": "Sales Cloud"},
    )
    conversation_id: str = conversation["id"]
    reply = await harness.say(
        tenant,
        "My trigger ZanzibarHandler fails: System.LimitException: Too many SOQL queries: 101",
        conversation_id,
    )
    await post_ok(harness, f"/api/v1/messages/{reply['id']}/feedback", tenant.headers, helpful=True)
    await post_ok(
        harness, f"/api/v1/conversations/{conversation_id}/rating", tenant.headers, score=4
    )
    uploaded = await harness.client.post(
        f"/api/v1/conversations/{conversation_id}/attachments",
        files={"file": ("zanzibar.png", PNG, "image/png")},
        headers=tenant.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    return conversation_id


async def _customer_escalation(
    harness: Harness, tenant: TenantHandle
) -> tuple[str, str, dict[str, str]]:
    organization = await load_organization(harness, tenant)
    token = issue_end_user_token(organization, external_user_id=ALICE, settings=harness.settings)
    customer = bearer(token)
    conversation = await post_ok(harness, "/api/v1/conversations", customer)
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": "I want to talk to a real person about the Okavango account"},
        headers={**customer, "Idempotency-Key": "okavango-1"},
    )
    assert response.status_code == 200 and response.json()["requires_escalation"], response.text
    queue = await harness.client.get("/api/v1/escalations", headers=tenant.headers)
    [escalation] = [
        item for item in queue.json()["items"] if item["conversation_id"] == conversation["id"]
    ]
    base = f"/api/v1/escalations/{escalation['id']}/messages"
    await post_ok(harness, base, tenant.headers, content="Alice is a VIP (Okavango)", internal=True)
    await post_ok(harness, base, tenant.headers, content="Hello Alice, about Okavango...")
    return conversation["id"], escalation["id"], customer


async def _queue_case_work(
    harness: Harness, tenant: TenantHandle, conversation_id: str, escalation_id: str
) -> None:
    """A Case already in Salesforce, a sync still queued and one already sent."""
    async with sessionmaker_of(harness)() as session, session.begin():
        await bind_tenant(session, tenant.organization_id)
        session.add(
            SalesforceCaseLink(
                organization_id=tenant.organization_id,
                conversation_id=conversation_id,
                case_id=CASE_ID,
                synced_sequence=2,
            )
        )
        payload = {"conversation_id": conversation_id, "escalation_id": escalation_id}
        for status in (JobStatus.PENDING, JobStatus.DONE):
            job = await enqueue(
                session, name=CASE_SYNC_JOB, payload=payload, organization_id=tenant.organization_id
            )
            job.status = status.value


async def case_sync_jobs(harness: Harness, tenant: TenantHandle) -> list[tuple[str, str]]:
    """(conversation id, status) of the tenant's Case sync jobs."""
    async with sessionmaker_of(harness)() as session:
        jobs = await session.execute(
            select(OutboxJob.payload, OutboxJob.status).where(
                OutboxJob.organization_id == tenant.organization_id,
                OutboxJob.name == CASE_SYNC_JOB,
            )
        )
        return sorted((payload["conversation_id"], status) for payload, status in jobs)


async def audit_entries(harness: Harness, tenant: TenantHandle, action: str) -> list[AuditEntry]:
    async with sessionmaker_of(harness)() as session:
        await bind_tenant(session, tenant.organization_id)
        rows = await session.execute(
            select(AuditEntry)
            .where(AuditEntry.organization_id == tenant.organization_id)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.sequence)
        )
        return list(rows.scalars().all())


async def age(harness: Harness, tenant: TenantHandle, conversation_id: str, days: int) -> None:
    async with sessionmaker_of(harness)() as session, session.begin():
        await bind_tenant(session, tenant.organization_id)
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(last_activity_at=utcnow() - timedelta(days=days))
        )
