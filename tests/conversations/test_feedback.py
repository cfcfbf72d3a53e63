"""The customer rates the conversation and says whether a reply helped; a reply's rating
also counts for the knowledge articles it cited."""

from __future__ import annotations

from tests.conftest import Harness, TenantHandle


async def test_a_rating_is_stored_and_bad_scores_are_422(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    url = f"/api/v1/conversations/{conversation}/rating"
    for bad in (0, 6, "five"):
        response = await harness.client.post(url, json={"score": bad}, headers=tenant.headers)
        assert response.status_code == 422
    rated = await harness.client.post(url, json={"score": 4}, headers=tenant.headers)
    assert rated.status_code == 200 and rated.json()["csat_score"] == 4


async def test_reply_feedback_counts_for_the_cited_articles_once(
    harness: Harness, tenant: TenantHandle
) -> None:
    reply = await harness.say(tenant, "System.LimitException: Too many SOQL queries: 101")
    conversation, message = reply["conversation_id"], reply["id"]
    [first_cited, *_] = reply["citations"]
    url = f"/api/v1/messages/{message}/feedback"
    for helpful in (True, True, False):  # a changed mind updates the reply, not the counts
        response = await harness.client.post(url, json={"helpful": helpful}, headers=tenant.headers)
        assert response.status_code == 204
    article = await harness.client.get(
        f"/api/v1/kb/articles/{first_cited['article_id']}", headers=tenant.headers
    )
    stats = article.json()["stats"]
    assert (stats["helpful_count"], stats["unhelpful_count"]) == (1, 0)
    listed = await harness.client.get(
        f"/api/v1/conversations/{conversation}/messages", headers=tenant.headers
    )
    stored = next(item for item in listed.json()["items"] if item["id"] == message)
    assert stored["analysis"]["feedback"] == "unhelpful"


async def test_only_assistant_replies_take_feedback(harness: Harness, tenant: TenantHandle) -> None:
    reply = await harness.say(tenant, "How do I create a report?")
    conversation = reply["conversation_id"]
    assert conversation
    own = await harness.client.post(
        f"/api/v1/messages/{reply['user_message_id']}/feedback",
        json={"helpful": True},
        headers=tenant.headers,
    )
    assert own.status_code == 409
    missing = await harness.client.post(
        "/api/v1/messages/no-such-message/feedback", json={"helpful": True}, headers=tenant.headers
    )
    assert missing.status_code == 404


async def test_another_tenant_cannot_rate_or_judge_a_reply(harness: Harness) -> None:
    owner, other = await harness.create_tenant(), await harness.create_tenant()
    reply = await harness.say(owner, "How do I create a report?")
    rated = await harness.client.post(
        f"/api/v1/conversations/{reply['conversation_id']}/rating",
        json={"score": 1},
        headers=other.headers,
    )
    assert rated.status_code == 404
    judged = await harness.client.post(
        f"/api/v1/messages/{reply['id']}/feedback", json={"helpful": False}, headers=other.headers
    )
    assert judged.status_code == 404
