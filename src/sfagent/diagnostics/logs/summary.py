"""A short plain-language account of what a debug log shows went wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfagent.diagnostics.logs.model import ApexException, FlowError, LimitUsage, LogAnalysis

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
    "Too many queueable jobs added to the queue": "more jobs were enqueued than the context "
    "allows (a running Queueable may enqueue only one); chain one job at a time",
    "Too many future calls": "more @future calls were made than one transaction allows (50); "
    "make fewer calls that each do more work, or use a Queueable",
    "Too many callouts": "more HTTP callouts were made than one transaction allows (100); "
    "combine requests or move them to asynchronous jobs",
    "Too many DML rows": "more records were saved than one transaction allows (10,000); "
    "process them in batches",
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
    unit = f" while running {error.code_unit}" if _unit_adds_context(error) else ""
    sentence = f"The transaction failed with an uncaught {what}{_where(error)}{unit}."
    hint = _exception_hint(error)
    return f"{sentence} Likely cause: {hint}." if hint else sentence


def _unit_adds_context(error: ApexException) -> bool:
    # "Class.Job.execute" already says where "Job.execute(QueueableContext)" failed.
    if not error.code_unit:
        return False
    frame = error.stack[0].split(": line ")[0].removeprefix("Class.") if error.stack else ""
    return not (frame and error.code_unit.startswith(frame))


def _describe_busiest_method(analysis: LogAnalysis) -> str:
    busiest = analysis.slowest_of("method").by_self
    if not busiest or busiest[0].self_ns < _NS_PER_MS:
        return ""
    method = busiest[0]
    return (
        f"The method with the most time of its own was {method.name} "
        f"({method.self_ns / _NS_PER_MS:.0f} ms, log line {method.log_line})."
    )


def _cpu_limit_involved(analysis: LogAnalysis) -> bool:
    if any("CPU time" in error.message for error in analysis.fatal_errors):
        return True
    return any(usage.key == "cpu_time" for usage in analysis.limits_near_max)


def _describe_caught(thrown: tuple[ApexException, ...]) -> str:
    types = sorted({e.type or "exception" for e in thrown})
    listed = ", ".join(types[:3]) + (" and others" if len(types) > 3 else "")
    noun = "exception was" if len(thrown) == 1 else "exceptions were"
    return f"{len(thrown)} {noun} thrown ({listed}) but did not stop the transaction."


def _describe_flow_error(error: FlowError) -> str:
    flow = f"Flow {error.flow}" if error.flow else "A flow"
    element = f" at element {error.element}" if error.element else ""
    kind = f" ({error.element_type})" if error.element_type and error.element else ""
    message = f": {error.message.rstrip('.')}" if error.message else ""
    if error.handled:
        return f"{flow} took its fault path{element}{kind}{message}."
    return f"{flow} failed{element}{kind}{message}."


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
    parts.extend(_describe_flow_error(error) for error in analysis.flow_errors[:3])
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
    if _cpu_limit_involved(analysis):
        parts.append(_describe_busiest_method(analysis))
    parts.append(_describe_slowest_query(analysis))
    parts = [part for part in parts if part]
    if not parts:
        scope = "the part of the log that survived" if analysis.partial else "this log"
        parts.append(
            f"No errors, failed validations, flow errors or near-limit usage were found in {scope}."
        )
    parts.extend(_caveats(analysis))
    return " ".join(parts)


def _caveats(analysis: LogAnalysis) -> list[str]:
    caveats: list[str] = []
    source = analysis.source
    if analysis.truncated_marker:
        caveats.append(
            "The log is incomplete: Salesforce cut it at its size limit, so parts are missing."
        )
    elif analysis.partial:
        running = analysis.open_at_end
        noun = "operation was" if running == 1 else "operations were"
        caveats.append(
            f"The log is incomplete: it ends while {running} {noun} still running, "
            "so it was probably cut off."
        )
    if source.decoding_replaced:
        count = source.replacement_chars
        what = "1 character" if count == 1 else f"{count} characters"
        verb = "was" if count == 1 else "were"
        caveats.append(
            f"{what} could not be decoded as {source.encoding} and {verb} replaced, "
            "so some text may be garbled."
        )
    if source.overlong_lines:
        caveats.append(
            f"{source.overlong_lines} very long lines were cut to their first part."
            if source.overlong_lines > 1
            else "One very long line was cut to its first part."
        )
    if analysis.header is None:
        caveats.append("The log has no header line, so its log levels are unknown.")
    return caveats
