"""Run labelled customer questions through the whole agent, in process, and score the replies.

Each question is posted to a fresh conversation of a throwaway tenant on a temporary SQLite
database, exactly as the REST API would receive it, so the figures measure what a customer
gets: understanding, diagnostics, retrieval, the decision and the reply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx

from sfagent.config import Settings
from sfagent.pipeline.eval_app import evaluation_app
from sfagent.responder.answer_eval import AnswerCase, AnswerOutcome

Progress = Callable[[AnswerCase, AnswerOutcome], None]


async def run_answer_cases(
    cases: Sequence[AnswerCase],
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> list[AnswerOutcome]:
    """Each case's predicted category, reply text and whether the agent escalated."""
    async with evaluation_app(settings) as evaluation:
        headers = await evaluation.tenant_headers("enterprise")
        outcomes = []
        for case in cases:
            outcome = await _ask(evaluation.client, headers, case.message)
            outcomes.append(outcome)
            if progress is not None:
                progress(case, outcome)
        return outcomes


async def _ask(client: httpx.AsyncClient, headers: dict[str, str], message: str) -> AnswerOutcome:
    created = await client.post("/api/v1/conversations", json={"channel": "api"}, headers=headers)
    created.raise_for_status()
    url = f"/api/v1/conversations/{created.json()['id']}/messages"
    response = await client.post(url, json={"content": message}, headers=headers)
    response.raise_for_status()
    body = response.json()
    return AnswerOutcome(
        category=body.get("category") or "other",
        reply=body["response"],
        escalated=bool(body["requires_escalation"]),
    )
