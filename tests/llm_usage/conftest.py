"""A clock the tests move by hand, meters on the harness's database, and a fake LLM server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from sfagent.config import TierLimits
from sfagent.llm_usage.meter import DatabaseUsageMeter
from sfagent.responder.llm import Cost
from tests.conftest import Harness


@dataclass
class ManualClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def clock_at(year: int, month: int, day: int = 15, hour: int = 12) -> ManualClock:
    return ManualClock(datetime(year, month, day, hour, tzinfo=UTC))


def priced(amount: float) -> Cost:
    return Cost(amount, priced=True)


def meter_for(
    harness: Harness, *, clock: ManualClock | None = None, write_lock: asyncio.Lock | None = None
) -> DatabaseUsageMeter:
    """A meter on the harness app's writer sessions, as the lifespan builds it."""
    return DatabaseUsageMeter(
        harness.app.state.sessionmaker, harness.settings, clock=clock, write_lock=write_lock
    )


def tiers_with_budget(
    harness_tiers: dict[str, TierLimits], **budgets: float | None
) -> dict[str, TierLimits]:
    """The tiers with some monthly LLM budgets changed."""
    return {
        name: limits.model_copy(update={"llm_monthly_budget_usd": budgets[name]})
        if name in budgets
        else limits
        for name, limits in harness_tiers.items()
    }
