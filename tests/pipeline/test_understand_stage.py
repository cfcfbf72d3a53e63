"""The understand stage in the running app: loading, readiness, and a model that fails to load."""

from __future__ import annotations

from pathlib import Path

from sfagent.nlu.catalog import SUPPORT_CATEGORIES
from tests.conftest import HarnessFactory

MESSAGE = "I can't log in since we turned on SSO, SAML assertion invalid"


async def test_ready_names_the_loaded_nlu_model(make_harness: HarnessFactory) -> None:
    harness = await make_harness()
    ready = await harness.client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert "nlu" in ready.json()["checks"]["models"]["loaded"]


async def test_a_model_that_cannot_load_makes_ready_fail_but_messages_still_flow(
    make_harness: HarnessFactory, tmp_path: Path
) -> None:
    harness = await make_harness(nlu_model_dir=tmp_path / "no-such-model")
    ready = await harness.client.get("/ready")
    assert ready.status_code == 503
    models = ready.json()["checks"]["models"]
    assert models["status"] == "error"
    assert models["error"].startswith("nlu: ")
    assert "no-such-model" in models["error"]

    tenant = await harness.create_tenant()
    conversation = await harness.create_conversation(tenant)
    reply = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": MESSAGE},
        headers=tenant.headers,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["intent"] is None
    assert reply.json()["understanding"] is None


async def test_nlu_can_be_switched_off(make_harness: HarnessFactory) -> None:
    harness = await make_harness(nlu_enabled=False)
    assert (await harness.client.get("/ready")).status_code == 200
    tenant = await harness.create_tenant()
    conversation = await harness.create_conversation(tenant)
    reply = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": MESSAGE},
        headers=tenant.headers,
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["intent"] is None and body["understanding"] is None
    # Without the NLU, the category comes from the articles the message matched, if any.
    assert body["category"] is None or body["category"] in SUPPORT_CATEGORIES


async def test_understood_message_carries_category_and_intent(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness()
    tenant = await harness.create_tenant()
    conversation = await harness.create_conversation(tenant)
    reply = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": MESSAGE},
        headers=tenant.headers,
    )
    body = reply.json()
    assert body["intent"] == "sso_login_issue"
    assert body["category"] == "authentication_login"
    assert body["understanding"]["group"] == "ACCOUNT"
    assert "understand" in body["stage_timings_ms"]
