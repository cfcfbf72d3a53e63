"""Which events the analyser acts on, and how each reaches the recorder.

The table is built once. The frequent events of FINEST logs (method and system-method entry
and exit, queries) take direct paths that never build a LogEvent; the rest go through the
general recorder methods.
"""

from __future__ import annotations

from collections.abc import Callable

from sfagent.diagnostics.logs.events import LogEvent, source_location
from sfagent.diagnostics.logs.naming import MAX_NAME_CHARS, cap_text
from sfagent.diagnostics.logs.recorder import EventRecorder

# A handler gets the recorder, the line number, the elapsed ns and the text after `TYPE|`
# (None when the line ends at the type).
Handler = Callable[[EventRecorder, int, int | None, str | None], None]
RecorderMethod = Callable[[EventRecorder, LogEvent], None]

# Opening and closing events of the tree, by frame kind.
OPENERS = {
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
CLOSERS = {
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
_MAX_LOCATIONS = 4_096
_MAX_REMEMBERED_FIELD_CHARS = 40
_SIGNATURE_OPENERS = frozenset({"METHOD_ENTRY", "SYSTEM_METHOD_ENTRY"})
_QUERY_OPENERS = frozenset({"SOQL_EXECUTE_BEGIN", "SOSL_EXECUTE_BEGIN"})
# Closers whose fields matter; every other closer carries only its kind and time.
_CLOSERS_WITH_FIELDS = frozenset({"VALIDATION_FAIL"})
_OTHER_EVENTS: dict[str, RecorderMethod] = {
    "LIMIT_USAGE_FOR_NS": EventRecorder.start_limit_block,
    "FATAL_ERROR": EventRecorder.start_fatal,
    "EXCEPTION_THROWN": EventRecorder.note_exception_thrown,
    "FLOW_CREATE_INTERVIEW_END": EventRecorder.note_interview,
    "FLOW_START_INTERVIEW_BEGIN": EventRecorder.note_flow,
    "VALIDATION_ERROR": EventRecorder.note_validation_error,
    # Their text goes on over the untimed lines that follow.
    "FLOW_ELEMENT_ERROR": EventRecorder.start_text,
    "FLOW_ELEMENT_FAULT": EventRecorder.start_text,
    "FLOW_START_INTERVIEWS_ERROR": EventRecorder.start_text,
    "VALIDATION_FORMULA": EventRecorder.start_text,
}


def make_event(log_line: int, ns: int | None, event_type: str, fields_text: str | None) -> LogEvent:
    """The LogEvent of a line whose type and field text are already split off."""
    fields = tuple(fields_text.split("|")) if fields_text is not None else ()
    return LogEvent(log_line, ns, event_type, fields)


def _evented(event_type: str, method: RecorderMethod) -> Handler:
    def handle(recorder: EventRecorder, log_line: int, ns: int | None, text: str | None) -> None:
        method(recorder, make_event(log_line, ns, event_type, text))

    return handle


def _opener(event_type: str, kind: str) -> Handler:
    def handle(recorder: EventRecorder, log_line: int, ns: int | None, text: str | None) -> None:
        recorder.open_frame(kind, make_event(log_line, ns, event_type, text))

    return handle


def _closer_with_fields(event_type: str, kind: str) -> Handler:
    def handle(recorder: EventRecorder, log_line: int, ns: int | None, text: str | None) -> None:
        recorder.close_frame(kind, make_event(log_line, ns, event_type, text))

    return handle


def _plain_closer(kind: str) -> Handler:
    def handle(recorder: EventRecorder, log_line: int, ns: int | None, text: str | None) -> None:
        recorder.tree.close(kind, ns)

    return handle


def _location(recorder: EventRecorder, field_text: str) -> str | None:
    """source_location, remembered: the same few `[line]` fields come back all the time."""
    known = recorder.locations.get(field_text)
    if known is None:
        if len(field_text) > _MAX_REMEMBERED_FIELD_CHARS:
            return source_location(field_text)
        if len(recorder.locations) >= _MAX_LOCATIONS:
            recorder.locations.clear()
        known = recorder.locations[field_text] = source_location(field_text) or ""
    return known or None


def _signature_opener(kind: str) -> Handler:
    # The name naming.frame_name gives: the last field, unless that is the source location.
    def handle(recorder: EventRecorder, log_line: int, ns: int | None, text: str | None) -> None:
        if text is None:
            recorder.tree.open(kind, "", log_line, None, ns)
            return
        first, bar, _ = text.partition("|")
        located = _location(recorder, first)
        name = text.rpartition("|")[2] if bar or located is None else ""
        if len(name) > MAX_NAME_CHARS:
            name = cap_text(name, MAX_NAME_CHARS)
        recorder.tree.open(kind, name, log_line, located, ns)

    return handle


def _query_opener(kind: str) -> Handler:
    # The name naming.frame_name gives: the query after the location and Aggregations fields,
    # with its runs of white space made single spaces.
    def handle(recorder: EventRecorder, log_line: int, ns: int | None, text: str | None) -> None:
        first, _, rest = (text or "").partition("|")
        located = _location(recorder, first)
        body = rest if located is not None else text or ""
        name = cap_text(" ".join(body.partition("|")[2].split()), MAX_NAME_CHARS)
        recorder.tree.open(kind, name, log_line, located, ns)

    return handle


def _query_closer(recorder: EventRecorder, log_line: int, ns: int | None, text: str | None) -> None:
    recorder.close_query(ns, text.split("|") if text is not None else ())


def _build_handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for event_type, kind in OPENERS.items():
        if event_type in _SIGNATURE_OPENERS:
            handlers[event_type] = _signature_opener(kind)
        elif event_type in _QUERY_OPENERS:
            handlers[event_type] = _query_opener(kind)
        else:
            handlers[event_type] = _opener(event_type, kind)
    for event_type, kind in CLOSERS.items():
        if event_type in _CLOSERS_WITH_FIELDS:
            handlers[event_type] = _closer_with_fields(event_type, kind)
        else:
            handlers[event_type] = _plain_closer(kind)
    handlers["SOQL_EXECUTE_END"] = _query_closer
    for event_type, method in _OTHER_EVENTS.items():
        handlers[event_type] = _evented(event_type, method)
    return handlers


HANDLERS = _build_handlers()
