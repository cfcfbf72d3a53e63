"""What the CLI and the REST API show of a log analysis, and analysing uploaded bytes.

The full event tree of a 20 MB log is far too big to send back; the report keeps what a
developer acts on: the summary, fatal and thrown exceptions, limits near their maximum,
counts, the slowest units and queries, flow and validation failures, and how complete the
log was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sfagent.diagnostics.inputs import InputTooLarge, looks_binary
from sfagent.diagnostics.logs.errors import NotADebugLog
from sfagent.diagnostics.logs.model import ApexException, LimitUsage, LogAnalysis, TimedNode
from sfagent.diagnostics.logs.parser import parse_log

MAX_EXCEPTIONS_SHOWN = 20
_MEGABYTE = 1024 * 1024


def analyze_log_bytes(data: bytes, *, max_bytes: int, name: str = "debug.log") -> LogAnalysis:
    """Analyse an uploaded or pasted log, refusing oversize and binary data up front."""
    if len(data) > max_bytes:
        raise InputTooLarge(
            f"The debug log is {len(data) / _MEGABYTE:.1f} MB; the limit is "
            f"{max_bytes / _MEGABYTE:.1f} MB. Lower the log levels (APEX_CODE FINE, "
            "SYSTEM INFO) or capture a shorter transaction.",
            limit_bytes=max_bytes,
        )
    if looks_binary(data):
        raise NotADebugLog(f"{name} is a binary file, not an Apex debug log.")
    # The streaming reader works on files: it hashes, counts and decodes in bounded memory.
    with tempfile.TemporaryDirectory(prefix="sfagent-log-") as directory:
        path = Path(directory) / (Path(name).name or "debug.log")
        path.write_bytes(data)
        return parse_log(path)


def log_report(analysis: LogAnalysis, *, top: int = 5) -> dict[str, Any]:
    """JSON-ready digest of a log analysis."""
    return {
        "summary": analysis.summary,
        "partial": analysis.partial,
        "source": _source(analysis),
        "api_version": analysis.header.api_version if analysis.header else None,
        "log_levels": analysis.header.levels if analysis.header else {},
        "duration_ms": _ms(analysis.duration_ns),
        "counts": {
            "soql_queries": analysis.soql_count,
            "soql_rows": analysis.soql_rows,
            "dml_statements": analysis.dml_count,
            "dml_rows": analysis.dml_rows,
            "lines": analysis.source.line_count,
            "events": analysis.timestamped_lines,
        },
        "exceptions": [_exception(e) for e in analysis.exceptions[:MAX_EXCEPTIONS_SHOWN]],
        "exceptions_not_shown": max(0, len(analysis.exceptions) - MAX_EXCEPTIONS_SHOWN)
        + analysis.exceptions_dropped,
        "limits": _limits(analysis),
        "near_limits": [
            _limit(u) for ns in analysis.limits.values() for u in ns.values() if u.is_near_max
        ],
        "slowest": {
            kind: {
                "by_total": [_timed(node) for node in nodes.by_total[:top]],
                "by_self": [_timed(node) for node in nodes.by_self[:top]],
            }
            for kind, nodes in analysis.slowest.items()
        },
        "flows": list(analysis.flows),
        "flow_errors": [
            {
                "flow": error.flow,
                "element": error.element,
                "element_type": error.element_type,
                "message": error.message,
                "log_line": error.log_line,
                "handled": error.handled,
            }
            for error in analysis.flow_errors
        ],
        "validation_failures": [
            {"rule": failure.rule, "message": failure.message, "log_line": failure.log_line}
            for failure in analysis.validation_failures
        ],
    }


def _source(analysis: LogAnalysis) -> dict[str, Any]:
    source = analysis.source
    return {
        "size_bytes": source.size_bytes,
        "sha256": source.sha256,
        "line_count": source.line_count,
        "replacement_chars": source.replacement_chars,
        "overlong_lines": source.overlong_lines,
        "truncated_marker": analysis.truncated_marker,
        "open_at_end": analysis.open_at_end,
    }


def _exception(error: ApexException) -> dict[str, Any]:
    return {
        "kind": error.kind,
        "type": error.type,
        "message": error.message,
        "log_line": error.log_line,
        "source_line": error.source_line,
        "stack": list(error.stack),
    }


def _limits(analysis: LogAnalysis) -> dict[str, list[dict[str, Any]]]:
    return {
        namespace: [_limit(usage) for usage in usages.values()]
        for namespace, usages in analysis.limits.items()
    }


def _limit(usage: LimitUsage) -> dict[str, Any]:
    return {
        "namespace": usage.namespace,
        "key": usage.key,
        "label": usage.label,
        "used": usage.used,
        "limit": usage.limit,
        "ratio": round(usage.ratio, 4),
        "log_line": usage.log_line,
    }


def _timed(node: TimedNode) -> dict[str, Any]:
    return {
        "kind": node.kind,
        "name": node.name,
        "log_line": node.log_line,
        "source_line": node.source_line,
        "total_ms": _ms(node.total_ns),
        "self_ms": _ms(node.self_ns),
    }


def _ms(nanoseconds: int | None) -> float | None:
    return None if nanoseconds is None else round(nanoseconds / 1_000_000, 3)
