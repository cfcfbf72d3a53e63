"""Escalations end to end: opened with the hand-off in the same transaction, the customer
told the target, the queue ordered by urgency, closed with the conversation, breaches
flagged once and announced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from sfagent.db.base import utcnow
from sfagent.db.engine import bind_tenant
from sfagent.escalation.models import Escalation
from sfagent.escalation.service import flag_sla_breaches
from sfagent.outbox.models import OutboxJob
from tests.admin_rules.helpers import create_rule
from tests.conftest import Harness, TenantHandle
from tests.rules.documents import leaf, rule_document

QUEUE = "/api/v1/escalations"


async def _queue(harness: Harness, tenant: TenantHandle, query: str = "") -> list[Any]:
    response = await harness.client.get(f"{QUEUE}{query}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


async def test_a_handoff_opens_an_escalation_and_tells_the_target(
    harness: Harness, tenant: TenantHandle
) -> None:
    reply = await harness.say(tenant, "I was charged twice this month and I want a refund")
    assert reply["requires_escalation"] is True
    assert "target for a high-priority request is a reply within 1 hour" in reply["response"]
    [escalation] = await _queue(harness, tenant)
    assert escalation["conversation_id"] == reply["conversation_id"]
    assert (escalation["reason_code"], escalation["priority"], escalation["status"]) == (
        "billing",
        "high",
        "open",
    )
    assert "charged twice" in escalation["summary"]["problem"]
    read = await harness.client.get(f"{QUEUE}/{escalation['id']}", headers=tenant.headers)
    assert read.json()["id"] == escalation["id"]


async def test_the_queue_puts_the_most_urgent_first_and_filters(
    harness: Harness, tenant: TenantHandle
) -> None:
    await harness.say(tenant, "I want to talk to a real person")
    await harness.say(tenant, "I think our org was hacked, there are logins from Russia")
    await harness.say(tenant, "we were double charged, I need a refund")
    priorities = [item["priority"] for item in await _queue(harness, tenant)]
    assert priorities == ["urgent", "high", "normal"]
    urgent = await _queue(harness, tenant, "?priority=urgent")
    assert [item["reason_code"] for item in urgent] == ["security"]
    assert await _queue(harness, tenant, "?status=resolved") == []


async def test_a_rule_chooses_queue_priority_and_sla(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create_rule(
        harness,
        tenant,
        rule_document(
            "RULE-ENT",
            conditions=leaf("intent", "==", "request_human"),
            actions=[
                {"type": "escalate", "priority": "urgent", "queue": "enterprise_support"},
                {"type": "sla", "target": "10_minutes"},
            ],
        ),
    )
    reply = await harness.say(tenant, "please let me talk to a human agent")
    assert "within 10 minutes" in reply["response"]
    [escalation] = await _queue(harness, tenant)
    assert (escalation["queue"], escalation["priority"], escalation["reason_code"]) == (
        "enterprise_support",
        "urgent",
        "rule",
    )


async def test_resolving_the_conversation_resolves_its_escalation(
    harness: Harness, tenant: TenantHandle
) -> None:
    reply = await harness.say(tenant, "I want to talk to a real person")
    conversation = reply["conversation_id"]
    await harness.client.post(
        f"/api/v1/conversations/{conversation}/resolve", headers=tenant.headers
    )
    assert await _queue(harness, tenant) == []
    [resolved] = await _queue(harness, tenant, "?status=resolved")
    assert resolved["closed_at"] is not None


async def test_another_tenants_escalation_is_not_found(harness: Harness) -> None:
    owner, other = await harness.create_tenant(), await harness.create_tenant()
    await harness.say(owner, "I want to talk to a real person")
    [escalation] = await _queue(harness, owner)
    assert await _queue(harness, other) == []
    response = await harness.client.get(f"{QUEUE}/{escalation['id']}", headers=other.headers)
    assert response.status_code == 404


async def test_a_missed_sla_is_flagged_once_and_announced(
    harness: Harness, tenant: TenantHandle
) -> None:
    channel = {
        "name": "leads",
        "method": "slack",
        "target": "https://hooks.slack.example/T0/B0/x",
        "on_escalation": True,
    }
    made = await harness.client.post(
        "/api/v1/admin/notification-channels", json=channel, headers=tenant.headers
    )
    assert made.status_code == 201, made.text
    await harness.say(tenant, "I want to talk to a real person")
    sessionmaker = harness.app.state.sessionmaker
    async with sessionmaker() as session, session.begin():
        await bind_tenant(session, tenant.organization_id)
        await session.execute(
            update(Escalation)
            .where(Escalation.organization_id == tenant.organization_id)
            .values(sla_due_at=utcnow() - timedelta(minutes=1))
        )
    for expected in (1, 0):  # the second sweep finds nothing new
        async with sessionmaker() as session, session.begin():
            await bind_tenant(session, tenant.organization_id)
            assert await flag_sla_breaches(session, tenant.organization_id) == expected
    [escalation] = await _queue(harness, tenant)
    assert escalation["sla_breached_at"] is not None
    async with sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        jobs = (
            (
                await session.execute(
                    select(OutboxJob).where(
                        OutboxJob.organization_id == tenant.organization_id,
                        OutboxJob.name == "notifications.deliver",
                    )
                )
            )
            .scalars()
            .all()
        )
    kinds = sorted(job.payload["event"]["kind"] for job in jobs)
    assert kinds == ["escalation", "sla_breach"]
