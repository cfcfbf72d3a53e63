"""Agreement with PMD: run each rule on its PMD test cases; compare problem counts and lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfagent.diagnostics.apex.analyzer import run_rules
from sfagent.diagnostics.apex.rules import RULES_BY_NAME
from sfagent.diagnostics.apex.source import ApexSource


class DatasetError(ValueError):
    """The evaluation file is missing or a row is not a PMD test case."""


@dataclass(frozen=True, slots=True)
class PmdCase:
    """One PMD rule test: code, expected problem count and (when given) lines."""

    case_id: str
    rule: str
    code: str
    expected_problems: int
    expected_lines: list[int] | None
    properties: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """What sfagent reported for one case and whether it agrees with PMD."""

    case: PmdCase
    lines: list[int]
    agreed: bool


def read_pmd_cases(path: Path) -> list[PmdCase]:
    """Read PMD test cases from a JSONL file (`rule`, `code`, `expected_problems`, ...)."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    cases = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                cases.append(_case_from_row(path, number, line))
    return cases


def _case_from_row(path: Path, number: int, line: str) -> PmdCase:
    try:
        row = json.loads(line)
        return PmdCase(
            case_id=str(row.get("id", f"line-{number}")),
            rule=str(row["rule"]),
            code=str(row["code"]),
            expected_problems=int(row["expected_problems"]),
            expected_lines=row.get("expected_lines"),
            properties=dict(row.get("properties") or {}),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}:{number}: not a PMD test case ({exc})") from exc


def run_case(case: PmdCase) -> CaseOutcome:
    """Run the case's rule with its properties; agree when counts (and lines) match PMD."""
    rule = RULES_BY_NAME[case.rule]
    # PMD numbers lines from the first non-blank line of the test code.
    code = _from_first_non_blank_line(case.code)
    findings = run_rules(ApexSource(code), [rule], {case.rule: case.properties})
    lines = sorted(finding.span.line for finding in findings)
    agreed = len(findings) == case.expected_problems
    if agreed and case.expected_lines is not None:
        agreed = lines == sorted(case.expected_lines)
    return CaseOutcome(case=case, lines=lines, agreed=agreed)


def _from_first_non_blank_line(code: str) -> str:
    lines = code.splitlines(keepends=True)
    while lines and not lines[0].strip():
        lines.pop(0)
    return "".join(lines)


def evaluate_pmd_cases(
    cases: list[PmdCase], *, on_case: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Per-rule and overall agreement; rules sfagent lacks are counted but not run."""
    per_rule: dict[str, dict[str, Any]] = {}
    failures: list[dict[str, Any]] = []
    for case in cases:
        stats = per_rule.setdefault(
            case.rule, {"cases": 0, "agreed": 0, "implemented": case.rule in RULES_BY_NAME}
        )
        stats["cases"] += 1
        if stats["implemented"]:
            outcome = run_case(case)
            stats["agreed"] += int(outcome.agreed)
            if not outcome.agreed:
                failures.append(_failure(outcome))
        if on_case is not None:
            on_case()
    return _summary(cases, per_rule, failures)


def _failure(outcome: CaseOutcome) -> dict[str, Any]:
    case = outcome.case
    return {
        "id": case.case_id,
        "rule": case.rule,
        "expected_problems": case.expected_problems,
        "expected_lines": case.expected_lines,
        "reported_lines": outcome.lines,
    }


def _summary(
    cases: list[PmdCase], per_rule: dict[str, dict[str, Any]], failures: list[dict[str, Any]]
) -> dict[str, Any]:
    implemented = [stats for stats in per_rule.values() if stats["implemented"]]
    implemented_cases = sum(stats["cases"] for stats in implemented)
    agreed = sum(stats["agreed"] for stats in implemented)
    for stats in per_rule.values():
        stats["agreement"] = stats["agreed"] / stats["cases"] if stats["implemented"] else None
    return {
        "cases": len(cases),
        "implemented_rules": len(implemented),
        "implemented_cases": implemented_cases,
        "agreed": agreed,
        "agreement": agreed / implemented_cases if implemented_cases else 0.0,
        "per_rule": dict(sorted(per_rule.items())),
        "failures": failures,
    }
