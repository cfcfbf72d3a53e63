"""Frozen result types of an Apex debug log analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

NEAR_LIMIT_RATIO = 0.8


@dataclass(frozen=True, slots=True)
class LogHeader:
    """The `<api-version> <CATEGORY>,<LEVEL>;...` line that opens a log."""

    api_version: str
    log_levels: str

    @property
    def levels(self) -> dict[str, str]:
        """Log level per category, e.g. {"APEX_CODE": "FINEST"}."""
        pairs = (item.split(",", 1) for item in self.log_levels.split(";") if "," in item)
        return {category: level for category, level in pairs}


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """How the text was read: size, hash and encoding apply only to files."""

    line_count: int
    crlf: bool
    encoding: str
    size_bytes: int | None = None
    sha256: str | None = None
    replacement_chars: int = 0
    overlong_lines: int = 0

    @property
    def decoding_replaced(self) -> bool:
        """True when undecodable bytes were replaced by U+FFFD."""
        return self.replacement_chars > 0


@dataclass(frozen=True, slots=True)
class ApexException:
    """A FATAL_ERROR (uncaught, the transaction failed) or an EXCEPTION_THROWN."""

    kind: str  # "fatal" or "thrown"
    type: str
    message: str
    log_line: int
    source_line: str | None = None
    stack: tuple[str, ...] = ()
    code_unit: str | None = None  # the innermost code unit running when it was thrown

    @property
    def is_fatal(self) -> bool:
        """True for an uncaught exception."""
        return self.kind == "fatal"


@dataclass(frozen=True, slots=True)
class LimitUsage:
    """The highest value one governor limit reached in one namespace."""

    namespace: str
    key: str
    label: str
    used: int
    limit: int
    log_line: int
    flagged_close: bool = False

    @property
    def ratio(self) -> float:
        """Share of the maximum used (0 when the maximum is 0)."""
        return self.used / self.limit if self.limit else 0.0

    @property
    def is_near_max(self) -> bool:
        """True at or above 80% of the maximum."""
        return self.limit > 0 and self.ratio >= NEAR_LIMIT_RATIO


# Tree nodes and slow frames are immutable named tuples rather than frozen dataclasses: a log
# makes thousands of them, and a named tuple is built many times faster.
class TreeNode(NamedTuple):
    """One closed frame of the event tree; durations come from elapsed nanoseconds."""

    kind: str
    name: str
    log_line: int
    source_line: str | None
    start_ns: int | None
    end_ns: int | None
    total_ns: int
    self_ns: int
    detail: str = ""
    children: tuple[TreeNode, ...] = ()
    omitted_children: int = 0
    unterminated: bool = False


class TimedNode(NamedTuple):
    """A single slow frame, kept without its children."""

    kind: str
    name: str
    log_line: int
    source_line: str | None
    total_ns: int
    self_ns: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class NodeAggregate:
    """Totals over every frame of one kind and name."""

    kind: str
    name: str
    count: int
    total_ns: int
    self_ns: int
    max_ns: int


@dataclass(frozen=True, slots=True)
class ValidationFailure:
    """A validation rule that failed, with the error users saw and its formula when logged."""

    rule: str
    log_line: int
    message: str = ""
    formula: str = ""
    values: str = ""


@dataclass(frozen=True, slots=True)
class FlowError:
    """A flow element that failed (FLOW_ELEMENT_ERROR) or took its fault path."""

    flow: str
    element: str
    element_type: str
    message: str
    log_line: int
    handled: bool = False  # True for FLOW_ELEMENT_FAULT: a fault connector took over


@dataclass(frozen=True, slots=True)
class SlowestNodes:
    """The slowest frames of one kind, by total and by self time."""

    by_total: tuple[TimedNode, ...] = ()
    by_self: tuple[TimedNode, ...] = ()


@dataclass(frozen=True, slots=True)
class LogAnalysis:
    """Everything the diagnostics engine learned from one debug log."""

    source: SourceInfo
    header: LogHeader | None
    preamble_lines: int
    timestamped_lines: int
    event_counts: dict[str, int]
    first_ns: int | None
    last_ns: int | None
    min_ns: int | None
    max_ns: int | None
    exceptions: tuple[ApexException, ...]
    exceptions_dropped: int
    limit_blocks: int
    limits: dict[str, dict[str, LimitUsage]]
    tree: TreeNode
    tree_nodes_kept: int
    tree_nodes_omitted: int
    aggregates: tuple[NodeAggregate, ...]
    slowest: dict[str, SlowestNodes]
    soql_rows: int
    dml_rows: int
    flows: tuple[str, ...]
    validation_rules_evaluated: int
    validation_failures: tuple[ValidationFailure, ...]
    flow_errors: tuple[FlowError, ...]
    truncated_marker: bool
    unterminated_frames: int
    open_at_end: int
    summary: str = field(default="")

    @property
    def duration_ns(self) -> int | None:
        """Last elapsed ns minus the first one."""
        if self.first_ns is None or self.last_ns is None:
            return None
        return self.last_ns - self.first_ns

    @property
    def partial(self) -> bool:
        """True when the log was cut (size marker) or ended with frames still open."""
        return self.truncated_marker or self.open_at_end > 0

    @property
    def soql_count(self) -> int:
        """Number of SOQL queries executed (SOQL_EXECUTE_BEGIN events)."""
        return self.event_counts.get("SOQL_EXECUTE_BEGIN", 0)

    @property
    def dml_count(self) -> int:
        """Number of DML statements executed (DML_BEGIN events)."""
        return self.event_counts.get("DML_BEGIN", 0)

    @property
    def fatal_errors(self) -> tuple[ApexException, ...]:
        """Uncaught exceptions, in log order."""
        return tuple(e for e in self.exceptions if e.is_fatal)

    @property
    def exceptions_thrown(self) -> tuple[ApexException, ...]:
        """EXCEPTION_THROWN events (possibly caught), in log order."""
        return tuple(e for e in self.exceptions if not e.is_fatal)

    @property
    def limits_near_max(self) -> tuple[LimitUsage, ...]:
        """Limits at or above 80% of their maximum, highest share first."""
        usages = (u for per_ns in self.limits.values() for u in per_ns.values())
        return tuple(sorted((u for u in usages if u.is_near_max), key=lambda u: -u.ratio))

    def slowest_of(self, kind: str) -> SlowestNodes:
        """Slowest frames of a kind ("code_unit", "soql", "dml", "method", ...)."""
        return self.slowest.get(kind, SlowestNodes())
