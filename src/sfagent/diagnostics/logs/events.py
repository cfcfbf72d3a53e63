"""Recognising the kinds of line an Apex debug log is made of."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from sfagent.diagnostics.logs.model import LogHeader

# The elapsed-ns group is optional: Developer Console exports and old logs lack it.
_EVENT_LINE = re.compile(r"(\d{1,2}:\d{2}:\d{2}\.\d+)(?: \((\d+)\))?\|([A-Z][A-Z0-9_]*)")
_HEADER_LINE = re.compile(r"\ufeff?(\d+\.\d+) ((?:[A-Z_]+,[A-Z]+;?)+)\s*$")
_LIMIT_LINE = re.compile(r"\s*(?:Number of|Maximum) (.+?): (\d+) out of (\d+)(.*)")
_STACK_FRAME = re.compile(r"(?:Class|Trigger|AnonymousBlock|Flow)\b.*: line (\d+), column \d+")
_TRUNCATION_MARKERS = ("*** Skipped ", "MAXIMUM DEBUG LOG SIZE REACHED")

# Short keys for the limits people ask about; anything else gets a slug of its label.
_LIMIT_KEYS = {
    "SOQL queries": "soql_queries",
    "query rows": "query_rows",
    "SOSL queries": "sosl_queries",
    "DML statements": "dml_statements",
    "Publish Immediate DML": "publish_immediate_dml",
    "DML rows": "dml_rows",
    "CPU time": "cpu_time",
    "heap size": "heap_size",
    "callouts": "callouts",
    "Email Invocations": "email_invocations",
    "future calls": "future_calls",
    "queueable jobs added to the queue": "queueable_jobs",
    "Mobile Apex push calls": "mobile_apex_push_calls",
}


class LogEvent(NamedTuple):
    """One timestamped line: `HH:MM:SS.f (ns)|TYPE|field|field...`."""

    log_line: int
    ns: int | None
    type: str
    fields: tuple[str, ...]


class LimitReading(NamedTuple):
    """One `Number of X: used out of max` line of a LIMIT_USAGE_FOR_NS block."""

    key: str
    label: str
    used: int
    limit: int
    flagged_close: bool


def parse_event_line(log_line: int, text: str) -> LogEvent | None:
    """Return the event on a timestamped line, or None for a continuation line."""
    match = _EVENT_LINE.match(text)
    if match is None:
        return None
    rest = text[match.end() :]
    if rest and rest[0] != "|":
        return None
    fields = tuple(rest[1:].split("|")) if rest else ()
    ns_text = match.group(2)
    return LogEvent(log_line, int(ns_text) if ns_text else None, match.group(3), fields)


def parse_header_line(text: str) -> LogHeader | None:
    """Return the header when the line is `<api-version> <CATEGORY>,<LEVEL>;...`."""
    match = _HEADER_LINE.match(text)
    if match is None:
        return None
    return LogHeader(api_version=match.group(1), log_levels=match.group(2))


def parse_limit_line(text: str) -> LimitReading | None:
    """Return the reading on a LIMIT_USAGE_FOR_NS continuation line."""
    match = _LIMIT_LINE.match(text)
    if match is None:
        return None
    label, used, limit, tail = match.groups()
    return LimitReading(limit_key(label), label, int(used), int(limit), "CLOSE TO LIMIT" in tail)


def limit_key(label: str) -> str:
    """Stable snake_case key for a limit label such as `SOQL queries`."""
    known = _LIMIT_KEYS.get(label)
    if known is not None:
        return known
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def stack_frame_line(text: str) -> str | None:
    """Line number of a stack frame such as `Class.X.m: line 47, column 1`."""
    match = _STACK_FRAME.search(text)
    return match.group(1) if match else None


def source_location(field_text: str) -> str | None:
    """`[42]` -> "42", `[EXTERNAL]` -> "EXTERNAL"; None when the field is no location."""
    # Same as fullmatch(r"\[(\w+)\]") (a word character is alphanumeric or "_"), without a
    # regex: this runs for every opening event.
    if field_text[:1] != "[" or field_text[-1:] != "]":
        return None
    inner = field_text[1:-1]
    return inner if inner.replace("_", "a").isalnum() else None


def split_exception(text: str) -> tuple[str, str]:
    """Split `System.LimitException: Too many SOQL queries: 101` into type and message."""
    type_name, sep, message = text.partition(": ")
    if not sep or " " in type_name.strip():
        return "", text.strip()
    return type_name.strip(), message.strip()


def has_truncation_marker(text: str) -> bool:
    """True for the lines Salesforce writes where it cut a log."""
    return "***" in text and any(marker in text for marker in _TRUNCATION_MARKERS)


def may_hold_truncation_marker(text: str) -> bool:
    """False when no line of a multi-line text can be one has_truncation_marker accepts."""
    # A one-character search first: it runs several times faster than the longer ones.
    if "*" not in text:
        return False
    return any(marker in text for marker in _TRUNCATION_MARKERS) and "***" in text


def field_value(fields: Sequence[str], prefix: str) -> str | None:
    """Value of the first `Prefix:value` field, e.g. `Rows:24` -> "24"."""
    for item in fields:
        if item.startswith(prefix):
            return item[len(prefix) :]
    return None
