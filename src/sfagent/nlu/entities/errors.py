"""Errors: Apex/Java exception names, Salesforce API status codes, OAuth errors, HTTP statuses."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sfagent.nlu.entities.model import Entity, EntityType, MetaValue, make_entity

_EXCEPTION = re.compile(r"(?<![\w.])(?:[A-Za-z]\w{0,40}\.){0,3}[A-Z]\w{0,60}?Exception(?!\w)")

STATUS_CODES = frozenset(
    [
        "API_CURRENTLY_DISABLED",
        "API_DISABLED_FOR_ORG",
        "CANNOT_EXECUTE_FLOW_TRIGGER",
        "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
        "CIRCULAR_DEPENDENCY",
        "DELETE_FAILED",
        "DEPENDENCY_EXISTS",
        "DUPLICATE_VALUE",
        "DUPLICATES_DETECTED",
        "ENTITY_IS_DELETED",
        "ENTITY_IS_LOCKED",
        "EXCEEDED_ID_LIMIT",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "FIELD_FILTER_VALIDATION_EXCEPTION",
        "FIELD_INTEGRITY_EXCEPTION",
        "INACTIVE_OWNER_OR_USER",
        "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
        "INSUFFICIENT_ACCESS_OR_READONLY",
        "INVALID_AUTH_HEADER",
        "INVALID_CROSS_REFERENCE_KEY",
        "INVALID_EMAIL_ADDRESS",
        "INVALID_FIELD",
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "INVALID_ID_FIELD",
        "INVALID_LOGIN",
        "INVALID_OPERATION",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "INVALID_QUERY_FILTER_OPERATOR",
        "INVALID_SEARCH",
        "INVALID_SESSION_ID",
        "INVALID_TYPE",
        "LIMIT_EXCEEDED",
        "LOGIN_MUST_USE_SECURITY_TOKEN",
        "MALFORMED_ID",
        "MALFORMED_QUERY",
        "METHOD_NOT_ALLOWED",
        "MIXED_DML_OPERATION",
        "NOT_FOUND",
        "QUERY_TIMEOUT",
        "REQUEST_LIMIT_EXCEEDED",
        "REQUIRED_FIELD_MISSING",
        "STORAGE_LIMIT_EXCEEDED",
        "STRING_TOO_LONG",
        "UNABLE_TO_LOCK_ROW",
        "UNKNOWN_EXCEPTION",
    ]
)
_STATUS_SHAPE = re.compile(r"(?<![\w.])[A-Z][A-Z0-9]*+(?:_[A-Z0-9]++)++(?![\w.])")
_STATUS_SUFFIXES = ("_EXCEPTION", "_EXCEEDED", "_MISSING", "_DENIED", "_EXPIRED", "_TOO_LONG")
_STATUS_PREFIXES = (
    "INVALID_",
    "UNABLE_TO_",
    "CANNOT_",
    "INSUFFICIENT_",
    "DUPLICATE_",
    "MALFORMED_",
)

OAUTH_ERRORS = frozenset(
    [
        "invalid_grant",
        "invalid_client",
        "invalid_client_id",
        "invalid_request",
        "unsupported_grant_type",
        "unsupported_response_type",
        "invalid_scope",
        "unauthorized_client",
        "redirect_uri_mismatch",
        "access_denied",
        "inactive_user",
        "inactive_org",
    ]
)
_OAUTH = re.compile(r"(?<![\w.])[a-z]+(?:_[a-z]+)+(?![\w.])")

_HTTP_REASONS = (
    "bad request|unauthorized|forbidden|not found|method not allowed|request timeout|conflict|"
    "precondition failed|unsupported media type|too many requests|internal server error|"
    "bad gateway|service unavailable|gateway timeout"
)
_HTTP = re.compile(
    rf"\b(?:HTTP(?:/\d(?:\.\d)?)?|status(?:\s+code)?|error(?:\s+code)?|response)\s*[:=]?\s*"
    rf"(?P<code>[45]\d\d)\b|\b(?P<code2>[45]\d\d)\s+(?:{_HTTP_REASONS})\b",
    re.IGNORECASE,
)

# Well-known runtime messages, mapped to the exception or status code that carries them.
_MESSAGES: tuple[tuple[str, str | None], ...] = (
    (r"attempt to de-?reference a null object", "System.NullPointerException"),
    (r"argument cannot be null", "System.NullPointerException"),
    (r"list has no rows for assignment to sobject", "System.QueryException"),
    (r"non-selective query against large object type", "System.QueryException"),
    (r"list index out of bounds", "System.ListException"),
    (r"duplicate id in list", "System.ListException"),
    (
        r"sobject row was retrieved via soql without querying the requested field",
        "System.SObjectException",
    ),
    (r"you have uncommitted work pending", "System.CalloutException"),
    (r"callout from triggers are currently not supported", "System.CalloutException"),
    (r"unable to obtain exclusive access to this record", "UNABLE_TO_LOCK_ROW"),
    (r"session expired or invalid", "INVALID_SESSION_ID"),
    (r"insufficient privileges", None),
    (
        r"dml operation on setup object is not permitted after you have updated a non-setup "
        r"object",
        "MIXED_DML_OPERATION",
    ),
)
_MESSAGE = re.compile(
    "|".join(f"(?P<m{index}>{pattern})" for index, (pattern, _) in enumerate(_MESSAGES)),
    re.IGNORECASE,
)


_MESSAGE_CUES = (
    "null",
    "rows",
    "bounds",
    "duplicate id",
    "retrieved via",
    "uncommitted",
    "callout",
    "exclusive access",
    "session expired",
    "privileges",
    "setup object",
    "non-selective",
)
_DIGIT = re.compile(r"\d")
_HTTP_CUES = (
    "http",
    "status",
    "error",
    "response",
    "request",
    "unauthorized",
    "forbidden",
    "found",
    "allowed",
    "timeout",
    "conflict",
    "precondition",
    "unsupported",
    "gateway",
    "unavailable",
)


def find_errors(text: str) -> Iterator[Entity]:
    """Every kind of error reference in text."""
    # Substring cues skip scans that cannot match; most messages name no error at all.
    if "Exception" in text:
        yield from _exceptions(text)
    if "_" in text:
        yield from _status_codes(text)
        yield from _oauth_errors(text)
    lowered = text.lower()
    if _DIGIT.search(text) and any(cue in lowered for cue in _HTTP_CUES):
        yield from _http_statuses(text)
    if any(cue in lowered for cue in _MESSAGE_CUES):
        yield from _messages(text)


def _exceptions(text: str) -> Iterator[Entity]:
    for match in _EXCEPTION.finditer(text):
        name = match.group()
        namespace, _, short = name.rpartition(".")
        meta: dict[str, MetaValue] = {
            "kind": "exception",
            "name": short,
            "namespace": namespace or None,
        }
        yield make_entity(EntityType.ERROR, text, *match.span(), name, meta)


def is_status_code(token: str) -> bool:
    """True for a known API status code or one shaped like the documented families."""
    return (
        token in STATUS_CODES
        or token.endswith(_STATUS_SUFFIXES)
        or token.startswith(_STATUS_PREFIXES)
    )


def _status_codes(text: str) -> Iterator[Entity]:
    for match in _STATUS_SHAPE.finditer(text):
        token = match.group()
        if is_status_code(token):
            meta: dict[str, MetaValue] = {"kind": "status_code", "known": token in STATUS_CODES}
            yield make_entity(EntityType.ERROR, text, *match.span(), token, meta)


def _oauth_errors(text: str) -> Iterator[Entity]:
    for match in _OAUTH.finditer(text):
        if match.group() in OAUTH_ERRORS:
            meta: dict[str, MetaValue] = {"kind": "oauth"}
            yield make_entity(EntityType.ERROR, text, *match.span(), match.group(), meta)


def _http_statuses(text: str) -> Iterator[Entity]:
    for match in _HTTP.finditer(text):
        code = int(match.group("code") or match.group("code2"))
        meta: dict[str, MetaValue] = {"kind": "http_status", "status": code}
        yield make_entity(EntityType.ERROR, text, *match.span(), f"HTTP {code}", meta)


def _messages(text: str) -> Iterator[Entity]:
    for match in _MESSAGE.finditer(text):
        index = int((match.lastgroup or "m0")[1:])
        carrier = _MESSAGES[index][1]
        meta: dict[str, MetaValue] = {"kind": "message", "carried_by": carrier}
        value = match.group().lower()
        yield make_entity(EntityType.ERROR, text, *match.span(), value, meta)
