"""Helpers for Apex rule tests: run one rule on a snippet, and PMD's own cases per rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sfagent.diagnostics.apex.analyzer import run_rules
from sfagent.diagnostics.apex.evaluation import PmdCase, read_pmd_cases
from sfagent.diagnostics.apex.rules import RULES_BY_NAME
from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.findings import Finding

PMD_CASES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "pmd_apex_dev.jsonl"


def findings_of(rule: str, code: str, **properties: Any) -> list[Finding]:
    """Findings of one rule on a snippet, suppressions applied."""
    return run_rules(ApexSource(code), [RULES_BY_NAME[rule]], {rule: properties})


def lines_of(rule: str, code: str, **properties: Any) -> list[int]:
    """Lines of the findings of one rule on a snippet."""
    return [finding.span.line for finding in findings_of(rule, code, **properties)]


def pmd_cases_for(rule: str) -> list[PmdCase]:
    """PMD's test cases for a rule from ../shared/data (empty when the data is absent)."""
    if not PMD_CASES.is_file():
        return []
    return [case for case in read_pmd_cases(PMD_CASES) if case.rule == rule]


@pytest.fixture
def require_pmd_data() -> None:
    if not PMD_CASES.is_file():
        pytest.skip("../shared/data/pmd_apex_dev.jsonl is not present")
