"""Run conversation scenarios through the whole agent, in process, turn by turn."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx

from sfagent.config import Settings
from sfagent.pipeline.eval_app import EvaluationApp, evaluation_app
from sfagent.pipeline.scenarios import Scenario, ScenarioResult, TurnOutcome, check_turn

Progress = Callable[[ScenarioResult], None]


async def run_scenarios(
    scenarios: Sequence[Scenario],
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> list[ScenarioResult]:
    """Each scenario in a fresh conversation of a tenant of its tier; every turn checked."""
    results = []
    async with evaluation_app(settings) as evaluation:
        for scenario in scenarios:
            result = await run_scenario(evaluation, scenario)
            results.append(result)
            if progress is not None:
                progress(result)
    return results


async def run_scenario(evaluation: EvaluationApp, scenario: Scenario) -> ScenarioResult:
    client = evaluation.client
    headers = await evaluation.tenant_headers(scenario.tier)
    created = await client.post(
        "/api/v1/conversations",
        json={"channel": "api", "context": scenario.context},
        headers=headers,
    )
    _check(created, scenario, "creating the conversation")
    conversation = created.json()["id"]
    failures: list[str] = []
    for number, turn in enumerate(scenario.turns, start=1):
        response = await client.post(
            f"/api/v1/conversations/{conversation}/messages",
            json={"content": turn.user},
            headers=headers,
        )
        _check(response, scenario, f"turn {number}")
        outcome = await _outcome(client, headers, conversation, response.json())
        failures += [f"turn {number}: {problem}" for problem in check_turn(turn.expect, outcome)]
    return ScenarioResult(scenario, failures, len(scenario.turns))


async def _outcome(
    client: httpx.AsyncClient, headers: dict[str, str], conversation: str, body: dict[str, Any]
) -> TurnOutcome:
    view = await client.get(f"/api/v1/conversations/{conversation}", headers=headers)
    view.raise_for_status()
    understanding = body.get("understanding") or {}
    language = (understanding.get("language") or {}).get("code")
    return TurnOutcome(
        reply=body["response"],
        intent=body.get("intent"),
        category=body.get("category"),
        state=body["dialogue_state"],
        status=body["state"],
        escalated=bool(body["requires_escalation"]),
        action=body.get("action"),
        slots=body.get("slots") or {},
        topic=body.get("topic"),
        citations=len(body.get("citations") or []),
        language=language,
        csat=view.json().get("csat_score"),
    )


class ScenarioRunFailed(RuntimeError):
    """The agent answered a scenario's request with an error status."""


def _check(response: httpx.Response, scenario: Scenario, step: str) -> None:
    if response.is_success:
        return
    raise ScenarioRunFailed(
        f"{scenario.slug}: {step} returned {response.status_code}: {response.text[:300]}"
    )
