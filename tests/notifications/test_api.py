"""Notification channels through the API, and notifications raised by conversations:
a rule's notify action and an escalation reach a signed webhook through the outbox."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from sfagent.app import JOB_HANDLERS
from sfagent.notifications import messages
from sfagent.outbox.models import OutboxJob
from sfagent.outbox.worker import OutboxWorker
from tests.admin_rules.helpers import create_rule
from tests.conftest import Harness, TenantHandle
from tests.notifications.receivers import http_receiver
from tests.rules.documents import leaf, rule_document

CHANNELS = "/api/v1/admin/notification-channels"
SECRET = "whsec-0123456789abcdef"


def webhook(url: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": "support_manager",
        "method": "webhook",
        "target": url,
        "secret": SECRET,
        **changes,
    }


async def _create(harness: Harness, tenant: TenantHandle, body: dict[str, Any]) -> Any:
    response = await harness.client.post(CHANNELS, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_channel_crud_never_shows_the_secret(harness: Harness, tenant: TenantHandle) -> None:
    created = await _create(harness, tenant, webhook("https://hooks.acme.example/sf"))
    assert created["has_secret"] is True and "secret" not in created
    listed = (await harness.client.get(CHANNELS, headers=tenant.headers)).json()["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    resent = {key: created[key] for key in ("name", "method", "target", "enabled")}
    replaced = await harness.client.put(
        f"{CHANNELS}/{created['id']}",
        json={**resent, "on_escalation": True},
        headers=tenant.headers,
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["has_secret"] is True, "a channel sent back whole keeps its secret"
    assert replaced.json()["on_escalation"] is True
    deleted = await harness.client.delete(f"{CHANNELS}/{created['id']}", headers=tenant.headers)
    assert deleted.status_code == 204
    assert (await harness.client.get(CHANNELS, headers=tenant.headers)).json()["items"] == []


async def test_bad_channels_are_422_saying_what_to_fix(
    harness: Harness, tenant: TenantHandle
) -> None:
    cases = [
        ({"name": "x", "method": "email", "target": "not-an-address"}, "email addresses"),
        ({"name": "x", "method": "slack", "target": "ftp://x"}, "http(s) URL"),
        ({"name": "x", "method": "pager", "target": "https://x"}, "method"),
        (webhook("https://x.example", secret="short"), "at least 16"),
        ({"name": "x", "method": "email", "target": "a@b.example", "secret": SECRET}, "webhook"),
    ]
    for body, words in cases:
        response = await harness.client.post(CHANNELS, json=body, headers=tenant.headers)
        assert response.status_code == 422, body
        assert words in response.text, response.text
    assert (await harness.client.get(CHANNELS, headers=tenant.headers)).json()["items"] == []


async def test_the_same_name_and_method_twice_is_409(
    harness: Harness, tenant: TenantHandle
) -> None:
    await _create(harness, tenant, webhook("https://a.example"))
    again = await harness.client.post(
        CHANNELS, json=webhook("https://b.example"), headers=tenant.headers
    )
    assert again.status_code == 409
    assert "already exists" in again.json()["error"]


async def test_another_tenants_channel_is_not_found(harness: Harness) -> None:
    owner, other = await harness.create_tenant(), await harness.create_tenant()
    created = await _create(harness, owner, webhook("https://a.example"))
    for method in ("put", "delete"):
        kwargs: dict[str, Any] = {"headers": other.headers}
        if method == "put":
            kwargs["json"] = webhook("https://evil.example")
        response = await getattr(harness.client, method)(f"{CHANNELS}/{created['id']}", **kwargs)
        assert response.status_code == 404
    assert (await harness.client.get(CHANNELS, headers=other.headers)).json()["items"] == []


async def _drain(harness: Harness) -> None:
    """Run a worker until nothing is due (the database may hold other tests' jobs too)."""
    worker = OutboxWorker(
        sessionmaker=harness.app.state.sessionmaker,
        backplane=harness.app.state.backplane,
        settings=harness.settings,
        handlers=JOB_HANDLERS,  # every job a real worker runs, not only ours
    )
    for _ in range(100):
        if not await worker.run_once():
            return


async def _deliveries(harness: Harness, tenant: TenantHandle) -> list[OutboxJob]:
    async with harness.app.state.sessionmaker() as session:
        rows = await session.execute(
            select(OutboxJob).where(
                OutboxJob.name == "notifications.deliver",
                OutboxJob.organization_id == tenant.organization_id,
            )
        )
        return list(rows.scalars().all())


async def test_a_rules_notify_action_reaches_a_signed_webhook(
    make_harness: Any,
) -> None:
    harness: Harness = await make_harness(worker_enabled=False, notification_private_targets=True)
    tenant = await harness.create_tenant()
    async with http_receiver() as receiver:
        await _create(harness, tenant, webhook(receiver.url))
        await create_rule(
            harness,
            tenant,
            rule_document(
                "RULE-NOTIFY",
                conditions=leaf("intent", "==", "refund_request"),
                actions=[
                    {"type": "notify", "recipient": "support_manager", "method": "webhook"},
                    {"type": "sla", "target": "15_minutes"},
                ],
            ),
        )
        reply = await harness.say(tenant, "I was charged twice and I want a refund")
        assert reply["requires_escalation"] is True
        [job] = await _deliveries(harness, tenant)
        assert job.payload["event"]["rules"] == ["RULE-NOTIFY"]
        await _drain(harness)
    [request] = receiver.requests
    timestamp = int(request.headers["x-sfagent-timestamp"])
    assert messages.verify(SECRET, timestamp, request.body, request.headers["x-sfagent-signature"])
    data = json.loads(request.body)["data"]
    assert data["kind"] == "rule" and data["sla_seconds"] == 900
    assert data["conversation_id"] == reply["conversation_id"]


async def test_escalations_reach_subscribed_channels_only(make_harness: Any) -> None:
    harness: Harness = await make_harness(worker_enabled=False, notification_private_targets=True)
    tenant = await harness.create_tenant()
    async with http_receiver() as subscribed, http_receiver() as quiet:
        await _create(harness, tenant, webhook(subscribed.url, on_escalation=True))
        await _create(harness, tenant, webhook(quiet.url, name="audit_log"))
        await harness.say(tenant, "I want to talk to a real person please")
        await _drain(harness)
    assert len(subscribed.requests) == 1 and quiet.requests == []
    assert json.loads(subscribed.requests[0].body)["data"]["kind"] == "escalation"


async def test_a_notify_action_with_no_channel_is_recorded_on_the_message(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create_rule(
        harness,
        tenant,
        rule_document(
            "RULE-NOWHERE",
            actions=[{"type": "notify", "recipient": "night_shift", "method": "slack"}],
        ),
    )
    reply = await harness.say(tenant, "How do I create a report?")
    messages_page = await harness.client.get(
        f"/api/v1/conversations/{reply['conversation_id']}/messages", headers=tenant.headers
    )
    analysis = messages_page.json()["items"][1]["analysis"]
    assert analysis["rules"]["unmatched_notifications"] == ["night_shift (slack)"]
    assert await _deliveries(harness, tenant) == []


async def test_the_test_endpoint_queues_a_delivery(harness: Harness, tenant: TenantHandle) -> None:
    created = await _create(harness, tenant, webhook("https://hooks.acme.example/sf"))
    response = await harness.client.post(f"{CHANNELS}/{created['id']}/test", headers=tenant.headers)
    assert response.status_code == 202
    [job] = await _deliveries(harness, tenant)
    assert job.id == response.json()["job_id"] and job.payload["event"]["kind"] == "test"
