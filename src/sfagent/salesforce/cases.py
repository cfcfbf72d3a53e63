"""A conversation as a Salesforce Case: the fields, the transcript as comments, and the calls
(through simple-salesforce) with their failures sorted by what to do about them."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

CASE_PRIORITY = {"urgent": "High", "high": "High", "normal": "Medium", "low": "Low"}
SUBJECT_CHARS = 255
DESCRIPTION_CHARS = 32_000
COMMENT_CHARS = 4_000  # CaseComment.CommentBody
ROLE_LABELS = {"user": "Customer", "assistant": "sfagent", "agent": "Agent", "system": "System"}
RETRYABLE_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
LIMIT_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "TOTAL_REQUESTS_LIMIT_EXCEEDED"})


class Failure(enum.StrEnum):
    RETRY = "retry"  # busy or locked: try again with backoff
    LIMIT = "limit"  # the org's API allowance is spent: wait, do not burn attempts
    SESSION = "session"  # the session ended: log in again, once
    PERMANENT = "permanent"  # the request itself is wrong: a person must look


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    sequence: int
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Comment:
    body: str
    through_sequence: int  # the last message it holds


def case_fields(
    *,
    subject: str,
    description: str,
    priority: str,
    origin: str,
    supplied_email: str | None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "Subject": subject[:SUBJECT_CHARS],
        "Description": description[:DESCRIPTION_CHARS],
        "Priority": CASE_PRIORITY.get(priority, "Medium"),
        "Origin": origin,
        "Status": "New",
    }
    if supplied_email:
        fields["SuppliedEmail"] = supplied_email
    return fields


def transcript_comments(lines: Sequence[TranscriptLine]) -> list[Comment]:
    """The messages as comments of at most COMMENT_CHARS, in order, none split across two
    unless a single message is longer than a comment."""
    comments: list[Comment] = []
    body, through = "", 0
    for line in lines:
        text = f"[{ROLE_LABELS.get(line.role, line.role)} #{line.sequence}] {line.content}\n"
        for piece in _pieces(text):
            if body and len(body) + len(piece) > COMMENT_CHARS:
                comments.append(Comment(body.rstrip("\n"), through))
                body = ""
            body += piece
        through = line.sequence
    if body:
        comments.append(Comment(body.rstrip("\n"), through))
    return comments


def _pieces(text: str) -> list[str]:
    return [text[i : i + COMMENT_CHARS] for i in range(0, len(text), COMMENT_CHARS)] or [""]


def classify(error: Exception) -> Failure:
    """What a failed call calls for, from the status and the documented errorCode."""
    if isinstance(error, SalesforceExpiredSession):
        return Failure.SESSION
    if not isinstance(error, SalesforceError):
        return Failure.RETRY  # network trouble
    codes = {item.get("errorCode") for item in _error_items(error)}
    if codes & LIMIT_CODES:
        return Failure.LIMIT
    if error.status >= 500 or codes & RETRYABLE_CODES:
        return Failure.RETRY
    return Failure.PERMANENT


def describe(error: Exception) -> str:
    """One line for the outbox's last_error and the dead-letter view."""
    if isinstance(error, SalesforceError):
        items = _error_items(error)
        if items:
            first = items[0]
            fields = f" (fields: {', '.join(first['fields'])})" if first.get("fields") else ""
            return f"{error.status} {first.get('errorCode')}: {first.get('message')}{fields}"
        return f"{error.status} from {error.resource_name}"
    return f"{type(error).__name__}: {error}"


def _error_items(error: SalesforceError) -> list[dict[str, Any]]:
    content = error.content
    if isinstance(content, list):
        return [item for item in content if isinstance(item, dict)]
    if isinstance(content, dict):
        return [content]
    return []


class CaseClient:
    """The two calls a sync makes. Blocking: call from a thread."""

    def __init__(self, client: Salesforce, external_id_field: str) -> None:
        self.client = client
        self.external_id_field = external_id_field

    def upsert(self, conversation_id: str, fields: dict[str, Any]) -> str:
        """Create or update the conversation's Case by its external id; return the Case Id.
        Upsert is what makes a retried job update the Case it made instead of a second one."""
        key = f"{self.external_id_field}/{conversation_id}"
        cases = self._object("Case")
        cases.upsert(key, fields)
        record = cases.get_by_custom_id(self.external_id_field, conversation_id)
        return str(record["Id"])

    def comment(self, case_id: str, body: str) -> str:
        result = self._object("CaseComment").create(
            {"ParentId": case_id, "CommentBody": body, "IsPublished": False}
        )
        return str(result["id"])

    def _object(self, name: str) -> SFType:
        # Attribute access is typed as any of the API's handles; these are sObjects.
        return cast(SFType, getattr(self.client, name))
