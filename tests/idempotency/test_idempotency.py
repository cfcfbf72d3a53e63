"""Idempotency-Key: a retried POST returns the first result, never a duplicate."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from sfagent.db.base import utcnow
from sfagent.db.engine import bind_tenant
from sfagent.idempotency.models import IdempotencyRecord
from tests.conftest import Harness, TenantHandle


async def _messages(harness: Harness, tenant: TenantHandle, conversation_id: str) -> list[dict]:
    response = await harness.client.get(
        f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers
    )
    items: list[dict] = response.json()["items"]
    return items


async def test_repeat_returns_first_result_without_duplicate(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    headers = {**tenant.headers, "Idempotency-Key": "retry-1"}
    first = await harness.client.post(url, json={"content": "help"}, headers=headers)
    second = await harness.client.post(url, json={"content": "help"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(await _messages(harness, tenant, conversation["id"])) == 3


async def test_repeat_of_create_returns_same_conversation(
    harness: Harness, tenant: TenantHandle
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "create-1"}
    first = await harness.client.post("/api/v1/conversations", json={}, headers=headers)
    second = await harness.client.post("/api/v1/conversations", json={}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    listed = await harness.client.get("/api/v1/conversations", headers=tenant.headers)
    assert len(listed.json()["items"]) == 1


async def test_same_key_different_body_is_409(harness: Harness, tenant: TenantHandle) -> None:
    conversation = await harness.create_conversation(tenant)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    headers = {**tenant.headers, "Idempotency-Key": "k"}
    await harness.client.post(url, json={"content": "one"}, headers=headers)
    conflict = await harness.client.post(url, json={"content": "two"}, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["details"]["idempotency_key"] == "k"
    assert len(await _messages(harness, tenant, conversation["id"])) == 3


async def test_keys_are_per_tenant(harness: Harness) -> None:
    first, second = await harness.create_tenant(), await harness.create_tenant()
    for tenant in (first, second):
        response = await harness.client.post(
            "/api/v1/conversations",
            json={},
            headers={**tenant.headers, "Idempotency-Key": "shared-key"},
        )
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers


async def test_concurrent_twins_run_once(harness: Harness, tenant: TenantHandle) -> None:
    conversation = await harness.create_conversation(tenant)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    headers = {**tenant.headers, "Idempotency-Key": "twin"}
    responses = await asyncio.gather(
        *[harness.client.post(url, json={"content": "same"}, headers=headers) for _ in range(4)]
    )
    ok = [r for r in responses if r.status_code == 200]
    assert ok, [r.text for r in responses]
    assert all(r.status_code in (200, 409) for r in responses)
    assert len({r.json()["id"] for r in ok}) == 1
    assert len(await _messages(harness, tenant, conversation["id"])) == 3


async def test_expired_key_runs_again(harness: Harness, tenant: TenantHandle) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "old"}
    first = await harness.client.post("/api/v1/conversations", json={}, headers=headers)
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        await session.execute(update(IdempotencyRecord).values(expires_at=utcnow()))
        await session.commit()
    second = await harness.client.post("/api/v1/conversations", json={}, headers=headers)
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]


async def test_overlong_key_is_422(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/conversations",
        json={},
        headers={**tenant.headers, "Idempotency-Key": "k" * 256},
    )
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["field"] == "Idempotency-Key"


async def test_failed_request_is_not_remembered(harness: Harness, tenant: TenantHandle) -> None:
    conversation = await harness.create_conversation(tenant)
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    headers = {**tenant.headers, "Idempotency-Key": "after-fix"}
    await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/close", headers=tenant.headers
    )
    refused = await harness.client.post(url, json={"content": "x"}, headers=headers)
    assert refused.status_code == 409
    again = await harness.client.post(url, json={"content": "x"}, headers=headers)
    assert again.status_code == 409
    assert "Idempotent-Replayed" not in again.headers
