"""The respond stage with an LLM configured: grounded answers replace the composer's, and
every failure leaves the customer with the composer's grounded reply."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sfagent.config import LlmProviderConfig
from sfagent.conversations.models import Message
from sfagent.db.engine import bind_tenant
from tests.conftest import Harness, HarnessFactory, TenantHandle
from tests.responder.llm.fake_server import OPENAI_PATH, FakeLLMServer, Reply, error

QUESTION = "We keep getting UNABLE_TO_LOCK_ROW when our nightly job updates contacts"
ARTICLE = "unable-to-lock-row"
GROUNDED = (
    f"Another transaction held the lock on the parent account [{ARTICLE}]. Retry the failed "
    "records and sort the batch by parent Id."
)


async def llm_harness(make_harness: HarnessFactory, server: FakeLLMServer) -> Harness:
    provider = LlmProviderConfig(
        kind="openai",
        model="gpt-test",
        base_url=server.openai_base_url,
        api_key="test-key",
        max_attempts=1,
        timeout=10.0,
    )
    return await make_harness(nlu_enabled=False, llm_providers=[provider])


async def ask(harness: Harness, tenant: TenantHandle) -> dict[str, Any]:
    conversation = await harness.create_conversation(tenant)
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": QUESTION},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def stored_reply(harness: Harness, tenant: TenantHandle, message_id: str) -> Message:
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        return (await session.execute(select(Message).where(Message.id == message_id))).scalar_one()


async def test_grounded_llm_answer_is_sent_with_its_citations(
    llm_server: FakeLLMServer, make_harness: HarnessFactory
) -> None:
    llm_server.script(OPENAI_PATH, Reply(text=GROUNDED))
    harness = await llm_harness(make_harness, llm_server)
    tenant = await harness.create_tenant()
    body = await ask(harness, tenant)
    assert body["response"] == GROUNDED
    assert body["citations"] == [{"article_id": ARTICLE, "title": body["citations"][0]["title"]}]
    prompt = llm_server.last(OPENAI_PATH).body["messages"][-1]["content"]
    assert QUESTION in prompt and ARTICLE in prompt
    assert (await stored_reply(harness, tenant, body["id"])).model_used == "openai:gpt-test"


async def test_ungrounded_llm_answer_falls_back_to_the_composer(
    llm_server: FakeLLMServer, make_harness: HarnessFactory
) -> None:
    invented = f"Set the INVENTED_LOCK_SETTING to 42 seconds [{ARTICLE}]."
    llm_server.script(OPENAI_PATH, Reply(text=invented))
    harness = await llm_harness(make_harness, llm_server)
    tenant = await harness.create_tenant()
    body = await ask(harness, tenant)
    assert "INVENTED_LOCK_SETTING" not in body["response"]
    assert ARTICLE in {citation["article_id"] for citation in body["citations"]}
    stored = await stored_reply(harness, tenant, body["id"])
    assert stored.model_used in {"composer", "diagnostics"}


async def test_llm_outage_falls_back_to_the_composer(
    llm_server: FakeLLMServer, make_harness: HarnessFactory
) -> None:
    llm_server.script(OPENAI_PATH, error(500))
    harness = await llm_harness(make_harness, llm_server)
    tenant = await harness.create_tenant()
    body = await ask(harness, tenant)
    assert body["requires_escalation"] is False
    assert "Sources:" in body["response"]
    assert llm_server.count(OPENAI_PATH) == 1
