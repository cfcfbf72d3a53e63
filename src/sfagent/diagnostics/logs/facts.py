"""The analysis in the shape of shared/data/apex_logs/manifest.json, to check against it."""

from __future__ import annotations

from typing import Any

from sfagent.diagnostics.logs.model import ApexException, LimitUsage, LogAnalysis

# The manifest reports these two limits per namespace; the analysis keeps them all.
MANIFEST_LIMIT_KEYS = ("soql_queries", "cpu_time")
_NS_PER_MS = 1_000_000


def _exception_fact(error: ApexException) -> dict[str, Any]:
    if error.is_fatal:
        return {"line": error.log_line, "type": error.type, "message": error.message}
    return {
        "line": error.log_line,
        "source_line": error.source_line,
        "type": error.type,
        "message": error.message,
    }


def _usage_fact(usage: LimitUsage) -> dict[str, Any]:
    return {"used": usage.used, "limit": usage.limit, "line": usage.log_line}


def _highest(analysis: LogAnalysis, key: str) -> dict[str, Any] | None:
    best: LimitUsage | None = None
    for per_ns in analysis.limits.values():
        usage = per_ns.get(key)
        if usage is not None and (best is None or usage.used > best.used):
            best = usage
    if best is None:
        return None
    fact = _usage_fact(best)
    return {
        "used": fact["used"],
        "limit": fact["limit"],
        "namespace": best.namespace,
        "line": fact["line"],
    }


def manifest_facts(analysis: LogAnalysis) -> dict[str, Any]:
    """Facts named and defined as in the manifest (file metadata only for files)."""
    source = analysis.source
    header = analysis.header
    duration = analysis.duration_ns
    return {
        "size": source.size_bytes,
        "sha256": source.sha256,
        "encoding": source.encoding,
        "lines": source.line_count,
        "crlf": source.crlf,
        "header": {"api_version": header.api_version, "log_levels": header.log_levels}
        if header
        else None,
        "timestamped_lines": analysis.timestamped_lines,
        "event_counts": dict(analysis.event_counts),
        "fatal_error_count": analysis.event_counts.get("FATAL_ERROR", 0),
        "fatal_errors": [_exception_fact(e) for e in analysis.fatal_errors],
        "exception_thrown_count": analysis.event_counts.get("EXCEPTION_THROWN", 0),
        "exceptions_thrown": [_exception_fact(e) for e in analysis.exceptions_thrown],
        "limit_usage_for_ns_blocks": analysis.limit_blocks,
        "limit_namespaces": sorted(analysis.limits),
        "max_soql_queries": _highest(analysis, "soql_queries"),
        "max_cpu_time": _highest(analysis, "cpu_time"),
        "limits_by_namespace": {
            namespace: {k: _usage_fact(per_ns[k]) for k in MANIFEST_LIMIT_KEYS if k in per_ns}
            for namespace, per_ns in analysis.limits.items()
        },
        "soql_execute_begin_count": analysis.soql_count,
        "dml_begin_count": analysis.dml_count,
        "first_ns": analysis.first_ns,
        "last_ns": analysis.last_ns,
        "min_ns": analysis.min_ns,
        "max_ns": analysis.max_ns,
        "duration_ns": duration,
        "duration_ms": round(duration / _NS_PER_MS, 3) if duration is not None else None,
        "truncated_marker": analysis.truncated_marker,
        "has_limit_usage_for_ns": analysis.limit_blocks > 0,
    }
