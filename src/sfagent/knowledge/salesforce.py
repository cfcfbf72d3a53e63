"""Salesforce Knowledge ingestion: published `Knowledge__kav` versions mapped to `Article`s.

The source reads through simple-salesforce, incrementally by `LastModifiedDate`: each fetch
returns the new watermark and the caller stores it and passes it back next time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from sfagent.errors import SfagentError
from sfagent.knowledge.articles import Article
from sfagent.knowledge.html_markdown import html_to_markdown
from sfagent.knowledge.ingest import slugify

SOURCE_PREFIX = "salesforce:"
ID_PREFIX = "sf-"
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NO_SUCH_COLUMN = re.compile(r"No such column '(?P<field>[^']+)' on entity '(?P<object>[^']+)'")
_SOQL_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Tags whose content is never article text: dropped with their content, not just unwrapped.
_BASE_FIELDS = (
    "Id",
    "KnowledgeArticleId",
    "ArticleNumber",
    "Title",
    "UrlName",
    "Summary",
    "PublishStatus",
    "Language",
    "VersionNumber",
    "LastModifiedDate",
)


class SalesforceKnowledgeError(SfagentError):
    """Salesforce refused or failed a knowledge read; the message says what to fix."""

    status_code = 502


@dataclass(frozen=True, slots=True)
class KnowledgeFetch:
    """Articles published since the last watermark, and the watermark to store for next time."""

    articles: tuple[Article, ...]
    watermark: datetime | None


@dataclass(frozen=True, slots=True)
class WithdrawnFetch:
    """KnowledgeArticleIds archived since the last watermark, and the watermark to store."""

    knowledge_article_ids: tuple[str, ...]
    watermark: datetime | None


def connect_salesforce(
    *,
    instance_url: str | None = None,
    access_token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    security_token: str | None = None,
    domain: str | None = None,
    consumer_key: str | None = None,
    consumer_secret: str | None = None,
    api_version: str | None = None,
    session: requests.Session | None = None,
) -> Salesforce:
    """A simple-salesforce client from exactly one of: token, password, or client credentials.

    `instance_url` + `access_token` uses an existing session (it cannot be renewed);
    `username` + `password` + `security_token` logs in (optionally at `domain`, e.g. "test");
    `domain` (your My Domain, e.g. "acme.my") + `consumer_key` + `consumer_secret` uses the
    OAuth client-credentials flow of a connected app.
    """
    credentials = _credentials(
        instance_url=instance_url,
        access_token=access_token,
        username=username,
        password=password,
        security_token=security_token,
        domain=domain,
        consumer_key=consumer_key,
        consumer_secret=consumer_secret,
    )
    if api_version is not None:
        credentials["version"] = api_version
    with _translated_errors("Knowledge__kav", ()):
        return Salesforce(session=session, **credentials)


class SalesforceKnowledgeSource:
    """Reads published, latest-version Salesforce Knowledge articles as `Article`s."""

    def __init__(
        self,
        client: Salesforce,
        *,
        body_fields: Sequence[str] = ("Body__c",),
        article_object: str = "Knowledge__kav",
        language: str | None = "en_US",
        category: str = "other",
        product: str = "",
    ) -> None:
        if not body_fields:
            raise SalesforceKnowledgeError("set at least one body field (e.g. 'Body__c')")
        for name in (article_object, *body_fields):
            if not _API_NAME.match(name):
                raise SalesforceKnowledgeError(f"{name!r} is not a Salesforce API name")
        self._client = client
        self._body_fields = tuple(body_fields)
        self._object = article_object
        self._language = language
        self._category = category
        self._product = product

    def fetch_published(self, *, since: datetime | None = None) -> KnowledgeFetch:
        """Online latest versions modified after `since` (all when None), oldest first."""
        fields = [*_BASE_FIELDS, *(f for f in self._body_fields if f not in _BASE_FIELDS)]
        soql = self._soql(fields, "PublishStatus = 'Online' AND IsLatestVersion = true", since)
        records = self._query(soql)
        articles = tuple(self._to_article(record) for record in records)
        return KnowledgeFetch(articles=articles, watermark=_latest(records, since))

    def fetch_withdrawn(self, *, since: datetime | None = None) -> WithdrawnFetch:
        """KnowledgeArticleIds whose latest version was archived after `since`."""
        # IsLatestVersion: publishing a new version archives the old one, which is not a withdrawal.
        status = "PublishStatus = 'Archived' AND IsLatestVersion = true"
        records = self._query(self._soql(["KnowledgeArticleId", "LastModifiedDate"], status, since))
        ids = tuple(dict.fromkeys(str(record["KnowledgeArticleId"]) for record in records))
        return WithdrawnFetch(knowledge_article_ids=ids, watermark=_latest(records, since))

    def _soql(self, fields: Sequence[str], status: str, since: datetime | None) -> str:
        conditions = [status]
        if self._language is not None:
            conditions.append(f"Language = {soql_string(self._language)}")
        if since is not None:
            conditions.append(f"LastModifiedDate > {soql_datetime(since)}")
        return (
            f"SELECT {', '.join(fields)} FROM {self._object} "
            f"WHERE {' AND '.join(conditions)} ORDER BY LastModifiedDate, Id"
        )

    def _query(self, soql: str) -> list[dict[str, Any]]:
        with _translated_errors(self._object, self._body_fields), _one_renewal(self._client):
            return [dict(record) for record in self._client.query_all_iter(soql)]

    def _to_article(self, record: Mapping[str, Any]) -> Article:
        knowledge_id = str(record["KnowledgeArticleId"])
        slug = slugify(str(record.get("UrlName") or "")) or slugify(
            str(record.get("ArticleNumber") or knowledge_id)
        )
        if self._language is None and record.get("Language"):
            # Translations share a UrlName; without a language filter the ids would collide.
            slug = f"{slug}-{slugify(str(record['Language']))}"
        parts = [_markdown(str(record.get(field) or "")) for field in self._body_fields]
        body = "\n\n".join(part for part in parts if part) or str(record.get("Summary") or "")
        return Article(
            id=ID_PREFIX + slug,
            title=str(record.get("Title") or "").strip(),
            body=body,
            category=self._category,
            product=self._product,
            source=article_source(knowledge_id),
            status="published",
            version=max(1, int(record.get("VersionNumber") or 1)),
        )


def _credentials(
    *,
    instance_url: str | None,
    access_token: str | None,
    username: str | None,
    password: str | None,
    security_token: str | None,
    domain: str | None,
    consumer_key: str | None,
    consumer_secret: str | None,
) -> dict[str, Any]:
    if access_token is not None or instance_url is not None:
        if not (access_token and instance_url):
            raise SalesforceKnowledgeError("set both instance_url and access_token")
        return {"instance_url": instance_url, "session_id": access_token}
    if username is not None:
        if not (password and security_token):
            raise SalesforceKnowledgeError("set password and security_token with username")
        return {
            "username": username,
            "password": password,
            "security_token": security_token,
            "domain": domain,
        }
    if consumer_key is not None or consumer_secret is not None:
        if not (consumer_key and consumer_secret and domain):
            raise SalesforceKnowledgeError(
                "client credentials need consumer_key, consumer_secret and domain"
            )
        if domain in ("login", "test"):
            raise SalesforceKnowledgeError(
                "client credentials need your My Domain (e.g. 'acme.my'), not 'login' or 'test'"
            )
        return {"domain": domain, "consumer_key": consumer_key, "consumer_secret": consumer_secret}
    raise SalesforceKnowledgeError(
        "no Salesforce credentials: set instance_url + access_token, "
        "username + password + security_token, or domain + consumer_key + consumer_secret"
    )


def article_source(knowledge_article_id: str) -> str:
    """The `Article.source` of a Salesforce article, to match `fetch_withdrawn` ids locally."""
    return SOURCE_PREFIX + knowledge_article_id


def soql_string(value: str) -> str:
    """A quoted SOQL string literal with quotes, backslashes and control characters escaped."""
    return "'" + "".join(_SOQL_ESCAPES.get(char, char) for char in value) + "'"


def soql_datetime(value: datetime) -> str:
    """A SOQL dateTime literal (`2026-01-01T00:00:00Z`, unquoted) in UTC, to the second."""
    if value.tzinfo is None:
        raise ValueError("the watermark must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_salesforce_datetime(value: str) -> datetime:
    """A Salesforce dateTime (`2026-01-01T00:00:00.000+0000`) as an aware UTC datetime."""
    return datetime.fromisoformat(value).astimezone(UTC)


def _latest(records: Sequence[Mapping[str, Any]], since: datetime | None) -> datetime | None:
    seen = [parse_salesforce_datetime(str(r["LastModifiedDate"])) for r in records]
    if since is not None:
        seen.append(since.astimezone(UTC))
    return max(seen, default=None)


class _SessionStillRejected(Exception):
    """Raised from the login hook when Salesforce rejects a session that was just renewed."""


@contextmanager
def _one_renewal(client: Salesforce) -> Iterator[None]:
    # simple-salesforce re-logs in and recurses on every INVALID_SESSION_ID 401: without a
    # bound in 1.12.0-1.12.5, and up to four logins after. Allow one renewal, then fail.
    login = client._salesforce_login_partial
    if login is None:
        yield  # a bare access token is never renewed: the first 401 raises at once
        return
    renewals = 0

    def renew_once() -> tuple[str, str]:
        nonlocal renewals
        renewals += 1
        if renewals > 1:
            raise _SessionStillRejected
        session_id, instance = login()
        return session_id, instance

    client._salesforce_login_partial = partial(renew_once)
    try:
        yield
    finally:
        client._salesforce_login_partial = login


@contextmanager
def _translated_errors(article_object: str, body_fields: Sequence[str]) -> Iterator[None]:
    try:
        yield
    except (SalesforceExpiredSession, _SessionStillRejected, RecursionError) as error:
        raise SalesforceKnowledgeError(
            "Salesforce rejected the session (INVALID_SESSION_ID), and at most one new login "
            "was tried: supply a fresh access token, or check that the user is API Enabled "
            "and that the connected app's session may use the REST API",
            status_code=401,
            details={"errorCode": "INVALID_SESSION_ID"},
        ) from error
    except SalesforceAuthenticationFailed as error:
        raise SalesforceKnowledgeError(
            f"Salesforce login failed ({error.code}: {error.auth_message}): check the username, "
            "password and security token, or the connected app's consumer key and secret",
            status_code=401,
        ) from error
    except SalesforceMalformedRequest as error:
        raise _malformed(error, article_object, body_fields) from error
    except SalesforceRefusedRequest as error:
        raise SalesforceKnowledgeError(
            f"Salesforce refused to read {article_object} ({_message(error)}): give the "
            "integration user read access to Knowledge (Knowledge User licence, API Enabled)",
            status_code=403,
        ) from error
    except SalesforceResourceNotFound as error:
        raise SalesforceKnowledgeError(
            f"Salesforce has no resource at {error.url}: check instance_url and the API version"
        ) from error
    except SalesforceError as error:
        raise SalesforceKnowledgeError(
            f"Salesforce answered {error.status}: {_message(error)}"
        ) from error
    except requests.exceptions.JSONDecodeError as error:
        raise SalesforceKnowledgeError(
            "Salesforce answered with a body that is not JSON: check that instance_url is the "
            "org's https://<MyDomain>.my.salesforce.com address"
        ) from error
    except requests.RequestException as error:
        raise SalesforceKnowledgeError(
            f"cannot reach Salesforce ({type(error).__name__}): check instance_url and the "
            "network or proxy",
            status_code=503,
        ) from error


def _malformed(
    error: SalesforceMalformedRequest, article_object: str, body_fields: Sequence[str]
) -> SalesforceKnowledgeError:
    code, message = _error_code(error), _message(error)
    details = {"errorCode": code}
    missing = _NO_SUCH_COLUMN.search(message)
    if code == "INVALID_FIELD" and missing:
        field, entity = missing["field"], missing["object"]
        fix = "set the body field names" if field in body_fields else "check the article object"
        return SalesforceKnowledgeError(
            f"field {field} does not exist on {entity}: {fix} "
            f"(body_fields={list(body_fields)}, article_object={article_object!r})",
            details=details,
        )
    if code == "INVALID_TYPE":
        return SalesforceKnowledgeError(
            f"object {article_object} does not exist: enable Lightning Knowledge or set the "
            "article object name (the API name ending in __kav)",
            details=details,
        )
    return SalesforceKnowledgeError(
        f"Salesforce rejected the knowledge query ({code}): {message}", details=details
    )


def _first_error(error: SalesforceError) -> Mapping[str, Any]:
    content = error.content
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        return content[0]
    return {}


def _error_code(error: SalesforceError) -> str:
    return str(_first_error(error).get("errorCode", "UNKNOWN"))


def _message(error: SalesforceError) -> str:
    first = _first_error(error)
    text = str(first.get("message", error.content))
    return " ".join(text.split())


def _markdown(html: str) -> str:
    """A rich-text field as Markdown (fields are fragments: no page title to take)."""
    return html_to_markdown(html)[1] if html.strip() else ""
