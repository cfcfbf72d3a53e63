"""API models of the LLM usage report."""

from __future__ import annotations

from pydantic import BaseModel


class LlmModelUsageOut(BaseModel):
    provider: str
    model: str
    calls: int
    unpriced_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class LlmUsageOut(BaseModel):
    period: str
    budget_usd: float | None  # None: the tier has no LLM budget (unlimited)
    spent_usd: float
    remaining_usd: float | None
    calls: int
    prompt_tokens: int
    completion_tokens: int
    models: list[LlmModelUsageOut]
