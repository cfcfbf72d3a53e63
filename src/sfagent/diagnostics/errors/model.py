"""Frozen result types of the error catalog: entries, stack frames and matches."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sfagent.diagnostics.findings import Severity


class Category(StrEnum):
    """Support category of an error; shared with the NLU's support categories."""

    APEX_RUNTIME_ERROR = "apex_runtime_error"
    GOVERNOR_LIMIT = "governor_limit"
    SOQL_ERROR = "soql_error"
    DML_VALIDATION_ERROR = "dml_validation_error"
    API_INTEGRATION = "api_integration"
    AUTHENTICATION_LOGIN = "authentication_login"
    PERMISSIONS_SHARING = "permissions_sharing"
    DATA_IMPORT_EXPORT = "data_import_export"
    FLOW_AUTOMATION = "flow_automation"
    DEPLOYMENT_METADATA = "deployment_metadata"
    LIGHTNING_LWC = "lightning_lwc"
    REPORTS_DASHBOARDS = "reports_dashboards"
    BILLING_ACCOUNT = "billing_account"
    HOW_TO_CONFIG = "how_to_config"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One known Salesforce error: how to recognise it, why it happens, how to fix it."""

    id: str
    title: str
    category: Category
    severity: Severity
    cause: str
    fix: tuple[str, ...]
    doc_url: str
    patterns: tuple[str, ...]
    examples: tuple[str, ...]
    exception: str | None = None
    status_code: str | None = None
    limit: str | None = None
    keywords: tuple[str, ...] = ()
    # Text that, when present anywhere in the paste, marks this entry's setting (e.g. a flow).
    context: tuple[str, ...] = ()
    # A general or wrapping error: a more specific match in the same text is preferred.
    generic: bool = False
    # Breaks ties between entries whose patterns match the same words.
    priority: int = 0
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description of the entry (matching data left out)."""
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category.value,
            "severity": self.severity.value,
            "exception": self.exception,
            "status_code": self.status_code,
            "cause": self.cause,
            "fix": list(self.fix),
            "limit": self.limit,
            "doc_url": self.doc_url,
            "keywords": list(self.keywords),
        }


@dataclass(frozen=True, slots=True)
class StackFrame:
    """One Apex stack trace line, e.g. `Class.AccountService.save: line 42, column 1`."""

    kind: str  # "class", "trigger", "anonymous", "system" or "external"
    name: str | None  # class (with inner classes) or trigger name
    method: str | None
    line: int | None
    column: int | None
    namespace: str | None
    text: str
    start: int  # character offset in the analysed text
    managed: bool = False
    trace: int = 0  # frames of one stack trace share this number, counted from 0
    origin: bool = False  # the frame of its trace most likely to be the user's own code

    @property
    def is_user_code(self) -> bool:
        """True for frames of org code that carry a line number."""
        return self.kind in {"class", "trigger", "anonymous"} and not self.managed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "name": self.name,
            "method": self.method,
            "line": self.line,
            "column": self.column,
            "namespace": self.namespace,
            "managed": self.managed,
            "trace": self.trace,
            "origin": self.origin,
            "text": self.text,
            "start": self.start,
        }


@dataclass(frozen=True, slots=True)
class ErrorDetails:
    """Values read from the matched message itself."""

    exception_type: str | None = None
    status_code: str | None = None
    count: int | None = None  # the number the message reports (queries issued, bytes used)
    limit_value: int | None = None  # the limit that number went over, when the message implies it
    fields: tuple[str, ...] = ()
    object_name: str | None = None
    record_id: str | None = None
    row: int | None = None  # failed row of a DML batch
    extra: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "exception_type": self.exception_type,
            "status_code": self.status_code,
            "count": self.count,
            "limit_value": self.limit_value,
            "fields": list(self.fields),
            "object_name": self.object_name,
            "record_id": self.record_id,
            "row": self.row,
            "extra": dict(self.extra),
        }


@dataclass(frozen=True, slots=True)
class ErrorMatch:
    """A catalog entry recognised in a pasted text, with where and what was found."""

    entry: CatalogEntry
    score: float
    matched_text: str
    span: tuple[int, int]  # character offsets in the analysed text, end exclusive
    line: int  # 1-based line of the match in the analysed text
    details: ErrorDetails
    frames: tuple[StackFrame, ...] = ()

    @property
    def entry_id(self) -> str:
        """Id of the matched entry."""
        return self.entry.id

    @property
    def origin(self) -> StackFrame | None:
        """The frame most likely to be the user's own code, if a stack trace was found."""
        return next((frame for frame in self.frames if frame.origin), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by the CLI and the REST API."""
        origin = self.origin
        return {
            **self.entry.to_dict(),
            "score": round(self.score, 2),
            "matched_text": self.matched_text,
            "span": list(self.span),
            "line": self.line,
            "details": self.details.to_dict(),
            "frames": [frame.to_dict() for frame in self.frames],
            "origin": origin.to_dict() if origin else None,
        }


@dataclass(frozen=True, slots=True)
class ErrorAnalysis:
    """Everything recognised in one pasted text, best match first."""

    matches: tuple[ErrorMatch, ...]
    frames: tuple[StackFrame, ...]
    total_chars: int
    scanned_chars: int

    @property
    def truncated(self) -> bool:
        """True when the text was longer than the scan cap and only part was read."""
        return self.scanned_chars < self.total_chars

    @property
    def best(self) -> ErrorMatch | None:
        """The most likely entry, or None when nothing known was recognised."""
        return self.matches[0] if self.matches else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by the CLI and the REST API."""
        return {
            "matches": [match.to_dict() for match in self.matches],
            "frames": [frame.to_dict() for frame in self.frames],
            "total_chars": self.total_chars,
            "scanned_chars": self.scanned_chars,
            "truncated": self.truncated,
        }
