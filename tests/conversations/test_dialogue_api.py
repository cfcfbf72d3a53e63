"""The conversation brain through the REST API: the confirmation loop and rating, recorded
dialogue moves, topics and slots, lifecycle changes the dialogue follows, isolation."""

from __future__ import annotations

from typing import Any

from tests.conftest import Harness, TenantHandle

SOQL_101 = (
    "My Opportunity trigger fails with System.LimitException: Too many SOQL queries: 101 "
    "when we load 200 records with Data Loader."
)


async def _dialogue(harness: Harness, tenant: TenantHandle, conversation: str) -> Any:
    response = await harness.client.get(
        f"/api/v1/conversations/{conversation}/dialogue", headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_fix_confirmed_then_rated_resolves_and_stores_the_rating(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    answer = await harness.say(tenant, SOQL_101, conversation)
    assert answer["action"] == "answer"
    assert answer["dialogue_state"] == "awaiting_confirmation"
    assert "Did this fix it?" in answer["response"]

    confirmed = await harness.say(tenant, "yes that fixed it, thanks!", conversation)
    assert confirmed["action"] == "confirm"
    assert confirmed["dialogue_state"] == "resolved"
    assert confirmed["state"] == "resolved"
    assert "1 (poor) to 5 (excellent)" in confirmed["response"]

    rated = await harness.say(tenant, "5", conversation)
    assert rated["state"] == "resolved", "a rating must not reopen the conversation"
    assert "5 out of 5" in rated["response"]
    view = await harness.client.get(f"/api/v1/conversations/{conversation}", headers=tenant.headers)
    assert view.json()["csat_score"] == 5
    assert view.json()["dialogue_state"] == "resolved"


async def test_every_dialogue_move_is_recorded_in_order_with_its_reason(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    await harness.say(tenant, SOQL_101, conversation)
    await harness.say(tenant, "it worked", conversation)
    dialogue = await _dialogue(harness, tenant, conversation)
    moves = [(m["from_state"], m["to_state"]) for m in dialogue["transitions"]]
    assert moves == [
        ("initialization", "processing"),
        ("processing", "solution_provided"),
        ("solution_provided", "awaiting_confirmation"),
        ("awaiting_confirmation", "processing"),
        ("processing", "resolved"),
    ]
    assert dialogue["transitions"][1]["reason"].startswith("diagnosed:")
    assert dialogue["transitions"][1]["message_sequence"] == 2
    assert dialogue["awaiting_rating"] is True


async def test_a_fix_that_fails_twice_goes_to_a_person(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    await harness.say(tenant, SOQL_101, conversation)
    first = await harness.say(tenant, "no, still failing", conversation)
    if first["action"] == "answer":  # a next-best step was offered
        assert first["dialogue_state"] == "awaiting_confirmation"
        assert "did not fix it" in first["response"]
        second = await harness.say(tenant, "still the same error", conversation)
    else:
        second = first
    assert second["requires_escalation"] is True
    assert second["dialogue_state"] == "escalation_required"
    assert second["state"] == "escalated"


async def test_vague_answers_that_add_nothing_escalate_after_two_questions(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    replies = [
        await harness.say(tenant, text, conversation)
        for text in ("it doesn't work", "it just doesn't", "idk, it's broken")
    ]
    assert [r["action"] for r in replies] == ["clarify", "clarify", "escalate"]
    assert replies[0]["dialogue_state"] == "clarification_needed"
    assert replies[2]["dialogue_state"] == "escalation_required"


async def test_slots_accumulate_and_context_seeds_them(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (
        await harness.create_conversation(tenant, context={"org_id": "00D5g000004XyZ1EAK"})
    )["id"]
    await harness.say(tenant, "the API", conversation)
    reply = await harness.say(tenant, "POST /services/data/v59.0/sobjects/Account", conversation)
    assert reply["action"] == "clarify"
    assert reply["dialogue_state"] == "gathering_context"
    assert reply["slots"]["org_id"] == "00D5g000004XyZ1EAK"
    assert reply["slots"]["endpoint"] == "/services/data/v59.0/sobjects/Account"
    assert reply["slots"]["api_version"] == "59.0"


async def test_topic_switch_and_return_keep_the_earlier_topic(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    first = await harness.say(tenant, "my data export keeps failing", conversation)
    assert first["topic"] == "data_export"
    switched = await harness.say(
        tenant, "wait, first my password: I forgot it and can't log in", conversation
    )
    assert switched["topic"] == "password_reset"
    assert "data export question is kept for later" in switched["response"]
    back = await harness.say(tenant, "ok, back to the export", conversation)
    assert back["topic"] == "data_export"
    assert back["response"].startswith("Back to your data export.")
    dialogue = await _dialogue(harness, tenant, conversation)
    assert [topic["key"] for topic in dialogue["topics"]] == ["password_reset", "data_export"]


async def test_staff_resolving_moves_the_dialogue_too(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    await harness.say(tenant, "it doesn't work", conversation)
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation}/resolve",
        json={"reason": "solved on the phone"},
        headers=tenant.headers,
    )
    assert response.json()["dialogue_state"] == "resolved"
    dialogue = await _dialogue(harness, tenant, conversation)
    last = dialogue["transitions"][-1]
    assert (last["from_state"], last["to_state"], last["reason"]) == (
        "clarification_needed",
        "resolved",
        "solved on the phone",
    )
    assert last["message_sequence"] is None


async def test_another_tenants_dialogue_is_not_found(harness: Harness) -> None:
    owner, other = await harness.create_tenant(), await harness.create_tenant()
    conversation = (await harness.create_conversation(owner))["id"]
    await harness.say(owner, SOQL_101, conversation)
    response = await harness.client.get(
        f"/api/v1/conversations/{conversation}/dialogue", headers=other.headers
    )
    assert response.status_code == 404
