"""Streaming analysis of Apex debug logs: one pass, bounded memory, any size."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from sfagent.diagnostics.logs.errors import NotADebugLog
from sfagent.diagnostics.logs.events import (
    has_truncation_marker,
    may_hold_truncation_marker,
    parse_header_line,
)
from sfagent.diagnostics.logs.handlers import HANDLERS, Handler
from sfagent.diagnostics.logs.model import LogAnalysis, LogHeader
from sfagent.diagnostics.logs.reading import (
    LineBatches,
    ReadStats,
    line_batches_from_iterable,
    line_batches_from_path,
    line_batches_from_text,
)
from sfagent.diagnostics.logs.recorder import EventRecorder
from sfagent.diagnostics.logs.summary import summarize

# The two halves of an event line's `HH:MM:SS.f (ns)|TYPE` start, checked apart so that the
# common case is a set lookup (clocks repeat for many lines) rather than a regex match.
_CLOCK = re.compile(r"\d{1,2}:\d{2}:\d{2}\.\d+")
_EVENT_TYPE = re.compile(r"[A-Z][A-Z0-9_]*")
_MAX_KNOWN_CLOCKS = 4_096
_MAX_KNOWN_CLOCK_CHARS = 24
# Real logs use a few hundred event types; past this many, new ones are counted together.
MAX_EVENT_TYPES = 5_000
OTHER_EVENT_TYPES = "(other event types)"
# Past this much text without a header or an event line, the input is not a debug log.
MAX_PREAMBLE_CHARS = 1024 * 1024

LineSource = str | os.PathLike[str] | Iterable[str]


class _TypeTally:
    """How often one event type occurred, and what handles it (None: it is only counted)."""

    __slots__ = ("count", "handler")

    def __init__(self, handler: Handler | None) -> None:
        self.count = 0
        self.handler = handler


class LogAnalyzer:
    """Consumes batches of log lines in order; `finish` returns the frozen analysis."""

    def __init__(self, what: str = "The input") -> None:
        self._what = what  # names the input in errors: a file name, "The text"...
        self._recorder = EventRecorder()
        self._header: LogHeader | None = None
        self._preamble = 0
        self._tallies: dict[str, _TypeTally] = {}
        self._line = 0
        self._clocks: set[str] = set()
        # First, last, lowest and highest elapsed ns; -1 until one is seen (never negative).
        self._ns_range = (-1, -1, -1, -1)
        self._truncated = False
        self._preamble_chars = 0

    def feed(self, lines: list[str], *, may_hold_marker: bool = True) -> None:
        """Analyse the next physical lines (line ends removed), in log order.

        `may_hold_marker=False` says no line contains "***" (the reader knows it from the raw
        text), which spares a scan for Salesforce's truncation markers.
        """
        if may_hold_marker and not self._truncated:
            self._truncated = _has_truncation_marker(lines)
        recorder = self._recorder
        tree = recorder.tree
        continuation = recorder.continuation
        tallies = self._tallies
        tally_of = tallies.get
        clocks = self._clocks
        last_clock = ""
        header_pending = self._header is None and not tallies
        first_ns, last_ns, min_ns, max_ns = self._ns_range
        ns: int | None
        line_no = self._line
        # The hot loop: plain string methods, no regex and no allocation for events that
        # are only counted. It classifies lines exactly as events.parse_event_line does.
        for text in lines:
            line_no += 1
            parts = text.split("|", 2)
            if len(parts) > 1:
                head = parts[0]
                if head[-1:] == ")":
                    clock, _, ns_digits = head[:-1].partition(" (")
                    timed = ns_digits.isdecimal()
                else:
                    clock = head
                    ns_digits = ""
                    timed = True
                # Clocks repeat line after line: compare with the last one before hashing.
                if timed and (clock == last_clock or clock in clocks or self._learn_clock(clock)):
                    last_clock = clock
                    tally = tally_of(parts[1]) or self._new_tally(parts[1])
                    if tally is not None:
                        tally.count += 1
                        if continuation is not None:
                            recorder.end_continuation()
                            continuation = None
                        if ns_digits:
                            ns = last_ns = int(ns_digits)
                            if first_ns < 0:
                                first_ns = min_ns = max_ns = ns
                            elif ns > max_ns:
                                max_ns = ns
                            elif ns < min_ns:
                                min_ns = ns
                        else:
                            ns = None
                            # The tree ends frames at the last elapsed ns it saw only for
                            # events without one; others carry their own.
                            tree.last_ns = last_ns if last_ns >= 0 else None
                        handler = tally.handler
                        if handler is not None:
                            handler(recorder, line_no, ns, parts[2] if len(parts) > 2 else None)
                            continuation = recorder.continuation
                        continue
            if continuation is not None:
                continuation(line_no, text)
            elif header_pending:
                header_pending = self._read_preamble_line(text)
        self._line = line_no
        self._ns_range = (first_ns, last_ns, min_ns, max_ns)
        tree.last_ns = last_ns if last_ns >= 0 else None
        if self._header is None and not tallies:
            self._check_preamble(lines)

    def _new_tally(self, event_type: str) -> _TypeTally | None:
        if _EVENT_TYPE.fullmatch(event_type) is None:
            return None
        if len(self._tallies) >= MAX_EVENT_TYPES:
            return self._tallies.setdefault(OTHER_EVENT_TYPES, _TypeTally(None))
        tally = self._tallies[event_type] = _TypeTally(HANDLERS.get(event_type))
        return tally

    def _learn_clock(self, clock: str) -> bool:
        if _CLOCK.fullmatch(clock) is None:
            return False
        if len(clock) <= _MAX_KNOWN_CLOCK_CHARS:
            if len(self._clocks) >= _MAX_KNOWN_CLOCKS:
                self._clocks.clear()
            self._clocks.add(clock)
        return True

    def _read_preamble_line(self, text: str) -> bool:
        """Look for the header before the first event; False once it is found."""
        if self._tallies:
            return False
        self._header = parse_header_line(text)
        if self._header is None:
            self._preamble += 1
            return True
        return False

    def _check_preamble(self, lines: list[str]) -> None:
        self._preamble_chars += sum(map(len, lines)) + len(lines)
        if self._preamble_chars > MAX_PREAMBLE_CHARS:
            raise NotADebugLog(f"{self._what} {_NOT_A_LOG}")

    def finish(self, stats: ReadStats) -> LogAnalysis:
        """Close what is still open and freeze the result (with its summary)."""
        if self._header is None and not self._tallies:
            raise NotADebugLog(f"{self._what} {_NOT_A_LOG}")
        recorder = self._recorder
        recorder.end_continuation()
        tree = recorder.tree.finish()
        counts = {event_type: tally.count for event_type, tally in sorted(self._tallies.items())}
        first_ns, last_ns, min_ns, max_ns = (_ns_or_none(ns) for ns in self._ns_range)
        analysis = LogAnalysis(
            source=stats.freeze(),
            header=self._header,
            preamble_lines=self._preamble,
            timestamped_lines=sum(counts.values()),
            event_counts=counts,
            first_ns=first_ns,
            last_ns=last_ns,
            min_ns=min_ns,
            max_ns=max_ns,
            exceptions=tuple(recorder.exceptions),
            exceptions_dropped=recorder.exceptions_dropped,
            limit_blocks=recorder.limit_blocks,
            limits=recorder.limits(),
            tree=tree,
            tree_nodes_kept=recorder.tree.nodes_kept,
            tree_nodes_omitted=recorder.tree.nodes_omitted,
            aggregates=recorder.tree.aggregates(),
            slowest=recorder.tree.slowest(),
            soql_rows=recorder.soql_rows,
            dml_rows=recorder.dml_rows,
            flows=tuple(recorder.flows),
            validation_rules_evaluated=recorder.validations,
            validation_failures=tuple(recorder.validation_failures),
            flow_errors=tuple(recorder.flow_errors),
            truncated_marker=self._truncated,
            unterminated_frames=recorder.tree.unterminated,
            open_at_end=recorder.tree.open_at_end,
        )
        return replace(analysis, summary=summarize(analysis))


_NOT_A_LOG = (
    "is not an Apex debug log: it has no header line (such as "
    "'59.0 APEX_CODE,FINEST;DB,INFO') and no event lines ('HH:MM:SS.f (ns)|EVENT_TYPE|...')."
)


def _ns_or_none(value: int) -> int | None:
    return value if value >= 0 else None


def _has_truncation_marker(lines: list[str]) -> bool:
    # Scans of the joined text are far cheaper than a test per line, and rarely match.
    if not may_hold_truncation_marker("\n".join(lines)):
        return False
    return any(has_truncation_marker(line) for line in lines if "***" in line)


def analyze_batches(batches: LineBatches, stats: ReadStats, what: str) -> LogAnalysis:
    """Run the analyzer over line batches that fill `stats` as they are read."""
    analyzer = LogAnalyzer(what)
    for lines, may_hold_marker in batches:
        analyzer.feed(lines, may_hold_marker=may_hold_marker)
    return analyzer.finish(stats)


def parse_log(source: LineSource) -> LogAnalysis:
    """Analyse a log file (path) or an iterable of lines (e.g. an open text file)."""
    stats = ReadStats()
    if isinstance(source, str | os.PathLike):
        batches = line_batches_from_path(source, stats)
        return analyze_batches(batches, stats, Path(source).name)
    return analyze_batches(line_batches_from_iterable(source, stats), stats, "The input")


def parse_log_text(text: str) -> LogAnalysis:
    """Analyse a log pasted as one string."""
    stats = ReadStats()
    return analyze_batches(line_batches_from_text(text, stats), stats, "The text")
