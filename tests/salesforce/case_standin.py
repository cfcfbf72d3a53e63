"""A stateful stand-in for the parts of the Salesforce REST API that Case sync uses.

It answers with the documented shapes:
- OAuth token endpoint: the JWT bearer grant (RS256 assertion checked against the connected
  app's certificate: iss, sub, aud, exp) and the client credentials grant; errors as
  `{"error", "error_description"}`.
- Upsert on an external id: `PATCH /sobjects/Case/{field}/{value}` → 201
  `{id, success, errors, created}` or 204.
- `GET /sobjects/Case/{field}/{value}`, and `POST /sobjects/CaseComment/` → 201
  `{id, success, errors}`.
- `GET /limits`, and the `Sforce-Limit-Info` header on every answer.
- Errors as JSON arrays of `{message, errorCode, fields}`.

Failures are injected per call: a status and errorCode for the next data calls, every call
failing with 503 (down), no answer at all (unreachable), ended sessions. It is mounted on a
`requests.Session` through the knowledge stand-in's transport adapter: no socket is opened.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.knowledge.salesforce_standin import StandInAdapter

LOGIN_URL = "https://login.standin.example"
INSTANCE_URL = "https://acme.my.standin.example"
CONSUMER_KEY = "3MVG9-standin-consumer-key"
CLIENT_SECRET = "standin-client-secret"
USERNAME = "integration@acme.example"
EXTERNAL_ID_FIELD = "Sfagent_Conversation_Id__c"
CASE_FIELDS = frozenset(
    {"Subject", "Description", "Priority", "Origin", "Status", "SuppliedEmail", "ContactId"}
)
PRIORITIES = frozenset({"High", "Medium", "Low"})
DAILY_LIMIT = 15_000
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_CHANGED_CASES = re.compile(
    r"SELECT Id, CaseNumber, Status, IsClosed, SystemModstamp, (?P<field>\w+) FROM Case "
    r"WHERE (?P=field) != null(?: AND SystemModstamp > (?P<since>[\dT:.\-]+Z))? "
    r"ORDER BY SystemModstamp LIMIT (?P<limit>\d+)"
)


def new_key_pair() -> tuple[str, str]:
    """(private PEM for the tenant, public PEM as uploaded to the connected app)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class CaseStandIn:
    public_key: str | None = None  # the connected app's certificate, for the JWT bearer flow
    external_id_field: str = EXTERNAL_ID_FIELD
    unreachable: bool = False
    down: bool = False  # every data call answers 503
    rest_accepts_new_sessions: bool = True
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)  # by Id, in creation order
    comments: list[dict[str, Any]] = field(default_factory=list)
    requests_seen: list[tuple[str, str]] = field(default_factory=list)
    logins: int = 0
    api_usage: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    _injected: list[tuple[int, str, str]] = field(default_factory=list)
    _serial: int = 0
    _clock: int = 0

    # --- what a test changes and reads -------------------------------------------------

    def fail_next(self, status: int, code: str, message: str, times: int = 1) -> None:
        self._injected.extend([(status, code, message)] * times)

    def expire_sessions(self) -> None:
        self.valid_tokens.clear()

    def case_by_external_id(self, value: str) -> dict[str, Any] | None:
        return next(
            (case for case in self.cases.values() if case[self.external_id_field] == value), None
        )

    def comments_on(self, case_id: str) -> list[str]:
        return [c["CommentBody"] for c in self.comments if c["ParentId"] == case_id]

    def session(self) -> requests.Session:
        http = requests.Session()
        adapter = StandInAdapter(self)  # type: ignore[arg-type]
        http.mount("https://", adapter)
        return http

    # --- the HTTP surface --------------------------------------------------------------

    def handle(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(url)
        self.requests_seen.append((method, parts.path))
        if parts.path == "/services/oauth2/token" and method == "POST":
            return self._token(f"{parts.scheme}://{parts.netloc}", body)
        if headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid_tokens:
            return 401, {}, _errors("INVALID_SESSION_ID", "Session expired or invalid")
        self.api_usage += 1
        limit = {"Sforce-Limit-Info": f"api-usage={self.api_usage}/{DAILY_LIMIT}"}
        if self.down:
            return 503, limit, _errors("SERVER_UNAVAILABLE", "Service temporarily unavailable")
        if self._injected:
            status, code, message = self._injected.pop(0)
            return status, limit, _errors(code, message)
        status, payload = self._data(method, parts.path, body, parts.query)
        return status, limit, payload

    def _data(self, method: str, path: str, body: bytes, query: str) -> tuple[int, Any]:
        segments = [unquote(s) for s in path.split("/") if s]
        # services, data, vNN.N, ...
        if len(segments) < 4 or segments[:2] != ["services", "data"]:
            return 404, _errors("NOT_FOUND", "The requested resource does not exist")
        rest = segments[3:]
        if rest == ["query"] and method == "GET":
            return self._query(query)
        if rest == ["limits"] and method == "GET":
            remaining = DAILY_LIMIT - self.api_usage
            return 200, {"DailyApiRequests": {"Max": DAILY_LIMIT, "Remaining": remaining}}
        if rest[:2] == ["sobjects", "Case"] and len(rest) == 4:
            return self._case(method, rest[2], rest[3], body)
        if rest[:2] == ["sobjects", "CaseComment"] and len(rest) == 2 and method == "POST":
            return self._comment(json.loads(body or b"{}"))
        return 404, _errors("NOT_FOUND", "The requested resource does not exist")

    def _case(self, method: str, field_name: str, value: str, body: bytes) -> tuple[int, Any]:
        if field_name != self.external_id_field:
            return 404, _errors(
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {field_name}",
            )
        existing = self.case_by_external_id(value)
        if method == "GET":
            if existing is None:
                return 404, _errors("NOT_FOUND", "The requested resource does not exist")
            return 200, {"attributes": {"type": "Case"}, **existing}
        if method != "PATCH":
            return 405, _errors("METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed")
        fields = json.loads(body or b"{}")
        problem = _invalid_case(fields)
        if problem is not None:
            return 400, problem
        if existing is not None:
            existing.update(fields, SystemModstamp=self._stamp())
            return 204, None
        self._serial += 1
        case_id = f"500{self._serial:015d}"[:18]
        self.cases[case_id] = {
            "Id": case_id,
            "CaseNumber": f"{len(self.cases) + 1:08d}",
            "IsClosed": False,
            "SystemModstamp": self._stamp(),
            self.external_id_field: value,
            **fields,
        }
        return 201, {"id": case_id, "success": True, "errors": [], "created": True}

    def close_case(self, case_id: str, status: str = "Closed") -> None:
        """What an agent closing the Case in Salesforce does."""
        self.cases[case_id].update(Status=status, IsClosed=True, SystemModstamp=self._stamp())

    def _query(self, query: str) -> tuple[int, Any]:
        """The one query status polling sends: Cases with the external id, changed since a
        SystemModstamp, oldest change first."""
        soql = parse_qs(query).get("q", [""])[0]
        match = _CHANGED_CASES.fullmatch(soql.strip())
        if match is None or match["field"] != self.external_id_field:
            return 400, _errors("MALFORMED_QUERY", f"unexpected query: {soql}")
        since = match["since"]
        rows = [
            case
            for case in self.cases.values()
            if since is None or case["SystemModstamp"] > since.replace("Z", "+0000")
        ]
        rows.sort(key=lambda case: case["SystemModstamp"])
        records = [{"attributes": {"type": "Case"}, **row} for row in rows[: int(match["limit"])]]
        return 200, {"totalSize": len(records), "done": True, "records": records}

    def _stamp(self) -> str:
        self._clock += 1
        return f"2026-12-07T10:{self._clock // 60:02d}:{self._clock % 60:02d}.000+0000"

    def _comment(self, fields: dict[str, Any]) -> tuple[int, Any]:
        if fields.get("ParentId") not in self.cases:
            return 400, _errors(
                "FIELD_INTEGRITY_EXCEPTION",
                "Parent Case ID: id value of incorrect type",
                ["ParentId"],
            )
        if len(str(fields.get("CommentBody", ""))) > 4000:
            return 400, _errors("STRING_TOO_LONG", "Body: data value too large", ["CommentBody"])
        self._serial += 1
        comment_id = f"00a{self._serial:015d}"[:18]
        self.comments.append({"Id": comment_id, **fields})
        return 201, {"id": comment_id, "success": True, "errors": []}

    def _token(self, host: str, body: bytes) -> tuple[int, dict[str, str], Any]:
        form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
        refusal = self._refusal(host, form)
        if refusal is not None:
            return 400, {}, refusal
        self.logins += 1
        self._serial += 1
        token = f"00Dstandin!token{self._serial}"
        if self.rest_accepts_new_sessions:
            self.valid_tokens.add(token)
        payload = {"access_token": token, "instance_url": INSTANCE_URL, "token_type": "Bearer"}
        return 200, {}, payload

    def _refusal(self, host: str, form: dict[str, str]) -> dict[str, str] | None:
        if form.get("grant_type") == "client_credentials":
            if (form.get("client_id"), form.get("client_secret")) != (CONSUMER_KEY, CLIENT_SECRET):
                return {
                    "error": "invalid_client",
                    "error_description": "invalid client credentials",
                }
            return None
        if form.get("grant_type") != JWT_GRANT or self.public_key is None:
            return {
                "error": "unsupported_grant_type",
                "error_description": "grant type not supported",
            }
        try:
            claims = jwt.decode(
                form.get("assertion", ""), self.public_key, algorithms=["RS256"], audience=host
            )
        except jwt.PyJWTError as exc:
            return {"error": "invalid_grant", "error_description": f"invalid assertion: {exc}"}
        if claims.get("iss") != CONSUMER_KEY:
            return {"error": "invalid_client_id", "error_description": "client identifier invalid"}
        if claims.get("sub") != USERNAME:
            return {
                "error": "invalid_grant",
                "error_description": "user hasn't approved this consumer",
            }
        return None


def _invalid_case(fields: dict[str, Any]) -> list[dict[str, Any]] | None:
    unknown = sorted(set(fields) - CASE_FIELDS)
    if unknown:
        return _errors("INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type Case")
    if fields.get("Priority") not in (None, *PRIORITIES):
        return _errors(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"Priority: bad value for restricted picklist field: {fields['Priority']}",
            ["Priority"],
        )
    if len(str(fields.get("Subject", ""))) > 255:
        return _errors("STRING_TOO_LONG", "Subject: data value too large", ["Subject"])
    return None


def _errors(code: str, message: str, fields: list[str] | None = None) -> list[dict[str, Any]]:
    return [{"message": message, "errorCode": code, "fields": fields or []}]
