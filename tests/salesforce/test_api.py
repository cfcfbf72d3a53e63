"""The tenant's Salesforce connection through the API: set, read (secrets never shown),
validation that names what to fix, deletion, isolation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Harness, TenantHandle
from tests.salesforce.case_standin import CLIENT_SECRET, CONSUMER_KEY, LOGIN_URL

SALESFORCE = "/api/v1/admin/salesforce"
GOOD = {
    "auth_flow": "client_credentials",
    "login_url": LOGIN_URL,
    "consumer_key": CONSUMER_KEY,
    "client_secret": CLIENT_SECRET,
}


async def test_set_read_update_and_delete_without_showing_secrets(
    harness: Harness, tenant: TenantHandle
) -> None:
    assert (await harness.client.get(SALESFORCE, headers=tenant.headers)).status_code == 404
    saved = await harness.client.put(SALESFORCE, json=GOOD, headers=tenant.headers)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["has_client_secret"] is True and "client_secret" not in body
    assert body["case_external_id_field"] == "Sfagent_Conversation_Id__c"
    resent = {key: value for key, value in GOOD.items() if key != "client_secret"}
    kept = await harness.client.put(
        SALESFORCE,
        json={**resent, "client_secret": None, "case_origin": "Chat"},
        headers=tenant.headers,
    )
    assert kept.status_code == 422, "a client credentials connection needs its secret"
    changed = await harness.client.put(
        SALESFORCE, json={**GOOD, "case_origin": "Chat"}, headers=tenant.headers
    )
    assert changed.json()["case_origin"] == "Chat"
    assert (await harness.client.delete(SALESFORCE, headers=tenant.headers)).status_code == 204
    assert (await harness.client.get(SALESFORCE, headers=tenant.headers)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"login_url": "http://login.salesforce.com"}, "https://"),
        ({"case_external_id_field": "Name"}, "custom field"),
        ({"api_version": "v59"}, "59.0"),
        ({"auth_flow": "jwt_bearer"}, "username and private_key"),
        ({"auth_flow": "password"}, "auth_flow"),
    ],
)
async def test_a_bad_connection_is_422_saying_what_to_fix(
    harness: Harness, tenant: TenantHandle, changes: dict[str, Any], words: str
) -> None:
    response = await harness.client.put(
        SALESFORCE, json={**GOOD, **changes}, headers=tenant.headers
    )
    assert response.status_code == 422
    assert words in response.text


async def test_each_tenant_has_its_own_connection(harness: Harness) -> None:
    first, second = await harness.create_tenant(), await harness.create_tenant()
    await harness.client.put(SALESFORCE, json=GOOD, headers=first.headers)
    assert (await harness.client.get(SALESFORCE, headers=second.headers)).status_code == 404
