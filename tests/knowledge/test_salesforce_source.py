"""Salesforce Knowledge ingestion through simple-salesforce, against the in-process stand-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from simple_salesforce.api import Salesforce

from sfagent.knowledge.salesforce import (
    SalesforceKnowledgeError,
    SalesforceKnowledgeSource,
    article_source,
    connect_salesforce,
    soql_datetime,
    soql_string,
)
from tests.knowledge.salesforce_standin import (
    API_VERSION,
    INSTANCE_URL,
    SalesforceStandIn,
    standin_session,
)

RICH_BODY = (
    "<h2>Why it happens</h2><p>Apex hit the <b>CPU time</b> limit.</p><p>UNABLE_TO_LOCK_ROW</p>"
    "<script>steal(document.cookie)</script><style>p { color: red }</style>"
    "<ul><li>Move work to <code>Queueable</code></li><li>Bulkify loops</li></ul>"
)


@pytest.fixture
def standin() -> SalesforceStandIn:
    return SalesforceStandIn()


def token_client(standin: SalesforceStandIn) -> Salesforce:
    return connect_salesforce(
        instance_url=INSTANCE_URL,
        access_token="standin-token",
        api_version=API_VERSION,
        session=standin_session(standin),
    )


def oauth_client(standin: SalesforceStandIn) -> Salesforce:
    return connect_salesforce(
        domain="standin.my",
        consumer_key=standin.consumer_key,
        consumer_secret=standin.consumer_secret,
        api_version=API_VERSION,
        session=standin_session(standin),
    )


def query_requests(standin: SalesforceStandIn) -> int:
    return standin.count("/query")


def test_full_fetch_maps_fields_and_converts_the_body(standin: SalesforceStandIn) -> None:
    cpu_id = standin.add_article("Apex-CPU-Time-Limit", "Apex CPU time limit", body=RICH_BODY)
    standin.add_article("", "No URL name", body="<p>Plain</p>")
    client = token_client(standin)

    fetched = SalesforceKnowledgeSource(client).fetch_published()

    first, second = fetched.articles
    assert first.id == "sf-apex-cpu-time-limit"
    assert first.title == "Apex CPU time limit"
    assert first.source == article_source(cpu_id) == f"salesforce:{cpu_id}"
    assert first.status == "published"
    assert first.version == 1
    assert first.category == "other"
    assert first.body.startswith("## Why it happens\n\nApex hit the **CPU time** limit.")
    assert "- Move work to `Queueable`" in first.body
    assert "\nUNABLE_TO_LOCK_ROW\n" in first.body
    assert "steal" not in first.body
    assert "color" not in first.body
    assert second.id == "sf-000000003"  # the ArticleNumber when UrlName is empty
    assert fetched.watermark == datetime(2026, 1, 1, 0, 2, tzinfo=UTC)
    assert client.api_usage["api-usage"].total == 15000


def test_body_fields_are_concatenated_in_order() -> None:
    standin = SalesforceStandIn(body_fields=("Question__c", "Answer__c"))
    standin.add_article("faq", "FAQ", Question__c="<p>How?</p>", Answer__c="<p>Like this.</p>")
    source = SalesforceKnowledgeSource(
        token_client(standin), body_fields=("Question__c", "Answer__c")
    )

    (article,) = source.fetch_published().articles

    assert article.body == "How?\n\nLike this."


def test_fetch_follows_next_records_urls_across_three_pages() -> None:
    standin = SalesforceStandIn(page_size=2)
    for number in range(5):
        standin.add_article(f"article-{number}", f"Article {number}")

    fetched = SalesforceKnowledgeSource(token_client(standin)).fetch_published()

    assert [a.id for a in fetched.articles] == [f"sf-article-{n}" for n in range(5)]
    assert query_requests(standin) == 3
    assert standin.count("/query/01gSI") == 2


def test_incremental_fetch_returns_only_the_edited_article(standin: SalesforceStandIn) -> None:
    edited_id = standin.add_article("first", "First")
    standin.add_article("second", "Second")
    source = SalesforceKnowledgeSource(token_client(standin))
    watermark = source.fetch_published().watermark
    assert watermark is not None

    standin.publish_new_version(edited_id, Title="First, revised", Body__c="<p>New</p>")
    changed = source.fetch_published(since=watermark)

    (article,) = changed.articles
    assert (article.id, article.title, article.body, article.version) == (
        "sf-first",
        "First, revised",
        "New",
        2,
    )
    assert changed.watermark is not None and changed.watermark > watermark
    unchanged = source.fetch_published(since=changed.watermark)
    assert unchanged.articles == ()
    assert unchanged.watermark == changed.watermark


def test_archived_articles_are_reported_but_republished_ones_are_not(
    standin: SalesforceStandIn,
) -> None:
    kept_id = standin.add_article("kept", "Kept")
    withdrawn_id = standin.add_article("withdrawn", "Withdrawn")
    source = SalesforceKnowledgeSource(token_client(standin))
    watermark = source.fetch_withdrawn().watermark

    standin.publish_new_version(kept_id, Title="Kept, revised")  # archives the old version
    standin.archive_article(withdrawn_id)
    withdrawn = source.fetch_withdrawn(since=watermark)

    assert withdrawn.knowledge_article_ids == (withdrawn_id,)
    assert withdrawn.watermark == standin.now
    assert [a.id for a in source.fetch_published().articles] == ["sf-kept"]


def test_language_filter_selects_one_translation(standin: SalesforceStandIn) -> None:
    standin.add_article("reset-password", "Reset your password")
    standin.add_article("reset-password", "Passwort zurücksetzen", language="de")
    client = token_client(standin)

    english = SalesforceKnowledgeSource(client).fetch_published().articles
    german = SalesforceKnowledgeSource(client, language="de").fetch_published().articles
    every = SalesforceKnowledgeSource(client, language=None).fetch_published().articles

    assert [a.title for a in english] == ["Reset your password"]
    assert [a.title for a in german] == ["Passwort zurücksetzen"]
    assert [a.id for a in every] == ["sf-reset-password-en-us", "sf-reset-password-de"]


def test_values_are_escaped_in_soql(standin: SalesforceStandIn) -> None:
    standin.add_article("secret", "Secret")
    injected = SalesforceKnowledgeSource(token_client(standin), language="x' OR Language != '")

    assert injected.fetch_published().articles == ()
    assert soql_string("it's \\ odd") == "'it\\'s \\\\ odd'"
    assert soql_datetime(datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == (
        "2026-01-01T00:00:00Z"
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        soql_datetime(datetime(2026, 1, 1))


def test_unknown_body_field_is_named_in_the_error(standin: SalesforceStandIn) -> None:
    standin.add_article("any", "Any")
    source = SalesforceKnowledgeSource(token_client(standin), body_fields=("Answer__c",))

    with pytest.raises(SalesforceKnowledgeError) as caught:
        source.fetch_published()

    assert str(caught.value).startswith(
        "field Answer__c does not exist on Knowledge__kav: set the body field names"
    )
    assert caught.value.details == {"errorCode": "INVALID_FIELD"}


def test_unknown_article_object_is_named_in_the_error(standin: SalesforceStandIn) -> None:
    source = SalesforceKnowledgeSource(token_client(standin), article_object="FAQ__kav")

    with pytest.raises(SalesforceKnowledgeError, match="object FAQ__kav does not exist"):
        source.fetch_published()


def test_malformed_query_error_carries_the_salesforce_message(
    standin: SalesforceStandIn,
) -> None:
    standin.fail_next_query(400, "MALFORMED_QUERY", "unexpected token: 'ORDER'")

    with pytest.raises(SalesforceKnowledgeError) as caught:
        SalesforceKnowledgeSource(token_client(standin)).fetch_published()

    assert str(caught.value) == (
        "Salesforce rejected the knowledge query (MALFORMED_QUERY): unexpected token: 'ORDER'"
    )


def test_expired_access_token_fails_on_the_first_request(standin: SalesforceStandIn) -> None:
    source = SalesforceKnowledgeSource(token_client(standin))
    standin.expire_sessions()

    with pytest.raises(SalesforceKnowledgeError, match="INVALID_SESSION_ID") as caught:
        source.fetch_published()

    assert caught.value.status_code == 401
    assert query_requests(standin) == 1


def test_expired_oauth_session_is_renewed_once(standin: SalesforceStandIn) -> None:
    standin.add_article("renewed", "Renewed")
    source = SalesforceKnowledgeSource(oauth_client(standin))
    standin.expire_sessions()

    assert [a.id for a in source.fetch_published().articles] == ["sf-renewed"]
    assert standin.count("/services/oauth2/token") == 2
    assert query_requests(standin) == 2


def test_session_refused_after_login_fails_once_without_recursion(
    standin: SalesforceStandIn,
) -> None:
    source = SalesforceKnowledgeSource(oauth_client(standin))
    standin.rest_accepts_new_sessions = False
    standin.expire_sessions()

    with pytest.raises(SalesforceKnowledgeError, match="INVALID_SESSION_ID"):
        source.fetch_published()

    assert query_requests(standin) == 2
    assert standin.count("/services/oauth2/token") == 2  # the first login and one renewal
    with pytest.raises(SalesforceKnowledgeError, match="INVALID_SESSION_ID"):
        source.fetch_published()  # the login hook is restored: each fetch renews once again
    assert query_requests(standin) == 4


def test_wrong_client_secret_fails_the_login(standin: SalesforceStandIn) -> None:
    with pytest.raises(SalesforceKnowledgeError, match="Salesforce login failed") as caught:
        connect_salesforce(
            domain="standin.my",
            consumer_key=standin.consumer_key,
            consumer_secret="rotated",
            session=standin_session(standin),
        )

    assert "invalid_client" in str(caught.value)


def test_unreachable_instance_is_reported(standin: SalesforceStandIn) -> None:
    source = SalesforceKnowledgeSource(token_client(standin))
    standin.unreachable = True

    with pytest.raises(SalesforceKnowledgeError, match="cannot reach Salesforce") as caught:
        source.fetch_published()

    assert caught.value.status_code == 503


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "no Salesforce credentials"),
        ({"instance_url": INSTANCE_URL}, "set both instance_url and access_token"),
        ({"username": "admin@example.com"}, "set password and security_token"),
        ({"consumer_key": "k", "consumer_secret": "s"}, "need consumer_key"),
        ({"consumer_key": "k", "consumer_secret": "s", "domain": "login"}, "My Domain"),
    ],
)
def test_incomplete_credentials_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(SalesforceKnowledgeError, match=message):
        connect_salesforce(**options)


def test_body_field_names_must_be_api_names(standin: SalesforceStandIn) -> None:
    with pytest.raises(SalesforceKnowledgeError, match="not a Salesforce API name"):
        SalesforceKnowledgeSource(token_client(standin), body_fields=("Body__c, Id",))
