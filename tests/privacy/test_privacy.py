"""GDPR/CCPA over the API: export an end user, erase them (content gone, anonymous counts
kept), run the retention purge; every action audited without personal data; only
credentials with privacy:manage may do any of it."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from sfagent.conversations.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    DialogueTransition,
    Message,
)
from sfagent.conversations.tasks import enforce_retention
from sfagent.db.engine import bind_tenant
from sfagent.escalation.models import Escalation
from sfagent.escalation.summary import HandoffSummary
from sfagent.idempotency.models import IdempotencyRecord
from sfagent.tenancy.models import EndUser, Organization, StaffRole
from tests.conftest import Harness, TenantHandle
from tests.privacy.conftest import (
    ALICE,
    ALICE_WORDS,
    BOB_WORD,
    CASE_ID,
    OTHER_TENANT_WORD,
    PNG,
    PRIVACY,
    age,
    audit_entries,
    build_story,
    case_sync_jobs,
    post_ok,
    sessionmaker_of,
)
from tests.tenancy.test_auth import assert_forbidden, create_key, staff_headers


def export_url(external_id: str) -> str:
    return f"{PRIVACY}/end-users/{external_id}/export"


def erase_url(external_id: str) -> str:
    return f"{PRIVACY}/end-users/{external_id}"


async def _export(harness: Harness, tenant: TenantHandle, external_id: str = ALICE) -> Any:
    response = await harness.client.get(export_url(external_id), headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _other_tenant_alice(harness: Harness) -> TenantHandle:
    other = await harness.create_tenant()
    conversation = await harness.create_conversation(other, user_id=ALICE, subject="Narwhal")
    await harness.say(other, f"The {OTHER_TENANT_WORD} report is empty", conversation["id"])
    return other


# --- export ------------------------------------------------------------------------------


async def test_export_holds_everything_about_the_user_and_nothing_else(
    harness: Harness, tenant: TenantHandle
) -> None:
    story = await build_story(harness, tenant)
    await _other_tenant_alice(harness)

    response = await harness.client.get(export_url(ALICE), headers=tenant.headers)

    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith('.json"')
    document = response.json()
    assert document["format_version"] == 1 and document["exported_at"]
    assert document["organization_id"] == tenant.organization_id
    assert document["end_user"]["external_id"] == ALICE
    by_id = {conversation["id"]: conversation for conversation in document["conversations"]}
    assert set(by_id) == set(story.alice_conversations)
    text = json.dumps(document)
    assert all(word in text for word in ALICE_WORDS)
    assert BOB_WORD not in text and OTHER_TENANT_WORD not in text


async def test_export_includes_messages_ratings_files_escalations_and_cases(
    harness: Harness, tenant: TenantHandle
) -> None:
    story = await build_story(harness, tenant)
    document = await _export(harness, tenant)
    by_id = {conversation["id"]: conversation for conversation in document["conversations"]}

    backend = by_id[story.alice_conversations[0]]
    assert backend["subject"] == "Zanzibar invoices" and backend["csat_score"] == 4
    contents = [message["content"] for message in backend["messages"]]
    assert any("ZanzibarHandler" in content for content in contents)
    assert [m["sequence"] for m in backend["messages"]] == list(range(1, len(contents) + 1))
    assert "helpful" in [message["feedback"] for message in backend["messages"]]
    [attachment] = backend["attachments"]
    assert attachment["filename"] == "zanzibar.png"
    assert base64.b64decode(attachment["data_base64"]) == PNG
    assert backend["events"][0]["to_status"] == "active"
    assert backend["dialogue_transitions"]

    escalated = by_id[story.escalated]
    assert {"note", "agent"} <= {message["role"] for message in escalated["messages"]}
    [escalation] = escalated["escalations"]
    assert (
        escalation["id"] == story.escalation_id and "Okavango" in escalation["summary"]["problem"]
    )
    assert escalated["salesforce_case_ids"] == [CASE_ID]


async def test_export_is_audited_without_personal_data(
    harness: Harness, tenant: TenantHandle
) -> None:
    await build_story(harness, tenant)
    document = await _export(harness, tenant)
    [entry] = await audit_entries(harness, tenant, "privacy.export")
    assert entry.target == document["end_user"]["id"]
    assert entry.details["end_user_id"] == document["end_user"]["id"]
    assert entry.details["conversations"] == 2 and entry.details["attachments"] == 1
    recorded = json.dumps([entry.actor, entry.target, entry.details])
    assert "alice" not in recorded.lower() and "Zanzibar" not in recorded


async def test_unknown_end_user_is_404_for_export_and_erasure(
    harness: Harness, tenant: TenantHandle
) -> None:
    await build_story(harness, tenant)
    other = await _other_tenant_alice(harness)
    exported = await harness.client.get(export_url("nobody"), headers=tenant.headers)
    erased = await harness.client.delete(erase_url("nobody"), headers=tenant.headers)
    for response in (exported, erased):
        assert response.status_code == 404
        assert set(response.json()) == {"error", "details"}
        assert "nobody" in response.json()["error"]
    # Bob exists, but in the first tenant only.
    elsewhere = await harness.client.get(export_url("bob-1234"), headers=other.headers)
    assert elsewhere.status_code == 404


async def test_an_external_id_over_200_characters_is_422(
    harness: Harness, tenant: TenantHandle
) -> None:
    for response in (
        await harness.client.get(export_url("x" * 201), headers=tenant.headers),
        await harness.client.delete(erase_url("x" * 201), headers=tenant.headers),
    ):
        assert response.status_code == 422
        assert set(response.json()) == {"error", "details"}


# --- erasure -----------------------------------------------------------------------------


async def _snapshot(harness: Harness, tenant: TenantHandle) -> dict[str, int]:
    """The tenant's conversation count and each conversation's message_count."""
    async with sessionmaker_of(harness)() as session:
        await bind_tenant(session, tenant.organization_id)
        rows = await session.execute(
            select(Conversation.id, Conversation.message_count).where(
                Conversation.organization_id == tenant.organization_id
            )
        )
        return {conversation_id: count for conversation_id, count in rows}


async def _rows(harness: Harness, tenant: TenantHandle, statement: Any) -> list[Any]:
    async with sessionmaker_of(harness)() as session:
        await bind_tenant(session, tenant.organization_id)
        return list((await session.execute(statement)).scalars().all())


async def test_erasure_removes_content_and_keeps_anonymous_counts(
    harness: Harness, tenant: TenantHandle
) -> None:
    story = await build_story(harness, tenant)
    before = await _snapshot(harness, tenant)

    response = await harness.client.delete(erase_url(ALICE), headers=tenant.headers)

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["conversations"] == 2 and report["attachments"] == 1
    assert report["messages"] == sum(before[c] for c in story.alice_conversations)
    assert report["salesforce_case_ids"] == [CASE_ID]
    assert await _snapshot(harness, tenant) == before  # rows and message counts stay
    ids = story.alice_conversations
    messages = await _rows(harness, tenant, select(Message).where(Message.conversation_id.in_(ids)))
    assert {message.content for message in messages} == {"[erased]"}
    assert all(message.entities is None for message in messages)
    analysed = [message.analysis for message in messages if message.analysis]
    assert analysed and all("diagnostics" not in a and "dialogue" not in a for a in analysed)
    assert any(a.get("feedback") == "helpful" for a in analysed)
    conversations = await _rows(
        harness, tenant, select(Conversation).where(Conversation.id.in_(ids))
    )
    assert {(c.subject, json.dumps(c.context), c.dialogue) for c in conversations} == {
        (None, "{}", None)
    }
    assert [c.csat_score for c in conversations if c.id == ids[0]] == [4]
    attachments = select(Attachment).where(Attachment.conversation_id.in_(ids))
    assert await _rows(harness, tenant, attachments) == []


async def test_erasure_anonymises_the_user_and_scrubs_what_names_them(
    harness: Harness, tenant: TenantHandle
) -> None:
    story = await build_story(harness, tenant)
    report = (await harness.client.delete(erase_url(ALICE), headers=tenant.headers)).json()

    [user] = await _rows(
        harness, tenant, select(EndUser).where(EndUser.id == report["end_user_id"])
    )
    assert user.external_id.startswith("erased:") and user.email is None
    assert user.display_name is None
    ids = story.alice_conversations
    events = await _rows(
        harness, tenant, select(ConversationEvent).where(ConversationEvent.conversation_id.in_(ids))
    )
    assert not any(ALICE in event.actor for event in events)
    # The open conversations are closed: nothing can be added to them any more.
    statuses = await _rows(
        harness, tenant, select(Conversation.status).where(Conversation.id.in_(ids))
    )
    assert set(statuses) == {"closed"}
    [escalation] = await _rows(
        harness, tenant, select(Escalation).where(Escalation.id == story.escalation_id)
    )
    summary = HandoffSummary(**escalation.summary)  # still readable by the Case sync
    assert summary.problem == "[erased]" and not summary.slots and not summary.errors
    assert escalation.status == "resolved"
    owned = select(IdempotencyRecord).where(
        IdempotencyRecord.organization_id == tenant.organization_id,
        IdempotencyRecord.principal_id == f"end_user:{ALICE}",
    )
    assert await _rows(harness, tenant, owned) == []
    transitions = await _rows(
        harness,
        tenant,
        select(DialogueTransition.reason).where(DialogueTransition.conversation_id.in_(ids)),
    )
    assert not any(word in reason for reason in transitions for word in ALICE_WORDS)


async def test_erasure_cancels_the_unsent_case_sync_only(
    harness: Harness, tenant: TenantHandle
) -> None:
    story = await build_story(harness, tenant)
    response = await harness.client.delete(erase_url(ALICE), headers=tenant.headers)
    assert response.json()["outbox_jobs_cancelled"] == 1
    # The one already sent stays as history; none other was queued.
    assert await case_sync_jobs(harness, tenant) == [(story.escalated, "done")]


async def test_erasure_leaves_other_users_and_other_tenants_alone(
    harness: Harness, tenant: TenantHandle
) -> None:
    story = await build_story(harness, tenant)
    other = await _other_tenant_alice(harness)
    await harness.client.delete(erase_url(ALICE), headers=tenant.headers)

    bob = await harness.client.get(
        f"/api/v1/conversations/{story.bob_conversation}/messages", headers=tenant.headers
    )
    assert any(BOB_WORD in message["content"] for message in bob.json()["items"])
    assert (await _export(harness, tenant, "bob-1234"))["end_user"]["external_id"] == "bob-1234"
    elsewhere = await _export(harness, other)
    assert OTHER_TENANT_WORD in json.dumps(elsewhere)


async def test_a_second_erasure_is_404_and_the_id_can_start_again(
    harness: Harness, tenant: TenantHandle
) -> None:
    await build_story(harness, tenant)
    first = await harness.client.delete(erase_url(ALICE), headers=tenant.headers)
    assert first.status_code == 200
    second = await harness.client.delete(erase_url(ALICE), headers=tenant.headers)
    assert second.status_code == 404 and set(second.json()) == {"error", "details"}

    fresh = await harness.create_conversation(tenant, user_id=ALICE, subject="new start")
    document = await _export(harness, tenant)
    assert [conversation["id"] for conversation in document["conversations"]] == [fresh["id"]]
    assert document["end_user"]["id"] != first.json()["end_user_id"]


async def test_erasure_is_audited_with_counts_and_no_personal_data(
    harness: Harness, tenant: TenantHandle
) -> None:
    await build_story(harness, tenant)
    report = (await harness.client.delete(erase_url(ALICE), headers=tenant.headers)).json()
    [entry] = await audit_entries(harness, tenant, "privacy.erase")
    assert entry.target == report["end_user_id"]
    assert entry.actor.startswith("api_key:")
    assert entry.details["messages"] == report["messages"]
    assert entry.details["salesforce_cases"] == 1
    recorded = json.dumps([entry.actor, entry.target, entry.details])
    assert "alice" not in recorded.lower()
    assert not any(word in recorded for word in ALICE_WORDS)


# --- retention ---------------------------------------------------------------------------


async def _set_retention(harness: Harness, tenant: TenantHandle, days: int) -> None:
    async with sessionmaker_of(harness)() as session, session.begin():
        organization = await session.get(Organization, tenant.organization_id)
        assert organization is not None
        organization.retention_days = days


async def _close(harness: Harness, tenant: TenantHandle) -> str:
    conversation = await harness.create_conversation(tenant)
    await post_ok(harness, f"/api/v1/conversations/{conversation['id']}/close", tenant.headers)
    conversation_id: str = conversation["id"]
    return conversation_id


async def test_retention_run_deletes_only_finished_conversations_past_it(
    harness: Harness, tenant: TenantHandle
) -> None:
    other = await harness.create_tenant()
    await _set_retention(harness, tenant, 7)
    old_closed, recent_closed = await _close(harness, tenant), await _close(harness, tenant)
    old_open = (await harness.create_conversation(tenant))["id"]
    others_old = await _close(harness, other)
    for handle, conversation_id in (
        (tenant, old_closed),
        (tenant, old_open),
        (other, others_old),
    ):
        await age(harness, handle, conversation_id, days=8)

    response = await harness.client.post(f"{PRIVACY}/retention/run", headers=tenant.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["deleted"] == 1 and body["retention_days"] == 7 and body["cutoff"]
    remaining = await _snapshot(harness, tenant)
    assert old_closed not in remaining and {old_open, recent_closed} <= set(remaining)
    assert others_old in await _snapshot(harness, other)  # its own 30 days, its own run
    [entry] = await audit_entries(harness, tenant, "privacy.retention_purge")
    cutoff = datetime.fromisoformat(body["cutoff"])
    assert entry.details["deleted"] == 1
    assert datetime.fromisoformat(entry.details["cutoff"]) == cutoff
    assert entry.actor.startswith("api_key:")


async def test_a_retention_run_that_deletes_nothing_writes_no_entry(
    harness: Harness, tenant: TenantHandle
) -> None:
    await _close(harness, tenant)
    response = await harness.client.post(f"{PRIVACY}/retention/run", headers=tenant.headers)
    assert response.json()["deleted"] == 0
    assert await audit_entries(harness, tenant, "privacy.retention_purge") == []


async def test_the_scheduled_purge_is_audited_too(harness: Harness, tenant: TenantHandle) -> None:
    await _set_retention(harness, tenant, 7)
    await age(harness, tenant, await _close(harness, tenant), days=8)
    await enforce_retention(sessionmaker_of(harness), harness.settings)
    [entry] = await audit_entries(harness, tenant, "privacy.retention_purge")
    assert (entry.actor, entry.details["deleted"], entry.details["days"]) == (
        "system:retention",
        1,
        7,
    )


# --- who may ----------------------------------------------------------------------------


async def _all_three(harness: Harness, headers: dict[str, str]) -> list[Any]:
    return [
        await harness.client.get(export_url(ALICE), headers=headers),
        await harness.client.delete(erase_url(ALICE), headers=headers),
        await harness.client.post(f"{PRIVACY}/retention/run", headers=headers),
    ]


async def test_agents_viewers_and_narrow_keys_are_403(
    harness: Harness, tenant: TenantHandle
) -> None:
    story = await build_story(harness, tenant)
    key = await create_key(harness, tenant, name="default scopes")
    for headers in (
        await staff_headers(harness, tenant, StaffRole.AGENT),
        await staff_headers(harness, tenant, StaffRole.VIEWER),
        {"X-API-Key": key["secret"]},
        story.customer_headers,
    ):
        for response in await _all_three(harness, headers):
            assert_forbidden(response, "privacy:manage")
    assert (await _export(harness, tenant))["end_user"]["external_id"] == ALICE  # untouched


async def test_an_admin_may_export_and_erase(harness: Harness, tenant: TenantHandle) -> None:
    await build_story(harness, tenant)
    admin = await staff_headers(harness, tenant, StaffRole.ADMIN)
    exported, erased, purged = await _all_three(harness, admin)
    assert (exported.status_code, erased.status_code, purged.status_code) == (200, 200, 200)
    [entry] = await audit_entries(harness, tenant, "privacy.erase")
    assert entry.actor.startswith("staff:")
