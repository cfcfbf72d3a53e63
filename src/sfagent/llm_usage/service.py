"""The LLM usage report: what a tenant's LLM calls cost in a month, against its budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.base import utcnow
from sfagent.llm_usage.meter import period_of
from sfagent.llm_usage.models import LlmUsage
from sfagent.llm_usage.repository import LlmUsageRepository
from sfagent.tenancy.context import Tenant


@dataclass(frozen=True)
class UsageReport:
    period: str
    budget_usd: float | None
    spent_usd: float
    rows: Sequence[LlmUsage]

    @property
    def remaining_usd(self) -> float | None:
        if self.budget_usd is None:
            return None
        return max(0.0, self.budget_usd - self.spent_usd)


async def usage_report(
    session: AsyncSession, *, tenant: Tenant, period: str | None = None
) -> UsageReport:
    """The tenant's LLM usage per provider and model in `period` (default: this month)."""
    period = period or period_of(utcnow())
    rows = await LlmUsageRepository(session, tenant.organization_id).for_period(period)
    return UsageReport(
        period=period,
        budget_usd=tenant.limits.llm_monthly_budget_usd,
        spent_usd=sum(row.cost_usd for row in rows),
        rows=rows,
    )
