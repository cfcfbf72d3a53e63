"""Shared pieces of the business-rules API tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import Harness, TenantHandle

RULES = "/api/v1/admin/rules"
DRY_RUN = f"{RULES}/dry-run"


async def create_rule(
    harness: Harness, tenant: TenantHandle, document: dict[str, Any]
) -> dict[str, Any]:
    response = await harness.client.post(RULES, json=document, headers=tenant.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def dry_run(harness: Harness, tenant: TenantHandle, **body: Any) -> dict[str, Any]:
    response = await harness.client.post(DRY_RUN, json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
