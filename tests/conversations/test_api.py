"""The conversations REST contract: create, read, list, post, lifecycle, limits."""

from __future__ import annotations

import pytest

from tests.conftest import Harness, TenantHandle


async def test_create_returns_201_with_greeting(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/conversations",
        json={"user_id": "cust-1", "channel": "web", "subject": "Apex error"},
        headers=tenant.headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "active"
    assert body["channel"] == "web"
    assert body["user_id"] == "cust-1"
    assert body["greeting"]["role"] == "assistant"
    assert body["message_count"] == 1


async def test_posted_message_gets_honest_handoff_reply_and_is_stored(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    content = "Something in our org stopped working this morning, can someone look?"
    response = await harness.client.post(url, json={"content": content}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["requires_escalation"] is True
    assert reply["state"] == "escalated"
    assert "support engineer" in reply["response"]
    assert reply["diagnostics"] is None
    assert set(reply["stage_timings_ms"]) == {
        "ingest",
        "guard",
        "understand",
        "diagnose",
        "recall",
        "retrieve",
        "decide",
        "respond",
        "record",
    }
    assert reply["processing_time_ms"] == pytest.approx(sum(reply["stage_timings_ms"].values()))

    messages = (await harness.client.get(url, headers=tenant.headers)).json()["items"]
    assert [m["role"] for m in messages] == ["assistant", "user", "assistant"]
    assert messages[1]["content"] == content
    assert messages[1]["id"] == reply["user_message_id"]
    assert messages[2]["processing_time_ms"] == reply["processing_time_ms"]


TRIGGER_PASTE = """My trigger throws System.LimitException: Too many SOQL queries: 101
trigger AccountTrigger on Account (before update) {
    for (Account a : Trigger.new) {
        List<Contact> cs = [SELECT Id FROM Contact WHERE AccountId = :a.Id];
        a.Description = String.valueOf(cs.size());
    }
}"""


async def test_diagnosed_message_is_answered_with_cause_line_and_bulkified_code(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    response = await harness.client.post(
        url, json={"content": TRIGGER_PASTE}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["requires_escalation"] is False
    assert reply["state"] == "active"
    assert "Too many SOQL queries" in reply["response"]
    assert "line 3 of the code you pasted" in reply["response"]
    assert "IN :accountIds" in reply["response"]
    (cause, *_) = reply["diagnostics"]["causes"]
    assert cause["rule"] == "OperationWithLimitsInLoop"
    assert cause["error_id"]
    stored = (await harness.client.get(url, headers=tenant.headers)).json()["items"]
    assert stored[1]["analysis"]["diagnostics"][0]["causes"][0]["line"] == 3


async def test_message_is_understood_and_the_analysis_is_stored(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    response = await harness.client.post(
        url, json={"content": TRIGGER_PASTE}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["intent"] == "governor_limit"
    assert reply["category"] == "governor_limit"
    understood = reply["understanding"]
    assert understood["group"] == "TECHNICAL"
    assert {e["type"] for e in understood["entities"]} >= {"ERROR", "LIMIT", "CODE"}
    assert understood["language"]["code"] == "en"

    user_message = (await harness.client.get(url, headers=tenant.headers)).json()["items"][1]
    assert user_message["intent"] == "governor_limit"
    assert user_message["confidence"] == reply["confidence"]
    assert user_message["language"] == "en"
    assert user_message["emotion"] == understood["emotion"]["label"]
    assert user_message["sentiment"] == pytest.approx(understood["sentiment"]["score"], abs=1e-4)
    assert "System.LimitException" in user_message["entities"]["by_type"]["ERROR"]
    stored_nlu = user_message["analysis"]["nlu"]
    assert stored_nlu["category"] == "governor_limit"
    assert stored_nlu["priority"] == understood["priority"]
    assert "entities" not in stored_nlu  # kept once, in the entities column


async def test_message_over_tenant_limit_is_422_naming_content(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": "x" * 5001},
        headers=tenant.headers,
    )
    assert response.status_code == 422
    body = response.json()
    assert body["details"]["errors"][0]["field"] == "content"
    assert "5000" in body["error"]
    listed = await harness.client.get(
        f"/api/v1/conversations/{conversation['id']}/messages", headers=tenant.headers
    )
    assert len(listed.json()["items"]) == 1  # only the greeting: nothing half-stored


async def test_empty_content_is_422(harness: Harness, tenant: TenantHandle) -> None:
    conversation = await harness.create_conversation(tenant)
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": ""},
        headers=tenant.headers,
    )
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["field"] == "content"


async def test_malformed_json_is_400(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/conversations",
        content=b'{"channel": ',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "malformed JSON body"


async def test_body_over_cap_is_413(make_harness, stack) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(max_body_bytes=1000)
    tenant = await harness.create_tenant()
    response = await harness.client.post(
        "/api/v1/conversations",
        json={"context": {"blob": "y" * 2000}},
        headers=tenant.headers,
    )
    assert response.status_code == 413
    assert "1000" in response.json()["error"]


async def test_resolve_then_resolve_again_is_409(harness: Harness, tenant: TenantHandle) -> None:
    conversation = await harness.create_conversation(tenant)
    url = f"/api/v1/conversations/{conversation['id']}/resolve"
    first = await harness.client.post(url, json={"reason": "fixed"}, headers=tenant.headers)
    assert first.status_code == 200
    assert first.json()["status"] == "resolved"
    assert first.json()["resolved_at"] is not None
    second = await harness.client.post(url, headers=tenant.headers)
    assert second.status_code == 409
    assert second.json()["details"]["status"] == "resolved"


async def test_message_reopens_resolved_conversation(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    base = f"/api/v1/conversations/{conversation['id']}"
    await harness.client.post(f"{base}/resolve", headers=tenant.headers)
    response = await harness.client.post(
        f"{base}/messages", json={"content": "it broke again"}, headers=tenant.headers
    )
    assert response.status_code == 200
    assert response.json()["state"] == "escalated"


async def test_closed_conversation_refuses_messages(harness: Harness, tenant: TenantHandle) -> None:
    conversation = await harness.create_conversation(tenant)
    base = f"/api/v1/conversations/{conversation['id']}"
    closed = await harness.client.post(f"{base}/close", headers=tenant.headers)
    assert closed.json()["status"] == "closed"
    response = await harness.client.post(
        f"{base}/messages", json={"content": "hello?"}, headers=tenant.headers
    )
    assert response.status_code == 409
    assert "closed" in response.json()["error"]


async def test_list_filters_and_cursor_pagination(harness: Harness, tenant: TenantHandle) -> None:
    created = [
        await harness.create_conversation(tenant, user_id="alice", channel="web") for _ in range(3)
    ]
    await harness.create_conversation(tenant, user_id="bob", channel="slack")
    await harness.client.post(
        f"/api/v1/conversations/{created[0]['id']}/resolve", headers=tenant.headers
    )

    seen: list[str] = []
    cursor = None
    while True:
        params = {"user_id": "alice", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (
            await harness.client.get("/api/v1/conversations", params=params, headers=tenant.headers)
        ).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in reversed(created)]

    slack = await harness.client.get(
        "/api/v1/conversations", params={"channel": "slack"}, headers=tenant.headers
    )
    assert [item["user_id"] for item in slack.json()["items"]] == ["bob"]
    resolved = await harness.client.get(
        "/api/v1/conversations", params={"status": "resolved"}, headers=tenant.headers
    )
    assert [item["id"] for item in resolved.json()["items"]] == [created[0]["id"]]


async def test_garbage_cursor_is_400(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.get(
        "/api/v1/conversations", params={"cursor": "not-a-cursor!!"}, headers=tenant.headers
    )
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]


async def test_concurrent_conversation_limit(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness()
    tenant = await harness.create_tenant()
    async with harness.app.state.sessionmaker() as session:
        from sfagent.tenancy.models import Organization

        organization = await session.get(Organization, tenant.organization_id)
        assert organization is not None
        organization.concurrent_conversations = 2
        await session.commit()
    await harness.create_conversation(tenant)
    second = await harness.create_conversation(tenant)
    third = await harness.client.post("/api/v1/conversations", json={}, headers=tenant.headers)
    assert third.status_code == 429
    assert third.json()["details"]["limit"] == 2
    await harness.client.post(f"/api/v1/conversations/{second['id']}/close", headers=tenant.headers)
    fourth = await harness.client.post("/api/v1/conversations", json={}, headers=tenant.headers)
    assert fourth.status_code == 201


async def test_nul_characters_are_refused_not_stored(
    harness: Harness, tenant: TenantHandle
) -> None:
    created = await harness.client.post(
        "/api/v1/conversations",
        json={"context": {"org": "00D\u0000x"}},
        headers=tenant.headers,
    )
    assert created.status_code == 422
    assert "context.org" in created.json()["error"]
    conversation = await harness.create_conversation(tenant)
    posted = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": "bad\u0000byte"},
        headers=tenant.headers,
    )
    assert posted.status_code == 422
    in_url = await harness.client.get(
        "/api/v1/conversations", params={"user_id": "a\u0000b"}, headers=tenant.headers
    )
    assert in_url.status_code == 400
    assert "NUL" in in_url.json()["error"]


async def test_non_finite_numbers_are_refused(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/conversations",
        content=b'{"context": {"ratio": NaN}}',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "context.ratio" in response.json()["error"]


async def test_body_that_is_not_json_says_so(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/conversations",
        content=b"{}",
        headers={**tenant.headers, "Content-Type": "text/plain"},
    )
    assert response.status_code == 400
    assert "application/json" in response.json()["error"]


async def test_absurdly_nested_json_is_400(harness: Harness, tenant: TenantHandle) -> None:
    depth = 100_000
    response = await harness.client.post(
        "/api/v1/conversations",
        content=b'{"context": {"a": ' + b"[" * depth + b"]" * depth + b"}}",
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


@pytest.mark.parametrize(
    "cursor",
    [
        "WyJ4IiwieSJd",  # ["x", "y"]: not a time
        "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwiaWQiXQ",  # a time without a zone
        "WyJhYmMiXQ",  # ["abc"]: wrong length
    ],
)
async def test_well_formed_but_wrong_cursor_is_400(
    harness: Harness, tenant: TenantHandle, cursor: str
) -> None:
    response = await harness.client.get(
        "/api/v1/conversations", params={"cursor": cursor}, headers=tenant.headers
    )
    assert response.status_code == 400


@pytest.mark.parametrize("cursor", ["WyJ4IiwieSJd", "WyJhYmMiXQ", "Wy0xXQ", "W3RydWVd"])
async def test_wrong_message_cursor_is_400(
    harness: Harness, tenant: TenantHandle, cursor: str
) -> None:
    conversation = await harness.create_conversation(tenant)
    response = await harness.client.get(
        f"/api/v1/conversations/{conversation['id']}/messages",
        params={"cursor": cursor},
        headers=tenant.headers,
    )
    assert response.status_code == 400
