"""Every rule sfagent implements agrees with PMD on PMD's own test cases for that rule."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.apex.evaluation import PmdCase, run_case
from sfagent.diagnostics.apex.rules import ALL_RULES, RULES_BY_NAME
from tests.diagnostics.apex.conftest import PMD_CASES, pmd_cases_for

IMPLEMENTED_CASES = [case for rule in sorted(RULES_BY_NAME) for case in pmd_cases_for(rule)]


@pytest.mark.skipif(not PMD_CASES.is_file(), reason="../shared/data is not present")
@pytest.mark.parametrize("case", IMPLEMENTED_CASES, ids=lambda case: case.case_id)
def test_rule_agrees_with_pmd(case: PmdCase) -> None:
    outcome = run_case(case)
    assert outcome.agreed, (
        f"{case.case_id} ({case.rule}): expected {case.expected_problems} problem(s) "
        f"at {case.expected_lines}, reported lines {outcome.lines}"
    )


def test_at_least_thirty_rules_are_registered_with_unique_pmd_names() -> None:
    names = [rule.name for rule in ALL_RULES]
    assert len(names) == len(set(names))
    assert len(names) >= 30


def test_every_rule_explains_why_and_how_to_fix() -> None:
    for rule in ALL_RULES:
        assert rule.why.strip() and rule.fix.strip(), rule.name
        assert rule.category in {
            "performance",
            "security",
            "errorprone",
            "bestpractices",
            "codestyle",
            "design",
            "documentation",
        }, rule.name
