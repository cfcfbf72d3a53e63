"""REST route of LLM usage: a month's calls, tokens and cost against the tenant's budget."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from sfagent.db.session import SessionDep
from sfagent.llm_usage import service
from sfagent.llm_usage.schemas import LlmModelUsageOut, LlmUsageOut
from sfagent.tenancy.dependencies import TenantRead

router = APIRouter(prefix="/api/v1/usage", tags=["usage"])

Period = Annotated[
    str | None,
    Query(
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="The month, YYYY-MM (UTC); default the current one.",
    ),
]


@router.get("/llm", response_model=LlmUsageOut)
async def llm_usage(tenant: TenantRead, session: SessionDep, period: Period = None) -> LlmUsageOut:
    report = await service.usage_report(session, tenant=tenant, period=period)
    return LlmUsageOut(
        period=report.period,
        budget_usd=report.budget_usd,
        spent_usd=report.spent_usd,
        remaining_usd=report.remaining_usd,
        calls=sum(row.calls for row in report.rows),
        prompt_tokens=sum(row.prompt_tokens for row in report.rows),
        completion_tokens=sum(row.completion_tokens for row in report.rows),
        models=[
            LlmModelUsageOut(
                provider=row.provider,
                model=row.model,
                calls=row.calls,
                unpriced_calls=row.unpriced_calls,
                prompt_tokens=row.prompt_tokens,
                completion_tokens=row.completion_tokens,
                cost_usd=row.cost_usd,
            )
            for row in report.rows
        ],
    )
