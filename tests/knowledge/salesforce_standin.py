"""An in-process stand-in for the Salesforce REST API: query, query paging and OAuth login.

It answers with the documented shapes (query results with `done`, `totalSize`,
`nextRecordsUrl` and per-record `attributes`; errors as `[{"message", "errorCode"}]`; the
`Sforce-Limit-Info` header) and understands the SOQL the knowledge source sends. It is mounted
on a `requests.Session` through a transport adapter, so no socket is opened.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

INSTANCE_HOST = "standin.my.salesforce.com"
INSTANCE_URL = f"https://{INSTANCE_HOST}"
API_VERSION = "59.0"
OBJECT = "Knowledge__kav"
_STRING_FIELDS = frozenset(
    {"Id", "KnowledgeArticleId", "ArticleNumber", "Title", "UrlName", "Summary"}
    | {"PublishStatus", "Language"}
)
_BOOLEAN_FIELDS = frozenset({"IsLatestVersion"})
_DATETIME_FIELDS = frozenset({"LastModifiedDate"})
_NUMBER_FIELDS = frozenset({"VersionNumber"})
_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(
    r"\s*(?P<field>\w+)\s*(?P<op>!=|>=|<=|=|>|<)\s*(?P<value>'(?:[^'\\]|\\.)*'|[^\s']+)\s*",
    re.DOTALL,
)
_DATA_PATH = re.compile(r"/services/data/v\d+\.\d/query(?:/|/(?P<cursor>[\w-]+))?")
_AND = re.compile(r"AND\s+", re.IGNORECASE)
_DATETIME_LITERAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})$")
_UNESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


class SoqlError(Exception):
    """A query the real API would refuse with this errorCode and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class SalesforceStandIn:
    """One org's knowledge articles, sessions and API counters, changed by the test."""

    body_fields: tuple[str, ...] = ("Body__c",)
    page_size: int = 2000
    consumer_key: str = "standin-key"
    consumer_secret: str = "standin-secret"
    # False models an org whose sessions are refused by the REST API even right after login.
    rest_accepts_new_sessions: bool = True
    # True models a network failure: the transport raises before any answer.
    unreachable: bool = False
    records: list[dict[str, Any]] = field(default_factory=list)
    requests_seen: list[tuple[str, str]] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=lambda: {"standin-token"})
    api_usage: int = 0
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    _serial: int = 0
    _cursors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _injected: list[tuple[int, str, str]] = field(default_factory=list)

    # --- what tests change ---------------------------------------------------------------

    def add_article(
        self,
        url_name: str,
        title: str,
        *,
        body: str = "",
        language: str = "en_US",
        summary: str = "",
        status: str = "Online",
        **fields: str,
    ) -> str:
        """Publish a new article (version 1) and return its KnowledgeArticleId."""
        self._serial += 1
        knowledge_id = f"kA0SI{self._serial:010d}AAA"
        values = {self.body_fields[0]: body, **fields} if self.body_fields else dict(fields)
        self._add_version(
            knowledge_id,
            f"{self._serial:09d}",
            {"UrlName": url_name, "Title": title, "Summary": summary, "Language": language},
            values,
            status=status,
            version=1,
        )
        return knowledge_id

    def publish_new_version(self, knowledge_id: str, **changes: str) -> None:
        """Edit and republish: the Online version is archived and a new latest one is added."""
        current = self.latest(knowledge_id)
        current["PublishStatus"] = "Archived"
        current["IsLatestVersion"] = False
        standard = {k: current[k] for k in ("UrlName", "Title", "Summary", "Language")}
        custom = {name: current.get(name) for name in self.body_fields}
        for name, value in changes.items():
            (standard if name in standard else custom)[name] = value
        self._add_version(
            knowledge_id,
            str(current["ArticleNumber"]),
            standard,
            custom,
            status="Online",
            version=int(current["VersionNumber"]) + 1,
        )

    def archive_article(self, knowledge_id: str) -> None:
        """Withdraw an article: its latest version becomes Archived."""
        current = self.latest(knowledge_id)
        current["PublishStatus"] = "Archived"
        current["LastModifiedDate"] = self._tick()

    def latest(self, knowledge_id: str) -> dict[str, Any]:
        return next(
            r
            for r in self.records
            if r["KnowledgeArticleId"] == knowledge_id and r["IsLatestVersion"]
        )

    def expire_sessions(self) -> None:
        self.valid_tokens.clear()

    def fail_next_query(self, status: int, code: str, message: str) -> None:
        """Answer the next query with this documented error body."""
        self._injected.append((status, code, message))

    def count(self, path_part: str) -> int:
        return sum(1 for _, path in self.requests_seen if path_part in path)

    # --- the HTTP surface ------------------------------------------------------------------

    def handle(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Answer one request: status, headers and a JSON-serialisable body."""
        parts = urlsplit(url)
        self.requests_seen.append((method, parts.path))
        if parts.path == "/services/oauth2/token" and method == "POST":
            return self._token(headers, body)
        data = _DATA_PATH.fullmatch(parts.path)
        if data is None:
            return 404, {}, _errors("NOT_FOUND", "The requested resource does not exist")
        if headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid_tokens:
            return 401, {}, _errors("INVALID_SESSION_ID", "Session expired or invalid")
        self.api_usage += 1
        limit = {"Sforce-Limit-Info": f"api-usage={self.api_usage}/15000"}
        if self._injected:
            status, code, message = self._injected.pop(0)
            return status, limit, _errors(code, message)
        if data["cursor"]:
            return self._next_page(data["cursor"], limit)
        soql = parse_qs(parts.query).get("q", [""])[0]
        try:
            rows = self._run(soql)
        except SoqlError as error:
            return 400, limit, _errors(error.code, error.message)
        return self._page(rows, 0, _batch_size(headers, self.page_size), limit)

    def _token(self, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        form = parse_qs(body.decode())
        secret = f"{self.consumer_key}:{self.consumer_secret}".encode()
        expected = "Basic " + base64.b64encode(secret).decode()
        granted = form.get("grant_type") == ["client_credentials"]
        if not granted or headers.get("Authorization") != expected:
            return 400, {}, {"error": "invalid_client", "error_description": "invalid client"}
        self._serial += 1
        token = f"standin-oauth-{self._serial}"
        if self.rest_accepts_new_sessions:
            self.valid_tokens.add(token)
        return (
            200,
            {},
            {"access_token": token, "instance_url": INSTANCE_URL, "token_type": "Bearer"},
        )

    def _page(
        self, rows: list[dict[str, Any]], offset: int, size: int, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        result: dict[str, Any] = {
            "totalSize": len(rows),
            "done": offset + size >= len(rows),
            "records": rows[offset : offset + size],
        }
        if not result["done"]:
            cursor = f"01gSI{len(self._cursors) + 1:010d}AAA"
            self._cursors[cursor] = rows
            result["nextRecordsUrl"] = (
                f"/services/data/v{API_VERSION}/query/{cursor}-{offset + size}"
            )
        return 200, headers, result

    def _next_page(self, locator: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        cursor, _, offset = locator.rpartition("-")
        if cursor not in self._cursors or not offset.isdigit():
            return 400, headers, _errors("INVALID_QUERY_LOCATOR", "invalid query locator")
        rows = self._cursors[cursor]
        return self._page(rows, int(offset), _batch_size({}, self.page_size), headers)

    # --- SOQL --------------------------------------------------------------------------------

    def _run(self, soql: str) -> list[dict[str, Any]]:
        query = _QUERY.match(soql)
        if query is None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token in query: {soql[:40]}")
        if query["object"] != OBJECT:
            raise SoqlError("INVALID_TYPE", f"sObject type '{query['object']}' is not supported.")
        fields = [name.strip() for name in query["fields"].split(",")]
        for name in fields:
            self._check_field(name, soql)
        conditions = _conditions(query["where"] or "")
        if not any(name == "PublishStatus" and op == "=" for name, op, _ in conditions):
            raise SoqlError(
                "MALFORMED_QUERY",
                "Implementation restriction: When querying the Knowledge Article Version, you "
                "must filter using the following syntax: PublishStatus = [status]",
            )
        rows = [r for r in self.records if all(self._holds(r, c, soql) for c in conditions)]
        for name, descending in reversed(_order(query["order"] or "")):
            self._check_field(name, soql)
            rows.sort(key=itemgetter(name), reverse=descending)
        return [self._render(row, fields) for row in rows]

    def _check_field(self, name: str, soql: str) -> None:
        known = _STRING_FIELDS | _BOOLEAN_FIELDS | _DATETIME_FIELDS | _NUMBER_FIELDS
        if name not in known and name not in self.body_fields:
            column = soql.find(name) + 1
            raise SoqlError(
                "INVALID_FIELD",
                f"\n{soql}\n^\nERROR at Row:1:Column:{column}\nNo such column '{name}' on entity "
                f"'{OBJECT}'. If you are attempting to use a custom field, be sure to append the "
                "'__c' after the custom field name. Please reference your WSDL or the describe "
                "call for the appropriate names.",
            )

    def _holds(self, row: Mapping[str, Any], condition: tuple[str, str, str], soql: str) -> bool:
        name, op, raw = condition
        self._check_field(name, soql)
        value = _literal(name, raw)
        actual = row.get(name)
        if op == "=":
            return bool(actual == value)
        if op == "!=":
            return bool(actual != value)
        if actual is None:
            return False
        comparisons = {">": actual > value, "<": actual < value}
        comparisons |= {">=": actual >= value, "<=": actual <= value}
        return bool(comparisons[op])

    def _render(self, row: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
        url = f"/services/data/v{API_VERSION}/sobjects/{OBJECT}/{row['Id']}"
        rendered: dict[str, Any] = {"attributes": {"type": OBJECT, "url": url}}
        for name in fields:
            value = row.get(name)
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
            rendered[name] = value
        return rendered

    def _add_version(
        self,
        knowledge_id: str,
        article_number: str,
        standard: Mapping[str, Any],
        custom: Mapping[str, Any],
        *,
        status: str,
        version: int,
    ) -> None:
        self._serial += 1
        self.records.append(
            {
                "Id": f"ka0SI{self._serial:010d}AAA",
                "KnowledgeArticleId": knowledge_id,
                "ArticleNumber": article_number,
                **standard,
                **{name: custom.get(name) for name in self.body_fields},
                "PublishStatus": status,
                "IsLatestVersion": True,
                "VersionNumber": version,
                "LastModifiedDate": self._tick(),
            }
        )

    def _tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


class StandInAdapter(BaseAdapter):
    """A requests transport that hands every request to the stand-in, in process."""

    def __init__(self, standin: SalesforceStandIn) -> None:
        super().__init__()
        self.standin = standin

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        if self.standin.unreachable:
            raise requests.ConnectionError(f"cannot connect to {request.url}")
        body = request.body
        raw = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else b""
        headers = {name: str(value) for name, value in request.headers.items()}
        status, extra, payload = self.standin.handle(
            request.method or "GET", request.url or "", headers, raw
        )
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json;charset=UTF-8", **extra}
        )
        response.raw = io.BytesIO(json.dumps(payload).encode())
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        response.reason = "OK" if status < 300 else "Error"
        return response

    def close(self) -> None:
        """Nothing to release: no sockets are opened."""


def standin_session(standin: SalesforceStandIn) -> requests.Session:
    """A requests session whose https traffic goes to the stand-in."""
    session = requests.Session()
    session.mount("https://", StandInAdapter(standin))
    session.mount("http://", StandInAdapter(standin))
    return session


def _errors(code: str, message: str) -> list[dict[str, str]]:
    return [{"message": message, "errorCode": code}]


def _batch_size(headers: Mapping[str, str], default: int) -> int:
    options = headers.get("Sforce-Query-Options", "")
    found = re.search(r"batchSize=(\d+)", options)
    return int(found[1]) if found else default


def _conditions(where: str) -> list[tuple[str, str, str]]:
    conditions: list[tuple[str, str, str]] = []
    position = 0
    while position < len(where):
        found = _CONDITION.match(where, position)
        if found is None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {where[position:][:30]!r}")
        conditions.append((found["field"], found["op"], found["value"]))
        position = found.end()
        joined = _AND.match(where, position)
        if joined is None and position < len(where):
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {where[position:][:30]!r}")
        position = joined.end() if joined else position
    return conditions


def _order(order: str) -> list[tuple[str, bool]]:
    keys: list[tuple[str, bool]] = []
    for part in filter(None, (item.strip() for item in order.split(","))):
        name, _, direction = part.partition(" ")
        keys.append((name, direction.strip().upper() == "DESC"))
    return keys


def _literal(name: str, raw: str) -> Any:
    quoted = raw.startswith("'")
    if name in _DATETIME_FIELDS or name in _BOOLEAN_FIELDS:
        kind = "dateTime" if name in _DATETIME_FIELDS else "boolean"
        if quoted:
            raise SoqlError(
                "INVALID_FIELD",
                f"value of filter criterion for field '{name}' must be of type {kind} and "
                "should not be enclosed in quotes",
            )
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise SoqlError("MALFORMED_QUERY", f"invalid boolean: {raw}")
            return raw.lower() == "true"
        if not _DATETIME_LITERAL.match(raw):
            raise SoqlError("MALFORMED_QUERY", f"line 1: invalid dateTime: {raw}")
        return datetime.fromisoformat(raw).astimezone(UTC)
    if name in _NUMBER_FIELDS:
        return int(raw)
    if not quoted:
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: {raw}")
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m[1], m[1]), raw[1:-1], flags=re.DOTALL)
