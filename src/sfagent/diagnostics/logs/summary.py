"""A short plain-language account of what a debug log shows went wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfagent.diagnostics.logs.model import ApexException, LimitUsage, LogAnalysis

_NS_PER_MS = 1_000_000
_SLOW_QUERY_NS = 1_000 * _NS_PER_MS

# Why a known failure happens, in words an admin can act on.
_LIMIT_HINTS = {
    "Too many SOQL queries": "a query probably runs inside a loop; query once and reuse a map",
    "Too many DML statements": "records are probably saved inside a loop; collect them and "
    "save once",
    "Apex CPU time limit exceeded": "the code does too much work in one transaction; look at "
    "the slowest methods and nested loops",
    "Too many query rows": "a query returns too many records; filter it or process in batches",
    "Apex heap size too large": "too much data is held in memory; query fewer fields or rows",
}
_DML_HINTS = {
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "a validation rule rejected the record",
    "REQUIRED_FIELD_MISSING": "a required field was left empty",
    "DUPLICATE_VALUE": "a unique field already holds this value",
    "UNABLE_TO_LOCK_ROW": "another transaction held a lock on the same record",
    "INSUFFICIENT_ACCESS": "the running user lacks access to the record",
}


def _exception_hint(error: ApexException) -> str:
    text = f"{error.type} {error.message}"
    for needle, hint in (*_LIMIT_HINTS.items(), *_DML_HINTS.items()):
        if needle in text:
            return hint
    if "NullPointerException" in error.type:
        return "a variable was used before it was given a value"
    if "QueryException" in error.type and "no rows" in error.message:
        return "a query expected exactly one record and found none"
    return ""


def _where(error: ApexException) -> str:
    frame = error.stack[0].split(": line ")[0] if error.stack else ""
    if error.source_line and error.source_line.isdigit():
        return f" at line {error.source_line}" + (f" of {frame}" if frame else "")
    return f" in {frame}" if frame else ""


def _describe_fatal(error: ApexException) -> str:
    what = f"{error.type}: {error.message}" if error.type else error.message
    sentence = f"The transaction failed with an uncaught {what}{_where(error)}."
    hint = _exception_hint(error)
    return f"{sentence} Likely cause: {hint}." if hint else sentence


def _describe_caught(thrown: tuple[ApexException, ...]) -> str:
    types = sorted({e.type or "exception" for e in thrown})
    listed = ", ".join(types[:3]) + (" and others" if len(types) > 3 else "")
    noun = "exception was" if len(thrown) == 1 else "exceptions were"
    return f"{len(thrown)} {noun} thrown ({listed}) but did not stop the transaction."


def _describe_limit(usage: LimitUsage) -> str:
    return (
        f"{usage.label} reached {usage.used} of {usage.limit} ({usage.ratio:.0%}) "
        f"in namespace {usage.namespace}"
    )


def _describe_slowest_query(analysis: LogAnalysis) -> str:
    slowest = analysis.slowest_of("soql").by_total
    if not slowest or slowest[0].total_ns < _SLOW_QUERY_NS:
        return ""
    query = slowest[0]
    return (
        f"The slowest query took {query.total_ns / _NS_PER_MS:.0f} ms "
        f"(log line {query.log_line}): {query.name[:120]}"
    )


def summarize(analysis: LogAnalysis) -> str:
    """A few sentences: the failure and its likely cause, near-limits, slow spots, caveats."""
    parts: list[str] = []
    fatal = analysis.fatal_errors
    if fatal:
        parts.append(_describe_fatal(fatal[0]))
    thrown = analysis.exceptions_thrown
    if thrown and not fatal:
        parts.append(_describe_caught(thrown))
    parts.extend(
        f"Validation rule {failure.rule or '(unnamed)'} failed"
        + (f": {failure.message.rstrip('.')}." if failure.message else ".")
        for failure in analysis.validation_failures[:3]
    )
    near = analysis.limits_near_max
    if near:
        parts.append(
            "Close to a governor limit: " + "; ".join(map(_describe_limit, near[:4])) + "."
        )
    slow_query = _describe_slowest_query(analysis)
    if slow_query:
        parts.append(slow_query)
    if not parts:
        scope = "the part of the log that survived" if analysis.partial else "this log"
        parts.append(f"No errors, failed validations or near-limit usage were found in {scope}.")
    parts.extend(_caveats(analysis))
    return " ".join(parts)


def _caveats(analysis: LogAnalysis) -> list[str]:
    caveats: list[str] = []
    if analysis.truncated_marker:
        caveats.append("The log was cut by Salesforce's size limit, so parts are missing.")
    elif analysis.partial:
        caveats.append("The log ends before some operations finished, so it may be incomplete.")
    if analysis.source.decoding_replaced:
        caveats.append("Some bytes were not valid text and were replaced.")
    if analysis.header is None:
        caveats.append("The log has no header line, so its log levels are unknown.")
    return caveats
