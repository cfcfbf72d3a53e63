"""The inactivity sweeper abandons idle conversations per each tenant's own timeout."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from sfagent.conversations.models import Conversation, ConversationEvent
from sfagent.conversations.tasks import enforce_retention, sweep_inactive_conversations
from sfagent.db.base import utcnow
from sfagent.db.engine import bind_tenant
from sfagent.tenancy.models import Organization
from tests.conftest import Harness, TenantHandle


async def _age(harness: Harness, tenant: TenantHandle, conversation_id: str, minutes: int) -> None:
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(last_activity_at=utcnow() - timedelta(minutes=minutes))
        )
        await session.commit()


async def _status(harness: Harness, tenant: TenantHandle, conversation_id: str) -> str:
    response = await harness.client.get(
        f"/api/v1/conversations/{conversation_id}", headers=tenant.headers
    )
    status: str = response.json()["status"]
    return status


async def test_idle_conversation_is_abandoned_with_reason(
    harness: Harness, tenant: TenantHandle
) -> None:
    idle = await harness.create_conversation(tenant)
    fresh = await harness.create_conversation(tenant)
    await _age(harness, tenant, idle["id"], minutes=31)
    await sweep_inactive_conversations(harness.app.state.sessionmaker, harness.settings)
    assert await _status(harness, tenant, idle["id"]) == "abandoned"
    assert await _status(harness, tenant, fresh["id"]) == "active"
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        events = (
            (
                await session.execute(
                    select(ConversationEvent).where(ConversationEvent.conversation_id == idle["id"])
                )
            )
            .scalars()
            .all()
        )
    assert [(e.from_status, e.to_status) for e in events][-1] == ("active", "abandoned")
    assert "30 minutes" in events[-1].reason


async def test_escalated_conversation_is_not_swept(harness: Harness, tenant: TenantHandle) -> None:
    conversation = await harness.create_conversation(tenant)
    await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": "need a person"},
        headers=tenant.headers,
    )
    await _age(harness, tenant, conversation["id"], minutes=600)
    await sweep_inactive_conversations(harness.app.state.sessionmaker, harness.settings)
    assert await _status(harness, tenant, conversation["id"]) == "escalated"


async def test_each_tenant_uses_its_own_timeout(harness: Harness) -> None:
    patient, strict = await harness.create_tenant(), await harness.create_tenant()
    async with harness.app.state.sessionmaker() as session:
        organization = await session.get(Organization, strict.organization_id)
        assert organization is not None
        organization.inactivity_timeout_minutes = 5
        await session.commit()
    a = await harness.create_conversation(patient)
    b = await harness.create_conversation(strict)
    await _age(harness, patient, a["id"], minutes=10)
    await _age(harness, strict, b["id"], minutes=10)
    await sweep_inactive_conversations(harness.app.state.sessionmaker, harness.settings)
    assert await _status(harness, patient, a["id"]) == "active"
    assert await _status(harness, strict, b["id"]) == "abandoned"


async def test_customer_returning_reopens_abandoned(harness: Harness, tenant: TenantHandle) -> None:
    conversation = await harness.create_conversation(tenant)
    await _age(harness, tenant, conversation["id"], minutes=45)
    await sweep_inactive_conversations(harness.app.state.sessionmaker, harness.settings)
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": "sorry, back now"},
        headers=tenant.headers,
    )
    assert response.status_code == 200
    assert response.json()["state"] == "escalated"


async def test_retention_deletes_only_finished_conversations_past_it(harness: Harness) -> None:
    tenant = await harness.create_tenant()
    other = await harness.create_tenant()
    old_closed = await harness.create_conversation(tenant)
    old_open = await harness.create_conversation(tenant)
    recent_closed = await harness.create_conversation(tenant)
    others_old_closed = await harness.create_conversation(other)
    for handle, conversation in [
        (tenant, old_closed),
        (tenant, recent_closed),
        (other, others_old_closed),
    ]:
        await harness.client.post(
            f"/api/v1/conversations/{conversation['id']}/close", headers=handle.headers
        )
    async with harness.app.state.sessionmaker() as session:
        organization = await session.get(Organization, tenant.organization_id)
        assert organization is not None
        organization.retention_days = 7
        await session.commit()
    await _age(harness, tenant, old_closed["id"], minutes=8 * 24 * 60)
    await _age(harness, tenant, old_open["id"], minutes=8 * 24 * 60)
    await _age(harness, other, others_old_closed["id"], minutes=8 * 24 * 60)

    await enforce_retention(harness.app.state.sessionmaker, harness.settings)

    gone = await harness.client.get(
        f"/api/v1/conversations/{old_closed['id']}/messages", headers=tenant.headers
    )
    assert gone.status_code == 404
    for handle, conversation in [
        (tenant, old_open),
        (tenant, recent_closed),
        (other, others_old_closed),
    ]:
        kept = await harness.client.get(
            f"/api/v1/conversations/{conversation['id']}", headers=handle.headers
        )
        assert kept.status_code == 200  # open, recent, or within the other tenant's 30 days
