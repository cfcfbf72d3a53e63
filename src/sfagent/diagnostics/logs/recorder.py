"""What the analyser does with the events that matter: tree, exceptions, limits, flows, rules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from sfagent.diagnostics.logs.events import (
    LimitReading,
    LogEvent,
    field_value,
    parse_limit_line,
    source_location,
    split_exception,
    stack_frame_line,
)
from sfagent.diagnostics.logs.model import ApexException, FlowError, LimitUsage, ValidationFailure
from sfagent.diagnostics.logs.naming import MAX_NAME_CHARS, MAX_TEXT_CHARS, cap_text, frame_name
from sfagent.diagnostics.logs.tree import TreeBuilder

MAX_EXCEPTIONS = 500
MAX_STACK_LINES = 50
MAX_FLOWS = 200
MAX_VALIDATION_FAILURES = 200
MAX_FLOW_ERRORS = 200
MAX_INTERVIEWS = 1_000
MAX_LIMIT_NAMESPACES = 500
MAX_LIMITS_PER_NAMESPACE = 100

_MAX_REMEMBERED_LIMIT_LINES = 2_048
_MAX_REMEMBERED_LINE_CHARS = 200
_UNREAD = LimitReading("", "", 0, 0, False)  # marks a limit line not parsed yet

Continuation = Callable[[int, str], None]


def rows_of(fields: Sequence[str]) -> tuple[int, str]:
    """Rows of a `Rows:N` field as a number (0 when absent) and as the frame detail."""
    rows = field_value(fields, "Rows:")
    return (int(rows) if rows and rows.isdigit() else 0), (f"Rows:{rows}" if rows else "")


class EventRecorder:
    """Turns the events that matter into the tree, exceptions, limits, flows and validations."""

    def __init__(self) -> None:
        self.tree = TreeBuilder()
        self.exceptions: list[ApexException] = []
        self.exceptions_dropped = 0
        self.limit_blocks = 0
        # Highest reading so far per namespace and limit key, with the line that reached it;
        # frozen into LimitUsage objects only at the end (they are slow to build).
        self._limit_peaks: dict[str, dict[str, tuple[LimitReading, int]]] = {}
        self.soql_rows = 0
        self.dml_rows = 0
        self.flows: list[str] = []
        self.flow_errors: list[FlowError] = []
        self.validations = 0
        self.validation_failures: list[ValidationFailure] = []
        # Set while an event's continuation lines are being read; the analyser calls it.
        self.continuation: Continuation | None = None
        self._limit_namespace: str | None = None
        self._limit_lines: dict[str, LimitReading | None] = {}
        self._pending_fatal: tuple[LogEvent, list[str], str | None] | None = None
        self._pending_text: tuple[LogEvent, list[str]] | None = None
        self._pending_chars = 0
        self._formula = ("", "")
        self._interviews: dict[str, str] = {}
        self._last_flow = ""
        # Interview id, element type and element name of the last FLOW_ELEMENT_BEGIN.
        self._last_element: tuple[str, ...] = ("", "", "")
        # Location of a `[line]` field text ("" when it is none), for the handlers' fast paths.
        self.locations: dict[str, str] = {}

    def open_frame(self, kind: str, event: LogEvent) -> None:
        """Push the frame an opening event starts (the general case)."""
        fields = event.fields
        located = source_location(fields[0]) if fields else None
        detail = ""
        if kind == "dml":
            rows, detail = rows_of(fields)
            self.dml_rows += rows
        elif kind == "validation":
            self.validations += 1
            self._formula = ("", "")
        elif kind == "flow_element" and len(fields) >= 3:
            self._last_element = tuple(cap_text(f, MAX_NAME_CHARS) for f in fields[:3])
        name = frame_name(event, located is not None)
        self.tree.open(kind, name, event.log_line, located, event.ns, detail)

    def close_query(self, ns: int | None, fields: Sequence[str]) -> None:
        """Pop a SOQL frame, adding its `Rows:N` to the rows read."""
        rows, detail = rows_of(fields)
        self.soql_rows += rows
        self.tree.close("soql", ns, detail)

    def close_frame(self, kind: str, event: LogEvent) -> None:
        """Pop the frame a closing event ends (the general case)."""
        detail = ""
        if event.type == "VALIDATION_FAIL":
            detail = "failed"
            formula, values = self._formula
            failure = ValidationFailure(self.tree.top.name, event.log_line, "", formula, values)
            self._add_validation_failure(failure)
        self.tree.close(kind, event.ns, detail)

    def note_interview(self, event: LogEvent) -> None:
        """Remember which flow an interview id runs (FLOW_CREATE_INTERVIEW_END and the like)."""
        if len(event.fields) >= 2 and len(self._interviews) < MAX_INTERVIEWS:
            interview = cap_text(event.fields[0], MAX_NAME_CHARS)
            self._interviews[interview] = cap_text(event.fields[-1], MAX_NAME_CHARS)

    def note_flow(self, event: LogEvent) -> None:
        """A flow interview starts: name the open flow frame and list the flow."""
        self.note_interview(event)
        name = cap_text(event.fields[-1], MAX_NAME_CHARS) if event.fields else ""
        self._last_flow = name
        top = self.tree.top
        if top.kind == "flow" and top.name == "flow":
            top.name = name
        elif top.kind == "flow" and name not in top.name:
            top.name = cap_text(f"{top.name}, {name}", MAX_NAME_CHARS)
        if len(self.flows) < MAX_FLOWS and name not in self.flows:
            self.flows.append(name)

    def note_validation_error(self, event: LogEvent) -> None:
        """The error a failed validation rule shows the user."""
        message = cap_text("|".join(event.fields))
        failures = self.validation_failures
        if failures and not failures[-1].message:
            failures[-1] = replace(failures[-1], message=message)
        else:
            self._add_validation_failure(ValidationFailure("", event.log_line, message))

    def _add_validation_failure(self, failure: ValidationFailure) -> None:
        if len(self.validation_failures) < MAX_VALIDATION_FAILURES:
            self.validation_failures.append(failure)

    def start_limit_block(self, event: LogEvent) -> None:
        """Read the `Number of X: used out of max` lines that follow."""
        self.limit_blocks += 1
        self._limit_namespace = event.fields[0] if event.fields else ""
        self.continuation = self._read_limit_line

    def _read_limit_line(self, log_line: int, text: str) -> None:
        # Most lines come back unchanged in every block ("Number of callouts: 0 out of 100").
        reading = self._limit_lines.get(text, _UNREAD)
        if reading is _UNREAD:
            reading = parse_limit_line(text)
            if len(text) <= _MAX_REMEMBERED_LINE_CHARS:
                if len(self._limit_lines) >= _MAX_REMEMBERED_LIMIT_LINES:
                    self._limit_lines.clear()
                self._limit_lines[text] = reading
        if reading is None or self._limit_namespace is None:
            return
        peaks = self._limit_peaks.get(self._limit_namespace)
        if peaks is None:
            if len(self._limit_peaks) >= MAX_LIMIT_NAMESPACES:
                return
            peaks = self._limit_peaks[self._limit_namespace] = {}
        best = peaks.get(reading.key)
        # Values are cumulative, so the maximum is the transaction's real usage; the first
        # line that reached it is the one we point to.
        if best is None and len(peaks) >= MAX_LIMITS_PER_NAMESPACE:
            return
        if best is None or reading.used > best[0].used:
            peaks[reading.key] = (reading, log_line)

    def limits(self) -> dict[str, dict[str, LimitUsage]]:
        """Highest usage of each limit per namespace, namespaces in name order."""
        return {
            namespace: {
                key: LimitUsage(
                    namespace,
                    key,
                    reading.label,
                    reading.used,
                    reading.limit,
                    log_line,
                    reading.flagged_close,
                )
                for key, (reading, log_line) in peaks.items()
            }
            for namespace, peaks in sorted(self._limit_peaks.items())
        }

    def start_fatal(self, event: LogEvent) -> None:
        """An uncaught exception: its stack trace follows on the untimed lines."""
        self._pending_fatal = (event, [], self._running_unit())
        self.continuation = self._read_stack_line

    def _read_stack_line(self, log_line: int, text: str) -> None:
        if self._pending_fatal is not None and len(self._pending_fatal[1]) < MAX_STACK_LINES:
            stripped = text.strip()
            if stripped:
                self._pending_fatal[1].append(cap_text(stripped, MAX_NAME_CHARS))

    def start_text(self, event: LogEvent) -> None:
        """An event whose text may go on over the following untimed lines."""
        first = cap_text("|".join(event.fields))
        self._pending_text = (event, [first])
        self._pending_chars = len(first)
        self.continuation = self._read_text_line

    def _read_text_line(self, log_line: int, text: str) -> None:
        room = MAX_TEXT_CHARS - self._pending_chars
        if self._pending_text is not None and room > 0:
            piece = text[:room]
            self._pending_text[1].append(piece)
            self._pending_chars += len(piece) + 1

    def end_continuation(self) -> None:
        """Finish the multi-line event in progress: a timestamped line has begun."""
        self.continuation = None
        self._limit_namespace = None
        if self._pending_fatal is not None:
            event, stack, unit = self._pending_fatal
            self._pending_fatal = None
            self._record_exception("fatal", event, tuple(stack), unit)
        if self._pending_text is not None:
            event, parts = self._pending_text
            self._pending_text = None
            text = "\n".join(parts)
            if event.type == "VALIDATION_FORMULA":
                formula, _, values = text.rpartition("|") if "|" in text else (text, "", "")
                self._formula = (formula.strip(), values.strip())
            elif len(self.flow_errors) < MAX_FLOW_ERRORS:
                if event.type == "FLOW_START_INTERVIEWS_ERROR":
                    self._record_start_error(event, text)
                else:
                    self._record_flow_error(event, text)

    def _record_start_error(self, event: LogEvent, text: str) -> None:
        # `message|interview id|flow name`: the interviews could not start.
        message, _, flow = text, "", self._last_flow
        parts = text.rsplit("|", 2)
        if len(parts) == 3:
            message, flow = parts[0], cap_text(parts[2].strip(), MAX_NAME_CHARS)
        self.flow_errors.append(FlowError(flow, "", "", " ".join(message.split()), event.log_line))

    def _record_flow_error(self, event: LogEvent, text: str) -> None:
        parts = text.rsplit("|", 2)
        # The element fields are optional; an element type always starts with "Flow".
        if len(parts) == 3 and parts[1].startswith("Flow"):
            message, element_type, element = parts
        else:
            message, element_type, element = text, self._last_element[1], self._last_element[2]
        interview, _, last_element = self._last_element
        flow = self._interviews.get(interview, "") if element == last_element else ""
        self.flow_errors.append(
            FlowError(
                flow=flow or self._last_flow,
                element=element.strip(),
                element_type=element_type.strip(),
                message=" ".join(message.split()),
                log_line=event.log_line,
                handled=event.type == "FLOW_ELEMENT_FAULT",
            )
        )

    def note_exception_thrown(self, event: LogEvent) -> None:
        """An exception was thrown (it may still be caught)."""
        self._record_exception("thrown", event, (), self._running_unit())

    def _running_unit(self) -> str | None:
        frame = self.tree.innermost("code_unit")
        return frame.name if frame is not None else None

    def _record_exception(
        self, kind: str, event: LogEvent, stack: tuple[str, ...], unit: str | None
    ) -> None:
        if len(self.exceptions) >= MAX_EXCEPTIONS:
            self.exceptions_dropped += 1
            return
        fields = event.fields
        location = source_location(fields[0]) if fields else None
        text = "|".join(fields[1:] if location is not None else fields)
        type_name, message = split_exception(text)
        if location is None:
            location = next((line for f in stack if (line := stack_frame_line(f))), None)
        self.exceptions.append(
            ApexException(kind, type_name, cap_text(message), event.log_line, location, stack, unit)
        )
