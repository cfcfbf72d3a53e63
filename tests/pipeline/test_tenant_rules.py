"""A tenant's business rules run in the decide stage of every turn."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sfagent.conversations.models import Message
from sfagent.db.engine import bind_tenant
from sfagent.outbox.models import OutboxJob
from tests.admin_rules.helpers import create_rule
from tests.conftest import Harness, TenantHandle
from tests.rules.documents import example, leaf, rule_document

# Negative, about billing: the example rule fires for an enterprise customer.
ANGRY_BILLING = (
    "This is unacceptable. Our invoice is wrong again and nobody fixes it, "
    "I am furious about this billing mess"
)


async def post(harness: Harness, tenant: TenantHandle, text: str) -> dict[str, Any]:
    conversation = await harness.create_conversation(tenant)
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": text},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def stored_analysis(harness: Harness, tenant: TenantHandle, message_id: str) -> Any:
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        user_message = (
            await session.execute(select(Message).where(Message.id == message_id))
        ).scalar_one()
        return user_message.analysis


async def test_the_example_rule_escalates_an_enterprise_customers_billing_anger(
    harness: Harness,
) -> None:
    tenant = await harness.create_tenant(tier="enterprise")
    await create_rule(harness, tenant, example())
    reply = await post(harness, tenant, ANGRY_BILLING)
    assert reply["requires_escalation"] is True
    assert "High Priority Escalation" in reply["response"]
    analysis = await stored_analysis(harness, tenant, reply["user_message_id"])
    assert analysis["rules"]["fired"] == [
        {"id": "RULE-ESC-001", "name": "High Priority Escalation"}
    ]
    decision = analysis["rules"]["decision"]
    assert (decision["escalation_queue"], decision["sla_target"]) == (
        "enterprise_support",
        "15_minutes",
    )
    async with harness.app.state.sessionmaker() as session:
        job = (
            await session.execute(
                select(OutboxJob).where(OutboxJob.organization_id == tenant.organization_id)
            )
        ).scalar_one()
    assert job.payload["rules"]["priority"] == "high"


async def test_the_example_rule_does_not_fire_for_a_free_tier_customer(
    harness: Harness,
) -> None:
    tenant = await harness.create_tenant(tier="free")
    await create_rule(harness, tenant, example())
    reply = await post(harness, tenant, ANGRY_BILLING)
    assert "High Priority Escalation" not in reply["response"]
    analysis = await stored_analysis(harness, tenant, reply["user_message_id"])
    assert analysis["rules"]["fired"] == []


async def test_an_auto_reply_rule_answers_with_its_text(
    harness: Harness, tenant: TenantHandle
) -> None:
    text = "Our support desk is open 8:00-18:00 CET; we reply to every message here."
    document = rule_document(
        "R-HOURS",
        conditions={"operator": "AND", "rules": [leaf("intent", "==", "greeting")]},
        actions=[{"type": "auto_reply", "text": text}],
    )
    await create_rule(harness, tenant, document)
    reply = await post(harness, tenant, "hello")
    assert reply["response"] == text
    assert reply["requires_escalation"] is False


async def test_without_rules_nothing_is_recorded(harness: Harness, tenant: TenantHandle) -> None:
    reply = await post(harness, tenant, "How do I reset a user's password?")
    analysis = await stored_analysis(harness, tenant, reply["user_message_id"])
    assert analysis["rules"] is None
