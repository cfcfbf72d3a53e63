"""All SQL for LLM usage; every statement is scoped to one organization."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.base import utcnow
from sfagent.llm_usage.models import LlmUsage


class LlmUsageRepository:
    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self) -> Select[LlmUsage]:
        return select(LlmUsage).where(LlmUsage.organization_id == self.organization_id)

    async def add(
        self,
        *,
        period: str,
        provider: str,
        model: str,
        calls: int,
        unpriced_calls: int,
        prompt_tokens: int,
        completion_tokens: int,
        cost_usd: float,
    ) -> None:
        """Add to one model's monthly totals in one statement (no lost updates)."""
        table = LlmUsage.__table__
        now = utcnow()
        insert = _dialect_insert(self.session)(table).values(
            organization_id=self.organization_id,
            period=period,
            provider=provider,
            model=model,
            calls=calls,
            unpriced_calls=unpriced_calls,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost_usd,
            updated_at=now,
        )
        statement = insert.on_conflict_do_update(
            index_elements=[
                table.c.organization_id,
                table.c.period,
                table.c.provider,
                table.c.model,
            ],
            set_={
                "calls": table.c.calls + calls,
                "unpriced_calls": table.c.unpriced_calls + unpriced_calls,
                "prompt_tokens": table.c.prompt_tokens + prompt_tokens,
                "completion_tokens": table.c.completion_tokens + completion_tokens,
                "cost_usd": table.c.cost_usd + cost_usd,
                "updated_at": now,
            },
        )
        await self.session.execute(statement)

    async def cost(self, period: str) -> float:
        """Dollars spent in the period, over every provider and model."""
        statement = select(func.coalesce(func.sum(LlmUsage.cost_usd), 0)).where(
            LlmUsage.organization_id == self.organization_id, LlmUsage.period == period
        )
        return float((await self.session.execute(statement)).scalar_one())

    async def for_period(self, period: str) -> Sequence[LlmUsage]:
        statement = (
            self.scoped()
            .where(LlmUsage.period == period)
            .order_by(LlmUsage.provider, LlmUsage.model)
        )
        return (await self.session.execute(statement)).scalars().all()


def _dialect_insert(session: AsyncSession) -> Any:
    """The INSERT construct with ON CONFLICT support for the session's database."""
    bind = session.get_bind()
    return postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
