"""The shipped conversation scenarios all pass, and bad scenario files are refused clearly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sfagent.pipeline.eval_app import EvaluationApp, evaluation_app
from sfagent.pipeline.scenario_run import run_scenario
from sfagent.pipeline.scenarios import (
    DEFAULT_FOLDER,
    ScenarioError,
    TurnOutcome,
    check_turn,
    load_scenario,
    load_scenarios,
)

SHIPPED = load_scenarios([DEFAULT_FOLDER])
REQUIRED = {
    "password-reset",
    "api-401-jwt-expired-token",
    "frustrated-customer-calms-down",
    "topic-switch-export-password",
    "ambiguous-api-chain",
    "trigger-soql-in-loop",
    "debug-log-fatal-error",
    "billing-dispute-double-charge",
    "spanish-data-export",
}


def test_the_suite_has_forty_scenarios_including_the_required_ones() -> None:
    assert len(SHIPPED) >= 40
    assert {scenario.slug for scenario in SHIPPED} >= REQUIRED


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def evaluation() -> AsyncIterator[EvaluationApp]:
    async with evaluation_app() as app:
        yield app


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", SHIPPED, ids=lambda scenario: scenario.slug)
async def test_shipped_scenario_passes(evaluation: EvaluationApp, scenario) -> None:  # type: ignore[no-untyped-def]
    result = await run_scenario(evaluation, scenario)
    assert result.passed, "\n".join(result.failures)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\n', "needs 1 to 20 [[turns]]"),
        ('[[turns]]\nuser = "hi"\n', "`name` must be a non-empty string"),
        ('name = "x"\n[[turns]]\nuser = ""\n', "turn 1 needs a non-empty `user`"),
        ('name = "x"\n[setup]\ntier = "gold"\n[[turns]]\nuser = "hi"\n', "setup.tier"),
        (
            'name = "x"\n[[turns]]\nuser = "hi"\n[turns.expect]\nmood = "ok"\n',
            "unknown keys mood",
        ),
        ('name = "x\n', "not valid TOML"),
    ],
)
def test_bad_scenario_files_name_the_file_and_the_fix(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as raised:
        load_scenario(_write(tmp_path, text))
    assert "case.toml" in str(raised.value) and message in str(raised.value)


def test_a_missing_path_is_reported() -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenarios([Path("/nonexistent/scenarios")])


def _outcome(**overrides: object) -> TurnOutcome:
    values: dict[str, object] = {
        "reply": "Did this fix it? Check the SOQL query in the loop.",
        "intent": "governor_limit",
        "category": "governor_limit",
        "state": "awaiting_confirmation",
        "status": "active",
        "escalated": False,
        "action": "answer",
        "slots": {"object": "Account"},
        "topic": "governor_limit",
        "citations": 2,
        "language": "en",
        "csat": None,
    }
    values.update(overrides)
    return TurnOutcome(**values)  # type: ignore[arg-type]


def test_checks_pass_on_a_matching_outcome() -> None:
    expect = {
        "intent_in": ["governor_limit", "soql_error"],
        "state": "awaiting_confirmation",
        "contains": ["soql", "loop|bulk"],
        "not_contains": ["refund"],
        "slots": {"object": "account"},
        "citations_min": 2,
    }
    assert check_turn(expect, _outcome()) == []


def test_checks_report_each_miss() -> None:
    expect = {"state": "resolved", "contains": ["refund"], "citations_min": 3, "csat": 5}
    failures = check_turn(expect, _outcome())
    assert len(failures) == 4
    assert any("state is 'awaiting_confirmation', expected 'resolved'" in f for f in failures)
    assert any("reply lacks ['refund']" in f for f in failures)
