"""People working an escalation: claim, reply and internal notes (hidden from the
customer), transfer, resolve, hand back to the assistant; roles and closed escalations."""

from __future__ import annotations

from typing import Any

import jwt

from sfagent.tenancy import tokens
from sfagent.tenancy.models import StaffRole
from tests.conftest import Harness, TenantHandle
from tests.tenancy.test_auth import bearer, end_user_claims, load_organization, staff_headers

QUEUE = "/api/v1/escalations"


async def _escalated(harness: Harness, tenant: TenantHandle) -> Any:
    """A conversation handed to a person; its escalation."""
    await harness.say(tenant, "I want to talk to a real person")
    response = await harness.client.get(QUEUE, headers=tenant.headers)
    return response.json()["items"][0]


async def _post(harness: Harness, url: str, headers: dict[str, str], **body: Any) -> Any:
    return await harness.client.post(url, json=body or None, headers=headers)


async def test_an_agent_claims_replies_and_resolves(harness: Harness, tenant: TenantHandle) -> None:
    escalation = await _escalated(harness, tenant)
    agent = await staff_headers(harness, tenant, StaffRole.AGENT)
    base = f"{QUEUE}/{escalation['id']}"
    claimed = await _post(harness, f"{base}/claim", agent)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["status"] == "claimed"
    assert claimed.json()["assigned_to"].startswith("staff:")

    reply = await _post(harness, f"{base}/messages", agent, content="Hi, I'm Sam. Looking now.")
    assert reply.status_code == 201, reply.text
    assert reply.json()["role"] == "agent"

    resolved = await _post(harness, f"{base}/resolve", agent, reason="walked them through it")
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["dialogue_state"] == "resolved"
    again = await _post(harness, f"{base}/claim", agent)
    assert again.status_code == 409
    assert "only open or claimed" in again.json()["error"]


async def test_a_claimed_escalation_is_409_for_another_agent_unless_taken_over(
    harness: Harness, tenant: TenantHandle
) -> None:
    escalation = await _escalated(harness, tenant)
    first = await staff_headers(harness, tenant, StaffRole.AGENT)
    second = await staff_headers(harness, tenant, StaffRole.AGENT)
    base = f"{QUEUE}/{escalation['id']}"
    await _post(harness, f"{base}/claim", first)
    refused = await _post(harness, f"{base}/claim", second)
    assert refused.status_code == 409 and "take_over" in refused.json()["error"]
    taken = await _post(harness, f"{base}/claim", second, take_over=True)
    assert taken.status_code == 200
    assert taken.json()["assigned_to"] != refused.json()["details"]["assigned_to"]


async def test_internal_notes_are_hidden_from_the_customer(harness: Harness) -> None:
    tenant = await harness.create_tenant()
    organization = await load_organization(harness, tenant)
    token = jwt.encode(
        end_user_claims(organization), organization.end_user_jwt_secret, tokens.ALGORITHM
    )
    customer = bearer(token)
    created = await harness.client.post("/api/v1/conversations", json={}, headers=customer)
    conversation = created.json()["id"]
    await harness.client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"content": "I want to talk to a real person"},
        headers=customer,
    )
    [escalation] = (await harness.client.get(QUEUE, headers=tenant.headers)).json()["items"]
    base = f"{QUEUE}/{escalation['id']}/messages"
    await _post(harness, base, tenant.headers, content="VIP, be nice", internal=True)
    await _post(harness, base, tenant.headers, content="Hello! How can I help?")
    url = f"/api/v1/conversations/{conversation}/messages"
    seen_by_customer = (await harness.client.get(url, headers=customer)).json()["items"]
    seen_by_staff = (await harness.client.get(url, headers=tenant.headers)).json()["items"]
    assert "note" not in [m["role"] for m in seen_by_customer]
    assert seen_by_customer[-1]["content"] == "Hello! How can I help?"
    assert [m["role"] for m in seen_by_staff][-2:] == ["note", "agent"]


async def test_transfer_to_another_queue_reopens_it(harness: Harness, tenant: TenantHandle) -> None:
    escalation = await _escalated(harness, tenant)
    base = f"{QUEUE}/{escalation['id']}"
    await _post(harness, f"{base}/claim", tenant.headers)
    moved = await _post(harness, f"{base}/transfer", tenant.headers, queue="billing")
    assert (moved.json()["queue"], moved.json()["status"], moved.json()["assigned_to"]) == (
        "billing",
        "open",
        None,
    )
    empty = await _post(harness, f"{base}/transfer", tenant.headers)
    assert empty.status_code == 422


async def test_hand_back_lets_the_assistant_answer_again(
    harness: Harness, tenant: TenantHandle
) -> None:
    escalation = await _escalated(harness, tenant)
    returned = await _post(harness, f"{QUEUE}/{escalation['id']}/return", tenant.headers)
    assert returned.json()["status"] == "active"
    assert returned.json()["dialogue_state"] == "gathering_context"
    [closed] = (
        await harness.client.get(f"{QUEUE}?status=returned", headers=tenant.headers)
    ).json()["items"]
    assert closed["id"] == escalation["id"]
    reply = await harness.say(
        tenant, "System.LimitException: Too many SOQL queries: 101", escalation["conversation_id"]
    )
    assert reply["requires_escalation"] is False and reply["action"] == "answer"


async def test_a_viewer_may_read_the_queue_but_not_act(
    harness: Harness, tenant: TenantHandle
) -> None:
    escalation = await _escalated(harness, tenant)
    viewer = await staff_headers(harness, tenant, StaffRole.VIEWER)
    assert (await harness.client.get(QUEUE, headers=viewer)).status_code == 200
    refused = await _post(harness, f"{QUEUE}/{escalation['id']}/claim", viewer)
    assert refused.status_code == 403 and "escalations:write" in refused.json()["error"]
