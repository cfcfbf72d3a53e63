"""POST /api/v1/admin/rules/dry-run: which rules fire for a message, in order, and why."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin_rules.helpers import DRY_RUN, create_rule, dry_run
from tests.conftest import Harness, HarnessFactory, TenantHandle
from tests.rules.documents import ANGRY_ENTERPRISE_BILLING, example, leaf, rule_document

NEGATIVE_BILLING = (
    "We were charged twice for our subscription this month and nobody answers. "
    "Terrible service, I am furious."
)


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness(nlu_enabled=False)


def leaf_steps(result: dict[str, Any]) -> dict[str, tuple[Any, bool]]:
    """Each leaf of a traced rule: its field, the value it saw and its outcome."""
    return {
        step["field"]: (step["actual"], step["result"])
        for step in result["trace"]
        if step["kind"] == "leaf"
    }


async def test_example_rule_fires_on_fact_overrides(harness: Harness, tenant: TenantHandle) -> None:
    await create_rule(harness, tenant, example())

    result = await dry_run(harness, tenant, message="", facts=ANGRY_ENTERPRISE_BILLING)

    assert result["rules_source"] == "stored"
    assert result["understood"] is False
    assert result["fired"] == ["RULE-ESC-001"]
    [outcome] = result["results"]
    assert (outcome["outcome"], outcome["priority"]) == ("fired", 10)
    assert [step["path"] for step in outcome["trace"]] == [
        "conditions",
        "conditions.rules[0]",
        "conditions.rules[1]",
        "conditions.rules[2]",
    ]
    assert leaf_steps(outcome) == {
        "sentiment_score": (-0.8, True),
        "customer_tier": ("enterprise", True),
        "issue_type": ("billing", True),
    }
    decision = result["decision"]
    assert decision["escalate"] is True
    assert (decision["escalation_queue"], decision["priority"]) == ("enterprise_support", "high")
    assert (decision["sla_target"], decision["sla_seconds"]) == ("15_minutes", 900)
    assert decision["notifications"] == [
        {"type": "notify", "recipient": "support_manager", "method": "email"}
    ]


async def test_the_tenants_tier_is_the_customer_tier_unless_overridden(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create_rule(harness, tenant, example())
    facts = {"sentiment_score": -0.8, "issue_type": "billing"}

    result = await dry_run(harness, tenant, facts=facts)

    assert result["facts"]["customer_tier"] == "free"
    assert result["fired"] == []
    [outcome] = result["results"]
    assert outcome["outcome"] == "not_fired"
    assert leaf_steps(outcome)["customer_tier"] == ("free", False)
    assert result["decision"]["escalate"] is False


async def test_absent_facts_are_shown_as_absent(harness: Harness, tenant: TenantHandle) -> None:
    await create_rule(harness, tenant, example())
    result = await dry_run(harness, tenant, message="anything")
    steps = [step for step in result["results"][0]["trace"] if step["kind"] == "leaf"]
    assert [(step["field"], step["present"]) for step in steps] == [
        ("sentiment_score", False),
        ("customer_tier", True),
        ("issue_type", False),
    ]


async def test_priority_order_and_stop_processing(harness: Harness, tenant: TenantHandle) -> None:
    always = leaf("intent", "exists", True)
    rules = [
        rule_document("LOW", always, priority=1),
        rule_document("STOPPER", always, priority=10, stop_processing=True),
        rule_document("OFF", always, priority=50, enabled=False),
        rule_document("FIRST", always, priority=20),
        rule_document("MISS", leaf("intent", "==", "refund_request"), priority=15),
    ]
    for document in rules:
        await create_rule(harness, tenant, document)

    result = await dry_run(harness, tenant, facts={"intent": "complaint"})

    assert [(r["rule_id"], r["outcome"]) for r in result["results"]] == [
        ("OFF", "disabled"),
        ("FIRST", "fired"),
        ("MISS", "not_fired"),
        ("STOPPER", "fired"),
        ("LOW", "not_reached"),
    ]
    assert result["fired"] == ["FIRST", "STOPPER"]
    assert result["stopped_by"] == "STOPPER"
    assert result["decision"]["tags"] == ["FIRST", "STOPPER"]
    assert [r["trace"] is None for r in result["results"]] == [True, False, False, False, True]


async def test_unsaved_rules_run_instead_of_the_stored_ones(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create_rule(harness, tenant, rule_document("STORED"))
    trial = example()
    trial["conditions"]["rules"][0]["value"] = -0.9

    result = await dry_run(harness, tenant, facts=ANGRY_ENTERPRISE_BILLING, rules=[trial])

    assert result["rules_source"] == "request"
    assert [r["rule_id"] for r in result["results"]] == ["RULE-ESC-001"]
    assert result["fired"] == []
    assert leaf_steps(result["results"][0])["sentiment_score"] == (-0.8, False)
    stored = await harness.client.get("/api/v1/admin/rules", headers=tenant.headers)
    assert [rule["id"] for rule in stored.json()["items"]] == ["STORED"]


async def test_an_empty_list_of_unsaved_rules_runs_nothing(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create_rule(harness, tenant, rule_document("STORED"))
    result = await dry_run(harness, tenant, facts={"intent": "x"}, rules=[])
    assert (result["results"], result["fired"]) == ([], [])


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"rules": [rule_document("OK"), {**example(), "priority": "high"}]}, "rules[1].priority"),
        (
            {"rules": [rule_document("A", leaf("intent", "=~", "x"))]},
            "rules[0].conditions.operator",
        ),
        ({"rules": [rule_document("SAME"), rule_document("SAME")]}, "rules[1].id"),
        ({"facts": {"sentiment_score": "-0.8"}}, "facts.sentiment_score"),
        ({"facts": {"mood": "grumpy"}}, "facts.mood"),
        ({"facts": {"entities": {"PLANET": ["Mars"]}}}, "facts.entities"),
        ({"facts": {"message_count": True}}, "facts.message_count"),
    ],
    ids=[
        "bad-unsaved-rule",
        "bad-operator",
        "duplicate-ids",
        "text-for-number",
        "unknown-fact",
        "unknown-entity-type",
        "bool-for-integer",
    ],
)
async def test_invalid_dry_run_is_422_pointing_at_the_bad_path(
    harness: Harness, tenant: TenantHandle, body: dict[str, Any], path: str
) -> None:
    response = await harness.client.post(DRY_RUN, json=body, headers=tenant.headers)
    assert response.status_code == 422, response.text
    assert path in [error["path"] for error in response.json()["details"]["errors"]]


async def test_overlong_message_is_422(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        DRY_RUN, json={"message": "x" * 100_000}, headers=tenant.headers
    )
    assert response.status_code == 422
    assert "message" in response.json()["error"]


async def test_other_tenants_rules_do_not_run(harness: Harness, tenant: TenantHandle) -> None:
    await create_rule(harness, tenant, example())
    other = await harness.create_tenant()
    result = await dry_run(harness, other, facts=ANGRY_ENTERPRISE_BILLING)
    assert result["results"] == []


async def test_a_null_override_makes_a_fact_absent(harness: Harness, tenant: TenantHandle) -> None:
    result = await dry_run(harness, tenant, facts={"customer_tier": None})
    assert "customer_tier" not in result["facts"]


async def test_message_is_understood_when_the_nlu_runs(make_harness: HarnessFactory) -> None:
    harness = await make_harness()  # with the NLU
    tenant = await harness.create_tenant()
    await create_rule(harness, tenant, example())

    fired = await dry_run(
        harness, tenant, message=NEGATIVE_BILLING, facts={"customer_tier": "enterprise"}
    )
    calm = await dry_run(
        harness,
        tenant,
        message="How do I add a field to a page layout?",
        facts={"customer_tier": "enterprise"},
    )

    assert fired["understood"] is True
    assert fired["facts"]["issue_type"] == "billing"
    assert fired["facts"]["sentiment_score"] < -0.5
    assert fired["fired"] == ["RULE-ESC-001"]
    assert fired["decision"]["escalation_queue"] == "enterprise_support"
    assert calm["understood"] is True
    assert calm["fired"] == []
    assert leaf_steps(calm["results"][0])["sentiment_score"][1] is False
    assert {"intent", "category", "language", "entities"} <= set(calm["facts"])
