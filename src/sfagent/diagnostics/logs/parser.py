"""Streaming analysis of Apex debug logs: one pass, bounded memory, any size."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from sfagent.diagnostics.logs.events import (
    LogEvent,
    field_value,
    has_truncation_marker,
    parse_event_line,
    parse_header_line,
    parse_limit_line,
    source_location,
    split_exception,
    stack_frame_line,
)
from sfagent.diagnostics.logs.model import (
    ApexException,
    LimitUsage,
    LogAnalysis,
    LogHeader,
    ValidationFailure,
)
from sfagent.diagnostics.logs.reading import (
    ReadStats,
    lines_from_iterable,
    lines_from_path,
    lines_from_text,
)
from sfagent.diagnostics.logs.summary import summarize
from sfagent.diagnostics.logs.tree import TreeBuilder

MAX_EXCEPTIONS = 500
MAX_STACK_LINES = 50
MAX_TEXT_CHARS = 2_000
MAX_NAME_CHARS = 300
MAX_FLOWS = 200
MAX_VALIDATION_FAILURES = 200

# Opening and closing events of the tree, by frame kind.
_OPENERS = {
    "EXECUTION_STARTED": "execution",
    "CODE_UNIT_STARTED": "code_unit",
    "METHOD_ENTRY": "method",
    "CONSTRUCTOR_ENTRY": "constructor",
    "SYSTEM_METHOD_ENTRY": "system_method",
    "SOQL_EXECUTE_BEGIN": "soql",
    "SOSL_EXECUTE_BEGIN": "sosl",
    "DML_BEGIN": "dml",
    "CALLOUT_REQUEST": "callout",
    "FLOW_START_INTERVIEWS_BEGIN": "flow",
    "FLOW_ELEMENT_BEGIN": "flow_element",
    "VALIDATION_RULE": "validation",
}
_CLOSERS = {
    "EXECUTION_FINISHED": "execution",
    "CODE_UNIT_FINISHED": "code_unit",
    "METHOD_EXIT": "method",
    "CONSTRUCTOR_EXIT": "constructor",
    "SYSTEM_METHOD_EXIT": "system_method",
    "SOQL_EXECUTE_END": "soql",
    "SOSL_EXECUTE_END": "sosl",
    "DML_END": "dml",
    "CALLOUT_RESPONSE": "callout",
    "FLOW_START_INTERVIEWS_END": "flow",
    "FLOW_ELEMENT_END": "flow_element",
    "VALIDATION_PASS": "validation",
    "VALIDATION_FAIL": "validation",
}
_CONTINUATION_EVENTS = {"FATAL_ERROR", "EXCEPTION_THROWN", "LIMIT_USAGE_FOR_NS"}

LineSource = str | os.PathLike[str] | Iterable[str]


def cap_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Cut stored text so one absurd line cannot dominate memory."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def frame_name(event: LogEvent) -> str:
    """Human name of an opening event: unit, method signature, query text..."""
    fields = event.fields
    located = bool(fields) and source_location(fields[0]) is not None
    body = fields[1:] if located else fields
    if event.type == "CODE_UNIT_STARTED":
        names = [f for f in body if not f.startswith("__sfdc_")]
        text = names[-1] if names else ""
    elif event.type in ("METHOD_ENTRY", "SYSTEM_METHOD_ENTRY"):
        text = body[-1] if body else ""
    elif event.type == "CONSTRUCTOR_ENTRY":
        text = ".".join(reversed(body[-2:])) if len(body) >= 2 else "|".join(body)
    elif event.type in ("SOQL_EXECUTE_BEGIN", "SOSL_EXECUTE_BEGIN"):
        text = " ".join("|".join(body[1:]).split())
    elif event.type == "DML_BEGIN":
        text = " ".join(f for f in body if not f.startswith("Rows:"))
    elif event.type == "EXECUTION_STARTED":
        text = "transaction"
    elif event.type == "FLOW_START_INTERVIEWS_BEGIN":
        text = "flow"
    elif event.type == "FLOW_ELEMENT_BEGIN":
        text = " ".join(body[1:3])
    elif event.type == "VALIDATION_RULE":
        text = body[-1] if body else ""
    else:
        text = event.type
    return cap_text(text, MAX_NAME_CHARS)


class LogAnalyzer:
    """Consumes log lines one at a time; `finish` returns the frozen analysis."""

    def __init__(self) -> None:
        self._tree = TreeBuilder()
        self._header: LogHeader | None = None
        self._preamble = 0
        self._timestamped = 0
        self._counts: dict[str, int] = {}
        self._first_ns: int | None = None
        self._min_ns: int | None = None
        self._max_ns: int | None = None
        self._exceptions: list[ApexException] = []
        self._exceptions_dropped = 0
        self._limit_blocks = 0
        self._limits: dict[str, dict[str, LimitUsage]] = {}
        self._limit_namespace: str | None = None
        self._pending_fatal: tuple[LogEvent, list[str]] | None = None
        self._continuation: Callable[[int, str], None] | None = None
        self._soql_rows = 0
        self._dml_rows = 0
        self._flows: list[str] = []
        self._validations = 0
        self._validation_failures: list[ValidationFailure] = []
        self._truncated = False

    def feed(self, log_line: int, text: str) -> None:
        """Analyse the next physical line (1-based number, line end removed)."""
        if not self._truncated and has_truncation_marker(text):
            self._truncated = True
        event = parse_event_line(log_line, text)
        if event is None:
            self._feed_untimed(log_line, text)
            return
        self._end_continuation()
        self._timestamped += 1
        self._counts[event.type] = self._counts.get(event.type, 0) + 1
        self._track_ns(event.ns)
        self._dispatch(event)

    def _feed_untimed(self, log_line: int, text: str) -> None:
        if self._header is None and self._timestamped == 0:
            self._header = parse_header_line(text)
            if self._header is None:
                self._preamble += 1
            return
        if self._continuation is not None:
            self._continuation(log_line, text)

    def _track_ns(self, ns: int | None) -> None:
        if ns is None:
            return
        if self._first_ns is None:
            self._first_ns = ns
        self._tree.last_ns = ns
        self._min_ns = ns if self._min_ns is None else min(self._min_ns, ns)
        self._max_ns = ns if self._max_ns is None else max(self._max_ns, ns)

    def _dispatch(self, event: LogEvent) -> None:
        kind = _OPENERS.get(event.type)
        if kind is not None:
            self._open(kind, event)
        kind = _CLOSERS.get(event.type)
        if kind is not None:
            self._close(kind, event)
        if event.type in _CONTINUATION_EVENTS:
            self._start_continuation(event)
        elif event.type == "FLOW_START_INTERVIEW_BEGIN":
            self._note_flow(event)
        elif event.type == "VALIDATION_ERROR":
            self._note_validation_error(event)

    def _open(self, kind: str, event: LogEvent) -> None:
        located = event.fields and source_location(event.fields[0])
        detail = ""
        if kind == "dml":
            rows = field_value(event.fields, "Rows:")
            self._dml_rows += int(rows) if rows and rows.isdigit() else 0
            detail = f"Rows:{rows}" if rows else ""
        elif kind == "validation":
            self._validations += 1
        name = frame_name(event)
        self._tree.open(kind, name, event.log_line, located or None, event.ns, detail)

    def _close(self, kind: str, event: LogEvent) -> None:
        detail = ""
        if kind == "soql":
            rows = field_value(event.fields, "Rows:")
            self._soql_rows += int(rows) if rows and rows.isdigit() else 0
            detail = f"Rows:{rows}" if rows else ""
        elif event.type == "VALIDATION_FAIL":
            detail = "failed"
            self._record_validation_failure(self._tree.top.name, event.log_line, "")
        self._tree.close(kind, event.ns, detail)

    def _note_flow(self, event: LogEvent) -> None:
        name = cap_text(event.fields[-1], MAX_NAME_CHARS) if event.fields else ""
        top = self._tree.top
        if top.kind == "flow" and top.name == "flow":
            top.name = name
        elif top.kind == "flow" and name not in top.name:
            top.name = cap_text(f"{top.name}, {name}", MAX_NAME_CHARS)
        if len(self._flows) < MAX_FLOWS and name not in self._flows:
            self._flows.append(name)

    def _note_validation_error(self, event: LogEvent) -> None:
        message = cap_text("|".join(event.fields))
        failures = self._validation_failures
        if failures and not failures[-1].message:
            failures[-1] = replace(failures[-1], message=message)
        else:
            self._record_validation_failure("", event.log_line, message)

    def _record_validation_failure(self, rule: str, log_line: int, message: str) -> None:
        if len(self._validation_failures) < MAX_VALIDATION_FAILURES:
            self._validation_failures.append(ValidationFailure(rule, log_line, message))

    def _start_continuation(self, event: LogEvent) -> None:
        if event.type == "LIMIT_USAGE_FOR_NS":
            self._limit_blocks += 1
            self._limit_namespace = event.fields[0] if event.fields else ""
            self._continuation = self._read_limit_line
        elif event.type == "FATAL_ERROR":
            self._pending_fatal = (event, [])
            self._continuation = self._read_stack_line
        else:
            self._record_exception("thrown", event, ())

    def _read_limit_line(self, log_line: int, text: str) -> None:
        reading = parse_limit_line(text)
        if reading is None or self._limit_namespace is None:
            return
        namespace = self._limit_namespace
        per_ns = self._limits.setdefault(namespace, {})
        best = per_ns.get(reading.key)
        # Values are cumulative, so the maximum is the transaction's real usage; the first
        # line that reached it is the one we point to.
        if best is None or reading.used > best.used:
            per_ns[reading.key] = LimitUsage(
                namespace,
                reading.key,
                reading.label,
                reading.used,
                reading.limit,
                log_line,
                reading.flagged_close,
            )

    def _read_stack_line(self, log_line: int, text: str) -> None:
        if self._pending_fatal is not None and len(self._pending_fatal[1]) < MAX_STACK_LINES:
            stripped = text.strip()
            if stripped:
                self._pending_fatal[1].append(cap_text(stripped, MAX_NAME_CHARS))

    def _end_continuation(self) -> None:
        if self._pending_fatal is not None:
            event, stack = self._pending_fatal
            self._pending_fatal = None
            self._record_exception("fatal", event, tuple(stack))
        self._continuation = None
        self._limit_namespace = None

    def _record_exception(self, kind: str, event: LogEvent, stack: tuple[str, ...]) -> None:
        if len(self._exceptions) >= MAX_EXCEPTIONS:
            self._exceptions_dropped += 1
            return
        fields = event.fields
        location = source_location(fields[0]) if fields else None
        text = "|".join(fields[1:] if location is not None else fields)
        type_name, message = split_exception(text)
        if location is None:
            location = next((line for f in stack if (line := stack_frame_line(f))), None)
        self._exceptions.append(
            ApexException(kind, type_name, cap_text(message), event.log_line, location, stack)
        )

    def finish(self, stats: ReadStats) -> LogAnalysis:
        """Close what is still open and freeze the result (with its summary)."""
        self._end_continuation()
        tree = self._tree.finish()
        analysis = LogAnalysis(
            source=stats.freeze(),
            header=self._header,
            preamble_lines=self._preamble,
            timestamped_lines=self._timestamped,
            event_counts=dict(sorted(self._counts.items())),
            first_ns=self._first_ns,
            last_ns=self._tree.last_ns,
            min_ns=self._min_ns,
            max_ns=self._max_ns,
            exceptions=tuple(self._exceptions),
            exceptions_dropped=self._exceptions_dropped,
            limit_blocks=self._limit_blocks,
            limits={ns: dict(per_ns) for ns, per_ns in sorted(self._limits.items())},
            tree=tree,
            tree_nodes_kept=self._tree.nodes_kept,
            tree_nodes_omitted=self._tree.nodes_omitted,
            aggregates=self._tree.aggregates(),
            slowest=self._tree.slowest(),
            soql_rows=self._soql_rows,
            dml_rows=self._dml_rows,
            flows=tuple(self._flows),
            validation_rules_evaluated=self._validations,
            validation_failures=tuple(self._validation_failures),
            truncated_marker=self._truncated,
            unterminated_frames=self._tree.unterminated,
            open_at_end=self._tree.open_at_end,
        )
        return replace(analysis, summary=summarize(analysis))


def analyze_lines(lines: Iterator[str], stats: ReadStats) -> LogAnalysis:
    """Run the analyzer over lines that fill `stats` as they are read."""
    analyzer = LogAnalyzer()
    for log_line, text in enumerate(lines, start=1):
        analyzer.feed(log_line, text)
    return analyzer.finish(stats)


def parse_log(source: LineSource) -> LogAnalysis:
    """Analyse a log file (path) or an iterable of lines (e.g. an open text file)."""
    stats = ReadStats()
    if isinstance(source, str | os.PathLike):
        return analyze_lines(lines_from_path(source, stats), stats)
    return analyze_lines(lines_from_iterable(source, stats), stats)


def parse_log_text(text: str) -> LogAnalysis:
    """Analyse a log pasted as one string."""
    stats = ReadStats()
    return analyze_lines(lines_from_text(text, stats), stats)
