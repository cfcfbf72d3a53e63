"""The business-rules REST contract: CRUD, validation paths, versions, limits, isolation."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sfagent.db.engine import bind_tenant
from sfagent.security.models import AuditEntry
from sfagent.tenancy import service as tenancy
from tests.admin_rules.helpers import RULES, create_rule
from tests.conftest import Harness, HarnessFactory, TenantHandle
from tests.rules.documents import example, group, leaf, rule_document

EXAMPLE_URL = f"{RULES}/RULE-ESC-001"
READ_ONLY = ("created_at", "updated_at", "updated_by")


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness(nlu_enabled=False)


def document_of(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule as read back, without the fields only the server sets."""
    return {key: value for key, value in rule.items() if key not in READ_ONLY}


async def test_create_read_list_replace_delete_round_trip(
    harness: Harness, tenant: TenantHandle
) -> None:
    created = await create_rule(harness, tenant, example())
    assert document_of(created) == {**example(), "description": None}
    assert created["updated_by"].startswith("api_key:")

    read = await harness.client.get(EXAMPLE_URL, headers=tenant.headers)
    assert read.status_code == 200
    assert read.json() == created
    listed = await harness.client.get(RULES, headers=tenant.headers)
    assert listed.status_code == 200
    assert [rule["id"] for rule in listed.json()["items"]] == ["RULE-ESC-001"]
    assert listed.json()["total"] == 1
    assert listed.json()["limit"] == harness.settings.rules_max_per_tenant

    changed = read.json()  # what was read goes back whole, server fields included
    changed["conditions"]["rules"][0]["value"] = -0.3
    replaced = await harness.client.put(EXAMPLE_URL, json=changed, headers=tenant.headers)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["version"] == 2
    assert replaced.json()["conditions"]["rules"][0]["value"] == -0.3

    deleted = await harness.client.delete(EXAMPLE_URL, headers=tenant.headers)
    assert deleted.status_code == 204
    gone = await harness.client.get(EXAMPLE_URL, headers=tenant.headers)
    assert gone.status_code == 404
    assert (await harness.client.get(RULES, headers=tenant.headers)).json()["items"] == []


async def test_a_rule_with_no_actions_must_say_so(harness: Harness, tenant: TenantHandle) -> None:
    created = await create_rule(harness, tenant, {**example(), "actions": []})
    assert created["actions"] == []


async def test_a_new_rule_starts_at_version_one(harness: Harness, tenant: TenantHandle) -> None:
    created = await create_rule(harness, tenant, {**example(), "version": 7})
    assert created["version"] == 1


def with_condition(index: int, **changes: Any) -> dict[str, Any]:
    document = example()
    document["conditions"]["rules"][index].update(changes)
    return document


def without(key: str) -> dict[str, Any]:
    document = example()
    del document[key]
    return document


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        (with_condition(2, operator="like"), "conditions.rules[2].operator", "must be one of"),
        (with_condition(0, value="very negative"), "conditions.rules[0].value", "number"),
        (without("actions"), "actions", "required"),
        (without("actions") | {"actions": "escalate"}, "actions", "list"),
        (without("conditions"), "conditions", "required"),
        (
            rule_document("BAD-REGEX", leaf("intent", "matches", "billing(")),
            "conditions.value",
            "RE2",
        ),
        (
            {**example(), "actions": [{"type": "escalate", "priority": "now", "queue": "q"}]},
            "actions[0].priority",
            "must be",
        ),
        (with_condition(1, field="customer_level"), "conditions.rules[1].field", "unknown field"),
        ({**example(), "id": "has spaces"}, "id", "letters"),
        ({**example(), "colour": "red"}, "colour", "unknown key"),
        ({**example(), "name": "nul \u0000 here"}, "name", "NUL"),
    ],
    ids=[
        "unknown-operator",
        "wrong-value-type",
        "missing-actions",
        "actions-not-a-list",
        "missing-conditions",
        "bad-regex",
        "bad-action-priority",
        "unknown-field",
        "bad-id",
        "unknown-key",
        "nul-character",
    ],
)
async def test_invalid_rule_is_422_pointing_at_the_bad_path(
    harness: Harness, tenant: TenantHandle, document: dict[str, Any], path: str, words: str
) -> None:
    response = await harness.client.post(RULES, json=document, headers=tenant.headers)

    assert response.status_code == 422, response.text
    errors = response.json()["details"]["errors"]
    assert path in [error["path"] for error in errors], errors
    message = next(error["message"] for error in errors if error["path"] == path)
    assert words in message
    listed = await harness.client.get(RULES, headers=tenant.headers)
    assert listed.json()["items"] == []


async def test_every_error_of_a_rule_is_listed(harness: Harness, tenant: TenantHandle) -> None:
    document = example()
    document["conditions"]["rules"][0]["operator"] = "~"
    document["actions"][2]["target"] = "soon"
    response = await harness.client.post(RULES, json=document, headers=tenant.headers)
    assert response.status_code == 422
    paths = [error["path"] for error in response.json()["details"]["errors"]]
    assert paths == ["conditions.rules[0].operator", "actions[2].target"]


async def test_a_body_that_is_not_an_object_is_422(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(RULES, json=[example()], headers=tenant.headers)
    assert response.status_code == 422


async def test_duplicate_rule_id_is_409(harness: Harness, tenant: TenantHandle) -> None:
    await create_rule(harness, tenant, example())
    response = await harness.client.post(RULES, json=example(), headers=tenant.headers)
    assert response.status_code == 409
    assert "PUT" in response.json()["error"]


async def test_stale_version_is_409_and_changes_nothing(
    harness: Harness, tenant: TenantHandle
) -> None:
    first = await create_rule(harness, tenant, example())
    newer = {**document_of(first), "name": "Escalate angry enterprise billing"}
    assert (await harness.client.put(EXAMPLE_URL, json=newer, headers=tenant.headers)).json()[
        "version"
    ] == 2

    stale = {**document_of(first), "name": "Someone else's edit"}  # still says version 1
    response = await harness.client.put(EXAMPLE_URL, json=stale, headers=tenant.headers)
    assert response.status_code == 409
    assert response.json()["details"]["current_version"] == 2
    patched = await harness.client.patch(
        EXAMPLE_URL, json={"enabled": False, "version": 1}, headers=tenant.headers
    )
    assert patched.status_code == 409
    current = (await harness.client.get(EXAMPLE_URL, headers=tenant.headers)).json()
    assert (current["name"], current["enabled"]) == ("Escalate angry enterprise billing", True)


async def test_put_cannot_change_a_rules_id(harness: Harness, tenant: TenantHandle) -> None:
    await create_rule(harness, tenant, example())
    renamed = {**example(), "id": "RULE-ESC-002"}
    response = await harness.client.put(EXAMPLE_URL, json=renamed, headers=tenant.headers)
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["path"] == "id"


async def test_put_without_id_or_version_replaces_the_rule_in_the_url(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create_rule(harness, tenant, example())
    document = example()
    del document["id"], document["version"]
    document["priority"] = 50
    response = await harness.client.put(EXAMPLE_URL, json=document, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert (response.json()["id"], response.json()["priority"]) == ("RULE-ESC-001", 50)


async def test_put_of_an_unknown_rule_is_404(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.put(EXAMPLE_URL, json=example(), headers=tenant.headers)
    assert response.status_code == 404


async def test_patch_switches_and_moves_a_rule(harness: Harness, tenant: TenantHandle) -> None:
    await create_rule(harness, tenant, example())
    response = await harness.client.patch(
        EXAMPLE_URL,
        json={"enabled": False, "priority": 99, "stop_processing": True, "version": 1},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["enabled"], body["priority"], body["stop_processing"]) == (False, 99, True)
    assert body["version"] == 2
    assert body["conditions"] == example()["conditions"]


@pytest.mark.parametrize(
    ("patch", "path"),
    [({"priority": 10**9}, "priority"), ({"enabled": None}, "enabled"), ({"name": "x"}, "name")],
    ids=["priority-out-of-range", "null", "not-patchable"],
)
async def test_invalid_patch_is_422(
    harness: Harness, tenant: TenantHandle, patch: dict[str, Any], path: str
) -> None:
    await create_rule(harness, tenant, example())
    response = await harness.client.patch(EXAMPLE_URL, json=patch, headers=tenant.headers)
    assert response.status_code == 422, response.text
    assert path in response.text


async def test_version_history_keeps_every_saved_version_whole(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create_rule(harness, tenant, example())
    await harness.client.patch(EXAMPLE_URL, json={"priority": 20}, headers=tenant.headers)
    unchanged = await harness.client.patch(
        EXAMPLE_URL, json={"priority": 20}, headers=tenant.headers
    )
    assert unchanged.json()["version"] == 2  # saving the same rule again is not a version
    replacement = {**example(), "actions": [{"type": "tag", "tags": ["vip"]}], "version": 2}
    replaced = await harness.client.put(EXAMPLE_URL, json=replacement, headers=tenant.headers)
    assert replaced.status_code == 200, replaced.text

    response = await harness.client.get(f"{EXAMPLE_URL}/versions", headers=tenant.headers)

    assert response.status_code == 200
    versions = response.json()
    assert [(v["version"], v["change"]) for v in versions] == [
        (1, "created"),
        (2, "updated"),
        (3, "replaced"),
    ]
    assert versions[0]["rule"] == example()
    assert versions[1]["rule"]["priority"] == 20
    assert versions[2]["rule"]["actions"] == [{"type": "tag", "tags": ["vip"]}]
    assert all(v["changed_by"].startswith("api_key:") for v in versions)


async def test_list_is_in_run_order(harness: Harness, tenant: TenantHandle) -> None:
    for rule_id, priority in (("B", 5), ("A", 5), ("LOW", -1), ("TOP", 100)):
        await create_rule(harness, tenant, rule_document(rule_id, priority=priority))
    listed = (await harness.client.get(RULES, headers=tenant.headers)).json()["items"]
    assert [rule["id"] for rule in listed] == ["TOP", "A", "B", "LOW"]


async def test_other_tenants_rules_are_not_found(harness: Harness, tenant: TenantHandle) -> None:
    await create_rule(harness, tenant, example())
    other = await harness.create_tenant()

    assert (await harness.client.get(RULES, headers=other.headers)).json()["items"] == []
    for method, url, body in (
        ("GET", EXAMPLE_URL, None),
        ("GET", f"{EXAMPLE_URL}/versions", None),
        ("PUT", EXAMPLE_URL, example()),
        ("PATCH", EXAMPLE_URL, {"enabled": False}),
        ("DELETE", EXAMPLE_URL, None),
    ):
        response = await harness.client.request(method, url, json=body, headers=other.headers)
        assert response.status_code == 404, (method, url, response.text)

    # The other tenant may use the same id for its own rule.
    await create_rule(harness, other, example())
    mine = (await harness.client.get(EXAMPLE_URL, headers=tenant.headers)).json()
    assert (mine["version"], mine["enabled"]) == (1, True)


async def test_writing_needs_the_rules_write_scope(harness: Harness, tenant: TenantHandle) -> None:
    async with harness.app.state.sessionmaker() as session:
        key = await tenancy.create_api_key(
            session, organization_id=tenant.organization_id, name="reader", scopes=["rules:read"]
        )
        none = await tenancy.create_api_key(
            session, organization_id=tenant.organization_id, name="none", scopes=["kb:read"]
        )
        await session.commit()
    await create_rule(harness, tenant, example())
    reader = {"X-API-Key": key.secret}

    assert (await harness.client.get(RULES, headers=reader)).status_code == 200
    assert (await harness.client.get(EXAMPLE_URL, headers=reader)).status_code == 200
    dry = await harness.client.post(f"{RULES}/dry-run", json={}, headers=reader)
    assert dry.status_code == 200
    for method, url, body in (
        ("POST", RULES, rule_document("NEW")),
        ("PUT", EXAMPLE_URL, example()),
        ("PATCH", EXAMPLE_URL, {"enabled": False}),
        ("DELETE", EXAMPLE_URL, None),
    ):
        response = await harness.client.request(method, url, json=body, headers=reader)
        assert response.status_code == 403, (method, response.text)
        assert "rules:write" in response.json()["error"]
    unscoped = await harness.client.get(RULES, headers={"X-API-Key": none.secret})
    assert unscoped.status_code == 403
    assert "rules:read" in unscoped.json()["error"]


async def test_rule_limit_is_409(make_harness: HarnessFactory) -> None:
    harness = await make_harness(nlu_enabled=False, rules_max_per_tenant=2)
    tenant = await harness.create_tenant()
    await create_rule(harness, tenant, rule_document("R1"))
    await create_rule(harness, tenant, rule_document("R2"))

    response = await harness.client.post(RULES, json=rule_document("R3"), headers=tenant.headers)

    assert response.status_code == 409
    assert response.json()["details"] == {"limit": 2, "current": 2}
    # Changing a rule is not adding one; after a delete there is room again.
    moved = await harness.client.patch(f"{RULES}/R1", json={"priority": 3}, headers=tenant.headers)
    assert moved.status_code == 200
    assert (await harness.client.delete(f"{RULES}/R2", headers=tenant.headers)).status_code == 204
    await create_rule(harness, tenant, rule_document("R3"))


async def test_every_change_is_audited(harness: Harness, tenant: TenantHandle) -> None:
    await create_rule(harness, tenant, example())
    await harness.client.patch(EXAMPLE_URL, json={"enabled": False}, headers=tenant.headers)
    await harness.client.put(
        EXAMPLE_URL, json={**example(), "name": "Renamed", "version": 2}, headers=tenant.headers
    )
    await harness.client.delete(EXAMPLE_URL, headers=tenant.headers)

    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        entries = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(
                        AuditEntry.organization_id == tenant.organization_id,
                        AuditEntry.action.like("rules.%"),
                    )
                    .order_by(AuditEntry.sequence)
                )
            )
            .scalars()
            .all()
        )
    assert [(e.action, e.target, e.details["version"]) for e in entries] == [
        ("rules.rule.created", "RULE-ESC-001", 1),
        ("rules.rule.updated", "RULE-ESC-001", 2),
        ("rules.rule.replaced", "RULE-ESC-001", 3),
        ("rules.rule.deleted", "RULE-ESC-001", 3),
    ]
    assert entries[-1].details["definition"]["name"] == "Renamed"


async def test_deleting_a_rule_drops_its_history(harness: Harness, tenant: TenantHandle) -> None:
    await create_rule(harness, tenant, example())
    await harness.client.delete(EXAMPLE_URL, headers=tenant.headers)
    recreated = await create_rule(harness, tenant, {**example(), "name": "Again"})
    assert recreated["version"] == 1
    versions = await harness.client.get(f"{EXAMPLE_URL}/versions", headers=tenant.headers)
    assert [v["rule"]["name"] for v in versions.json()] == ["Again"]


async def test_conditions_nest_and_not(harness: Harness, tenant: TenantHandle) -> None:
    nested = group(
        "OR",
        group("NOT", leaf("business_hours", "==", True)),
        group("AND", leaf("emotion", "in", ["anger", "frustration"]), leaf("priority", ">=", 0.8)),
    )
    created = await create_rule(harness, tenant, rule_document("NESTED", nested))
    assert created["conditions"] == nested
