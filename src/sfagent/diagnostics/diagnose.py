"""Diagnose a support message: analyse what it carries and name the most likely cause.

This is the engine call behind the pipeline's diagnose stage. Every analyser is bounded by
the message size the pipeline accepts; a cause is named only when an analyser is sure of
it (a catalogued error, a fatal log entry, a rule finding of high severity), because a
wrong fix costs the user more than no answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sfagent.diagnostics.apex.analyzer import ApexAnalysis, analyze_apex
from sfagent.diagnostics.detect import Artifact, ArtifactKind, find_artifacts
from sfagent.diagnostics.errors import ErrorMatch, match_error
from sfagent.diagnostics.findings import Finding, Severity
from sfagent.diagnostics.logs import LogAnalysis, parse_log_text
from sfagent.diagnostics.soql import SoqlAnalysis, analyze_soql

# Catalogued governor-limit errors whose cause a rule finding can locate in pasted code.
_LIMIT_OPERATION_WORDS = (
    ("soql", "soql"),
    ("sosl", "sosl"),
    ("dml", "dml"),
    ("callout", "callout"),
    ("future", "future"),
    ("queueable", "queueable"),
    ("email", "email"),
)
_SURE_RULE_SEVERITIES = (Severity.CRITICAL, Severity.HIGH)
MAX_CAUSES = 3


@dataclass(frozen=True, slots=True)
class Cause:
    """One explained problem: what it is, where, why, and the steps that fix it."""

    title: str
    explanation: str
    fix: tuple[str, ...]
    source: str  # error_catalog, debug_log, apex_rule, soql
    where: str | None = None
    line: int | None = None
    limit: str | None = None
    example: str | None = None
    doc_url: str | None = None
    error_id: str | None = None
    rule: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """What a message carried, what each analyser found, and the causes worth telling."""

    artifacts: tuple[Artifact, ...] = ()
    apex: tuple[ApexAnalysis, ...] = ()
    soql: tuple[SoqlAnalysis, ...] = ()
    logs: tuple[LogAnalysis, ...] = ()
    errors: tuple[ErrorMatch, ...] = ()
    causes: tuple[Cause, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def found_anything(self) -> bool:
        """True when any artifact or known error was recognised."""
        return bool(self.artifacts or self.errors)

    @property
    def primary(self) -> Cause | None:
        """The most likely cause, if one is certain enough to tell."""
        return self.causes[0] if self.causes else None

    def summary(self) -> dict[str, Any]:
        """Compact, JSON-ready record stored with the message and returned by the API."""
        return {
            "artifacts": [
                {"kind": a.kind.value, "start": a.start, "end": a.end} for a in self.artifacts
            ],
            "causes": [cause.to_dict() for cause in self.causes],
            "errors": [
                {"id": m.entry.id, "title": m.entry.title, "line": m.line} for m in self.errors
            ],
            "apex_findings": [
                {"rule": f.rule, "severity": f.severity.value, "line": f.span.line}
                for analysis in self.apex
                for f in analysis.findings
            ],
            "soql_valid": [analysis.valid for analysis in self.soql],
            "log_summaries": [log.summary for log in self.logs],
            "notes": list(self.notes),
        }


def diagnose_message(text: str) -> Diagnosis:
    """Find code, queries, logs and known errors in a message and explain the likely cause."""
    artifacts = tuple(find_artifacts(text))
    apex = tuple(_analyse_apex(a) for a in artifacts if a.kind is ArtifactKind.APEX)
    soql = tuple(analyze_soql(a.text) for a in artifacts if a.kind is ArtifactKind.SOQL)
    logs = tuple(parse_log_text(a.text) for a in artifacts if a.kind is ArtifactKind.LOG)
    errors = tuple(match_error(_prose_and_traces(text, artifacts), limit=MAX_CAUSES))
    causes = _causes(apex, soql, logs, errors)
    return Diagnosis(
        artifacts=artifacts, apex=apex, soql=soql, logs=logs, errors=errors, causes=causes
    )


def _analyse_apex(artifact: Artifact) -> ApexAnalysis:
    return analyze_apex(artifact.text)


def _prose_and_traces(text: str, artifacts: tuple[Artifact, ...]) -> str:
    """The message without pasted code, so string literals in code are not read as errors.

    Logs stay in: their FATAL_ERROR lines are exactly the errors to recognise.
    """
    kept, position = [], 0
    for artifact in artifacts:
        if artifact.kind is ArtifactKind.APEX:
            kept.append(text[position : artifact.start])
            kept.append("\n" * text.count("\n", artifact.start, artifact.end))
            position = artifact.end
    kept.append(text[position:])
    return "".join(kept)


def _causes(
    apex: tuple[ApexAnalysis, ...],
    soql: tuple[SoqlAnalysis, ...],
    logs: tuple[LogAnalysis, ...],
    errors: tuple[ErrorMatch, ...],
) -> tuple[Cause, ...]:
    findings = [f for analysis in apex for f in analysis.findings]
    causes: list[Cause] = []
    for match in errors:
        causes.append(_cause_from_error(match, findings))
    used_rules = {cause.rule for cause in causes if cause.rule}
    for finding in findings:
        if finding.severity in _SURE_RULE_SEVERITIES and finding.rule not in used_rules:
            causes.append(_cause_from_finding(finding))
            used_rules.add(finding.rule)
    for analysis in soql:
        causes.extend(_cause_from_soql_error(analysis))
    if not causes:
        causes.extend(_cause_from_log(log) for log in logs if log.fatal_errors)
    return tuple(causes[:MAX_CAUSES])


def _cause_from_error(match: ErrorMatch, findings: list[Finding]) -> Cause:
    entry = match.entry
    located = _finding_for_limit(entry.id, entry.category.value, findings)
    origin = next((frame for frame in match.frames if frame.origin), None)
    where = None
    if located is not None:
        where = f"line {located.span.line} of the code you pasted: {located.message}"
    elif origin is not None and origin.line is not None:
        where = f"{origin.text.strip()}"
    return Cause(
        title=entry.title,
        explanation=entry.cause,
        fix=entry.fix,
        source="error_catalog",
        where=where,
        line=located.span.line if located else (origin.line if origin else None),
        limit=entry.limit,
        example=located.example if located else None,
        doc_url=entry.doc_url,
        error_id=entry.id,
        rule=located.rule if located else None,
    )


def _finding_for_limit(error_id: str, category: str, findings: list[Finding]) -> Finding | None:
    """The loop finding that explains a governor-limit error, e.g. SOQL in a loop for 101."""
    if category != "governor_limit":
        return None
    operation = next((kind for word, kind in _LIMIT_OPERATION_WORDS if word in error_id), None)
    if operation is None:
        return None
    for finding in findings:
        in_loop = finding.rule == "OperationWithLimitsInLoop"
        if in_loop and finding.details.get("operation") == operation:
            return finding
    return None


def _cause_from_finding(finding: Finding) -> Cause:
    return Cause(
        title=finding.message,
        explanation=finding.why,
        fix=(finding.fix,),
        source="apex_rule",
        where=f"line {finding.span.line} of the code you pasted",
        line=finding.span.line,
        limit=finding.limit,
        example=finding.example,
        rule=finding.rule,
    )


def _cause_from_soql_error(analysis: SoqlAnalysis) -> list[Cause]:
    if not analysis.errors:
        return []
    error = analysis.errors[0]
    return [
        Cause(
            title=f"The SOQL query does not parse: {error.message}",
            explanation="Salesforce rejects the query before running it (MALFORMED_QUERY).",
            fix=(error.suggestion,) if error.suggestion else (),
            source="soql",
            where=f"line {error.line}, column {error.column} of the query",
            line=error.line,
            rule="SoqlSyntax",
        )
    ]


def _cause_from_log(log: LogAnalysis) -> Cause:
    fatal = log.fatal_errors[0]
    return Cause(
        title=f"{fatal.type}: {fatal.message}",
        explanation=log.summary,
        fix=(),
        source="debug_log",
        where=f"debug log line {fatal.log_line}"
        + (f" ({fatal.source_line})" if fatal.source_line else ""),
        line=fatal.log_line,
    )
