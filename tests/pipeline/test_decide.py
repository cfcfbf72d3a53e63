"""The decide stage: answer with sources, ask when unsure (twice at most), hand off when a
person must decide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sfagent.diagnostics.diagnose import diagnose_message
from sfagent.pipeline.stages import retrieval_query
from sfagent.pipeline.turn import Turn
from tests.conftest import Harness, TenantHandle

FIXTURES = Path(__file__).resolve().parents[1] / "diagnostics" / "logs" / "fixtures"


async def post(harness: Harness, tenant: TenantHandle, conversation: str, text: str) -> Any:
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"content": text},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_how_to_question_is_answered_with_citations(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    reply = await post(harness, tenant, conversation["id"], "How do I reset a user's password?")
    assert reply["requires_escalation"] is False
    assert reply["state"] == "active"
    cited = [citation["article_id"] for citation in reply["citations"]]
    assert "reset-user-password" in cited
    assert "[1]" in reply["response"] and "Sources:" in reply["response"]


async def test_a_vague_failure_gets_one_question_then_a_person(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    first = await post(harness, tenant, conversation, "my deployment fails")
    assert first["requires_escalation"] is False
    assert "exact error message" in first["response"]
    assert first["citations"] == []
    second = await post(harness, tenant, conversation, "the deploy still fails")
    assert second["requires_escalation"] is False
    third = await post(harness, tenant, conversation, "deployment broken again")
    assert third["requires_escalation"] is True
    assert third["state"] == "escalated"


async def test_off_topic_message_is_told_what_sfagent_covers(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    reply = await post(harness, tenant, conversation["id"], "what is the weather in paris")
    assert reply["requires_escalation"] is False
    assert "only help with Salesforce" in reply["response"]


@pytest.mark.parametrize(
    "text",
    [
        "We were charged twice for March, I want the duplicate refunded",
        "Our consumer secret was pushed to a public GitHub repo yesterday",
        "PRODUCTION IS DOWN, nobody can log in since this morning",
        "I want to talk to a real person about our contract",
    ],
)
async def test_what_a_person_must_decide_is_handed_off_with_the_reason(
    harness: Harness, tenant: TenantHandle, text: str
) -> None:
    conversation = await harness.create_conversation(tenant)
    reply = await post(harness, tenant, conversation["id"], text)
    assert reply["requires_escalation"] is True
    assert reply["state"] == "escalated"
    assert "handing this conversation to a person" in reply["response"]
    assert "support engineer" in reply["response"]


def test_a_pasted_log_is_searched_by_its_error_lines() -> None:
    log = (FIXTURES / "cpu_time_limit_fatal.log").read_text()
    turn = Turn(content=f"Our nightly job dies, log below:\n{log}", channel="api")
    turn.diagnosis = diagnose_message(turn.content)
    query = retrieval_query(turn)
    assert query.startswith("Our nightly job dies")
    assert "FATAL_ERROR" in query
    assert "USER_INFO" not in query and "CODE_UNIT_STARTED" not in query
    assert len(query) < len(turn.content)


async def test_clauses_around_a_recognised_error_are_one_problem(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    reply = await post(
        harness,
        tenant,
        conversation["id"],
        "In an after insert trigger I insert an Integration_Log__c row and then call our ERP "
        "over HTTP. Blows up with:\nSystem.CalloutException: You have uncommitted work "
        "pending. Please commit or rollback before calling out\nwhy? i thought the log insert "
        "was harmless",
    )
    assert not reply["response"].startswith("You asked about")
    assert "uncommitted work" in reply["response"].lower()


async def test_two_problems_without_an_error_are_answered_in_turn(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    reply = await post(
        harness,
        tenant,
        conversation["id"],
        "I need to reset my password, and separately our weekly data export also fails",
    )
    assert reply["response"].startswith("You asked about two things")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I don't want to talk to a bot. Please connect me to a real support engineer.", "other"),
        (
            "We think a former contractor's login is still being used from another country. "
            "We need to talk to your security people.",
            "other",
        ),
    ],
)
async def test_a_request_for_a_person_or_security_is_filed_under_other(
    harness: Harness, tenant: TenantHandle, text: str, category: str
) -> None:
    conversation = await harness.create_conversation(tenant)
    reply = await post(harness, tenant, conversation["id"], text)
    assert reply["requires_escalation"] is True
    assert reply["category"] == category


@pytest.mark.parametrize(
    "text",
    [
        "We promise premium customers a first response within 2 hours. I want Salesforce to "
        "track that on cases and warn agents before they breach. What should I use?",
        "when will the next major release hit our sandbox vs production? how do i know which "
        "instance we're on and the dates",
    ],
)
async def test_a_how_to_question_read_as_an_incident_is_answered_not_handed_off(
    harness: Harness, tenant: TenantHandle, text: str
) -> None:
    conversation = await harness.create_conversation(tenant)
    reply = await post(harness, tenant, conversation["id"], text)
    assert reply["requires_escalation"] is False


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        # out of scope to the intent model, but it names a Salesforce feature
        (
            "the Schedule Apex UI only lets me pick a preferred start time per day. I need my "
            "job to run every 15 minutes. possible?",
            "System.schedule",
        ),
        # an unsure dialogue act ("feedback") that names Salesforce setup
        (
            "I have Product Family picklist and Product Model picklist on Case. Models should "
            "only show the ones that belong to the selected family. Possible without code?",
            "controlling",
        ),
    ],
)
async def test_a_question_naming_salesforce_is_answered_however_it_is_phrased(
    harness: Harness, tenant: TenantHandle, text: str, fix: str
) -> None:
    conversation = await harness.create_conversation(tenant)
    reply = await post(harness, tenant, conversation["id"], text)
    assert "only help with Salesforce" not in reply["response"]
    assert fix in reply["response"]
