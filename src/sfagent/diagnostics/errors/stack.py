"""Apex stack trace frames: `Class.X.method: line N, column M`, `Trigger.X: line N`, ..."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import replace

from sfagent.diagnostics.errors.linear_regex import LinearPattern, RegexHit
from sfagent.diagnostics.errors.model import StackFrame
from sfagent.diagnostics.errors.scan import ScanWindow, scan_windows

MAX_FRAMES = 500
# Identifiers are bounded so a hostile run like "Class.a.a.a..." stays cheap to reject.
_NAME = r"[A-Za-z_][A-Za-z0-9_$]{0,79}"
_SEGMENT = r"(?:[A-Za-z_<][A-Za-z0-9_$<>]{0,79})"


def _position(tag: str) -> str:
    # RE2 forbids repeating a group name, so each alternative tags its own.
    return (
        rf"\s?:\s{{0,3}}line\s{{1,3}}(?P<line{tag}>\d{{1,7}})"
        rf"(?:\s{{0,3}},\s{{0,3}}column\s{{1,3}}(?P<column{tag}>\d{{1,7}}))?"
    )


FRAME = LinearPattern(
    rf"\b(?P<kind>Class|Trigger)\.(?P<path>{_NAME}(?:\.{_SEGMENT}){{0,6}}){_position('')}"
    rf"|\b(?P<anonymous>AnonymousBlock){_position('_anonymous')}"
    r"|(?P<system>\(System Code\))"
    r"|(?P<external>External entry point)",
    ignore_case=False,
)
# What may sit between two frames of one trace: spaces, newlines (also JSON-escaped),
# the ": []" DmlException tail, quotes and separators.
_FRAME_GAP = re.compile(r"(?:\s|\\[nrt]|[:\[\],|\"'])*")
MAX_FRAME_GAP = 40


def parse_stack_trace(text: str, *, managed_namespaces: Collection[str] = ()) -> list[StackFrame]:
    """Apex frames found in `text`; the first org-code frame of each trace is the origin.

    Class frames of three or more names are ambiguous (`Class.ns.MyClass.run` or
    `Class.Outer.Inner.run`); pass the org's installed package namespaces in
    `managed_namespaces` to have such frames marked as managed code.
    """
    windows, _ = scan_windows(text)
    return frames_in_windows(windows, managed_namespaces=managed_namespaces)


def frames_in_windows(
    windows: Iterable[ScanWindow], *, managed_namespaces: Collection[str] = ()
) -> list[StackFrame]:
    """Frames of the scanned windows, offsets relative to the whole text."""
    traces: list[list[StackFrame]] = []
    found = 0
    for window in windows:
        hits = FRAME.finditer(window.text, max_hits=MAX_FRAMES - found)
        parsed = [_frame(hit, window.offset, managed_namespaces) for hit in hits]
        found += len(parsed)
        traces += group_traces(parsed, window)
    return number_traces(traces)


def group_traces(frames: list[StackFrame], window: ScanWindow) -> list[list[StackFrame]]:
    """Split frames into traces: runs of frames separated only by whitespace or punctuation."""
    traces: list[list[StackFrame]] = []
    previous_end = -1
    for frame in frames:
        local_start = frame.start - window.offset
        gap = window.text[previous_end:local_start] if previous_end >= 0 else None
        joined = gap is not None and len(gap) <= MAX_FRAME_GAP and _FRAME_GAP.fullmatch(gap)
        if joined:
            traces[-1].append(frame)
        else:
            traces.append([frame])
        previous_end = local_start + len(frame.text)
    return traces


def number_traces(traces: list[list[StackFrame]]) -> list[StackFrame]:
    """Flatten traces, numbering them and flagging the first org-code frame of each."""
    numbered: list[StackFrame] = []
    for index, trace in enumerate(traces):
        origin = next((frame for frame in trace if frame.is_user_code), None)
        numbered += [replace(frame, trace=index, origin=frame is origin) for frame in trace]
    return numbered


def _frame(hit: RegexHit, offset: int, managed_namespaces: Collection[str]) -> StackFrame:
    groups = hit.groups
    line = _number(groups.get("line") or groups.get("line_anonymous"))
    column = _number(groups.get("column") or groups.get("column_anonymous"))
    start = offset + hit.start
    if "system" in groups or "external" in groups:
        kind = "system" if "system" in groups else "external"
        return StackFrame(kind, None, None, None, None, None, hit.text, start)
    if "anonymous" in groups:
        return StackFrame("anonymous", "AnonymousBlock", None, line, column, None, hit.text, start)
    names = groups["path"].split(".")
    if groups["kind"] == "Trigger":
        namespace = names[0] if len(names) > 1 else None
        managed = namespace is not None and namespace in managed_namespaces
        return StackFrame(
            "trigger", names[-1], None, line, column, namespace, hit.text, start, managed=managed
        )
    namespace = names[0] if len(names) > 2 and names[0] in managed_namespaces else None
    if namespace:
        names = names[1:]
    method = names[-1] if len(names) > 1 else None
    name = ".".join(names[:-1]) if method else names[0]
    return StackFrame(
        "class",
        name,
        method,
        line,
        column,
        namespace,
        hit.text,
        start,
        managed=namespace is not None,
    )


def _number(value: str | None) -> int | None:
    return int(value) if value else None
