"""Analyse Apex source: syntax, PMD-compatible rules, suppressions and governor-limit risk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sfagent.diagnostics.apex.governor import GovernorRisk, estimate_governor_risk
from sfagent.diagnostics.apex.rules import Rule, RuleContext, rules_named
from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.apex.suppression import apply_suppressions
from sfagent.diagnostics.apex.syntax import SyntaxProblem, syntax_problems
from sfagent.diagnostics.findings import Finding, sort_findings
from sfagent.diagnostics.inputs import decode_input

DEFAULT_MAX_APEX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ApexAnalysis:
    """Everything found in one piece of Apex."""

    findings: list[Finding]
    syntax_errors: list[SyntaxProblem]
    line_count: int
    rules_run: list[str]
    partial: bool = False
    notes: list[str] = field(default_factory=list)
    governor_risk: GovernorRisk | None = None

    @property
    def valid_syntax(self) -> bool:
        """True when the whole source parsed."""
        return not self.syntax_errors

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by the CLI and the REST API."""
        return {
            "valid_syntax": self.valid_syntax,
            "partial": self.partial,
            "line_count": self.line_count,
            "syntax_errors": [problem.to_dict() for problem in self.syntax_errors],
            "findings": [finding.to_dict() for finding in self.findings],
            "rules_run": self.rules_run,
            "notes": self.notes,
            "governor_risk": self.governor_risk.to_dict() if self.governor_risk else None,
        }


def analyze_apex(
    code: str | bytes,
    *,
    rules: Sequence[str] | None = None,
    properties: Mapping[str, Mapping[str, Any]] | None = None,
    max_bytes: int = DEFAULT_MAX_APEX_BYTES,
) -> ApexAnalysis:
    """Parse Apex and run the rules (all, or those named) with optional per-rule properties."""
    decoded = decode_input(code, what="Apex source", max_bytes=max_bytes)
    source = ApexSource(decoded.text)
    selected = rules_named(list(rules) if rules is not None else None)
    findings = run_rules(source, selected, properties or {})
    problems = syntax_problems(source)
    notes = _notes(decoded.decoding_replaced, problems)
    return ApexAnalysis(
        findings=findings,
        syntax_errors=problems,
        line_count=source.line_count,
        rules_run=[rule.name for rule in selected],
        partial=bool(problems),
        notes=notes,
        governor_risk=estimate_governor_risk(source),
    )


def run_rules(
    source: ApexSource,
    rules: Sequence[type[Rule]],
    properties: Mapping[str, Mapping[str, Any]],
) -> list[Finding]:
    """Run rule classes over a parsed source, honouring PMD suppressions."""
    findings: list[Finding] = []
    for rule_class in rules:
        context = RuleContext(
            source=source,
            properties=rule_class.resolve_properties(properties.get(rule_class.name)),
        )
        findings.extend(rule_class().check(context))
    return sort_findings(apply_suppressions(source, findings))


def _notes(decoding_replaced: bool, problems: list[SyntaxProblem]) -> list[str]:
    notes = []
    if decoding_replaced:
        notes.append("Some bytes were not valid UTF-8 and were replaced before analysis.")
    if problems:
        notes.append(
            "The code has syntax errors; rules ran on the parts that parsed, "
            "so findings near the errors may be incomplete."
        )
    return notes
