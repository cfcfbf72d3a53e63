"""Business hours through the API, and the `business_hours` fact rules see in a conversation."""

from __future__ import annotations

from typing import Any

from tests.admin_rules.helpers import create_rule
from tests.conftest import Harness, TenantHandle
from tests.rules.documents import leaf, rule_document

HOURS = "/api/v1/admin/business-hours"
ALWAYS_OPEN = {
    "timezone": "UTC",
    "weekly": {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}
NEVER_OPEN: dict[str, Any] = {"timezone": "America/New_York", "weekly": {}}
CLOSED_REPLY = "We are closed now; a person will reply when we open at 9:00."


async def test_set_read_and_clear(harness: Harness, tenant: TenantHandle) -> None:
    assert (await harness.client.get(HOURS, headers=tenant.headers)).status_code == 404
    body = {**ALWAYS_OPEN, "holidays": ["2026-12-25"]}
    saved = await harness.client.put(HOURS, json=body, headers=tenant.headers)
    assert saved.status_code == 200, saved.text
    read = await harness.client.get(HOURS, headers=tenant.headers)
    assert read.json()["holidays"] == ["2026-12-25"]
    assert read.json()["weekly"]["sun"] == ["00:00-24:00"]
    assert (await harness.client.delete(HOURS, headers=tenant.headers)).status_code == 204
    assert (await harness.client.get(HOURS, headers=tenant.headers)).status_code == 404
    assert (await harness.client.delete(HOURS, headers=tenant.headers)).status_code == 404


async def test_a_bad_schedule_is_422_naming_the_field_and_keeps_the_old_one(
    harness: Harness, tenant: TenantHandle
) -> None:
    await harness.client.put(HOURS, json=ALWAYS_OPEN, headers=tenant.headers)
    bad = {**ALWAYS_OPEN, "weekly": {"mon": ["17:00-09:00"]}}
    response = await harness.client.put(HOURS, json=bad, headers=tenant.headers)
    assert response.status_code == 422
    assert "ends before it starts" in response.text and "weekly" in response.text
    kept = await harness.client.get(HOURS, headers=tenant.headers)
    assert kept.json()["weekly"]["mon"] == ["00:00-24:00"]


async def test_each_tenant_has_its_own_hours(harness: Harness) -> None:
    first, second = await harness.create_tenant(), await harness.create_tenant()
    await harness.client.put(HOURS, json=ALWAYS_OPEN, headers=first.headers)
    assert (await harness.client.get(HOURS, headers=second.headers)).status_code == 404


async def test_a_rule_on_business_hours_fires_only_when_closed(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create_rule(
        harness,
        tenant,
        rule_document(
            "CLOSED",
            conditions=leaf("business_hours", "==", False),
            actions=[{"type": "auto_reply", "text": CLOSED_REPLY}],
        ),
    )
    question = "How do I add a field to a page layout?"
    unset = await harness.say(tenant, question)
    assert unset["response"] != CLOSED_REPLY, "no hours set: the fact is absent"

    await harness.client.put(HOURS, json=NEVER_OPEN, headers=tenant.headers)
    closed = await harness.say(tenant, question)
    assert closed["response"] == CLOSED_REPLY

    await harness.client.put(HOURS, json=ALWAYS_OPEN, headers=tenant.headers)
    open_ = await harness.say(tenant, question)
    assert open_["response"] != CLOSED_REPLY


async def test_dry_run_shows_the_business_hours_fact(
    harness: Harness, tenant: TenantHandle
) -> None:
    await harness.client.put(HOURS, json=NEVER_OPEN, headers=tenant.headers)
    response = await harness.client.post(
        "/api/v1/admin/rules/dry-run",
        json={"message": "hello", "rules": [rule_document("R1")]},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["facts"]["business_hours"] is False
