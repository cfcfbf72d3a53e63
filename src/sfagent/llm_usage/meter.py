"""The usage meter of the LLM chain, on the llm_usage table: spending and monthly budgets.

Writes happen behind the call, in their own transaction. The turn that made the call is
still inside its request's transaction, which on SQLite holds the database's only write
lock: writing inline would wait on that lock until the turn ends, i.e. forever. A write
behind commits as soon as the lock is free, whatever becomes of the turn (the money was
spent), and until it commits its amount is counted as pending, so budgets hold meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.config import Settings
from sfagent.db.base import utcnow
from sfagent.db.engine import bind_tenant
from sfagent.llm_usage.repository import LlmUsageRepository
from sfagent.tenancy.repository import OrganizationRepository
from sfagent.tenancy.service import resolve_limits

if TYPE_CHECKING:
    # Only the type: importing the LLM package loads the provider SDKs (seconds).
    from sfagent.responder.llm.usage import Cost

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
# Reads need no write lock: on SQLite a writer session would queue behind the turn's own.
_READ_ONLY = {"sqlite_begin": "DEFERRED"}
# Writes behind calls take few connections, so a burst of answers cannot drain the pool
# the requests need; a failed write is retried before it is given up (and logged).
_CONCURRENT_WRITES = 2
_WRITE_ATTEMPTS = 3
_WRITE_BACKOFF_SECONDS = 0.5


def period_of(moment: datetime) -> str:
    """The budget period ("YYYY-MM", UTC) a moment falls in."""
    return moment.astimezone(UTC).strftime("%Y-%m")


class DatabaseUsageMeter:
    """Records LLM calls per tenant, month and model; reads what the tenant's tier allows.

    Implements `sfagent.responder.llm.UsageMeter`. Call `aclose()` (or `flush()`) before
    the engine is disposed, so no recorded call is lost on shutdown.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        clock: Clock | None = None,
        write_lock: asyncio.Lock | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._clock = clock or utcnow
        # The app's SQLite writer queue: waiting on it beats polling SQLite's lock.
        self._write_lock = write_lock
        self._pending: defaultdict[tuple[str, str], float] = defaultdict(float)
        self._writes: set[asyncio.Task[None]] = set()
        self._write_slots = asyncio.Semaphore(_CONCURRENT_WRITES)

    async def record(
        self,
        tenant_id: str,
        provider: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cost: Cost,
    ) -> None:
        """Add one call to the tenant's monthly totals; committed in the background."""
        call = _Call(
            tenant_id=tenant_id,
            period=period_of(self._clock()),
            provider=provider,
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            amount=cost.amount,
            priced=cost.priced,
        )
        self._pending[(call.tenant_id, call.period)] += call.amount
        write = asyncio.create_task(self._write(call), name="llm-usage-write")
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)

    async def remaining_budget(self, tenant_id: str) -> float | None:
        """Dollars left this month (never below 0); None when the tier is unlimited.

        When the budget cannot be read, 0 is returned: the composer answers for free
        rather than the LLM spending blind.
        """
        period = period_of(self._clock())
        try:
            budget, spent = await self._budget_and_spent(tenant_id, period)
        except Exception:
            log.exception("llm_usage.budget_unreadable", org_id=tenant_id)
            return 0.0
        if budget is None:
            return None
        return max(0.0, budget - spent - self._pending.get((tenant_id, period), 0.0))

    async def flush(self) -> None:
        """Wait until every call recorded so far is committed (or has failed and been logged)."""
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    async def aclose(self) -> None:
        """Finish the pending writes; the meter is not used afterwards."""
        await self.flush()

    async def _budget_and_spent(self, tenant_id: str, period: str) -> tuple[float | None, float]:
        async with self._sessionmaker() as session:
            await bind_tenant(session, tenant_id)
            await session.connection(execution_options=_READ_ONLY)
            organization = await OrganizationRepository(session).get(tenant_id)
            if organization is None:
                return 0.0, 0.0  # a deleted tenant spends nothing
            budget = resolve_limits(organization, self._settings).llm_monthly_budget_usd
            if budget is None:
                return None, 0.0
            return budget, await LlmUsageRepository(session, tenant_id).cost(period)

    async def _write(self, call: _Call) -> None:
        async with self._write_slots:
            for attempt in range(1, _WRITE_ATTEMPTS + 1):
                committed = False
                try:
                    lock = self._write_lock or contextlib.nullcontext()
                    async with lock, self._sessionmaker() as session:
                        await bind_tenant(session, call.tenant_id)
                        async with session.begin():
                            await LlmUsageRepository(session, call.tenant_id).add(
                                period=call.period,
                                provider=call.provider,
                                model=call.model,
                                calls=1,
                                unpriced_calls=0 if call.priced else 1,
                                prompt_tokens=call.prompt_tokens,
                                completion_tokens=call.completion_tokens,
                                cost_usd=call.amount,
                            )
                        committed = True
                        # The database counts it now, so the pending sum must not. Settled
                        # before the session closes, to keep the window a reader sees both tiny.
                        self._settle(call)
                    return
                except Exception:
                    if committed:
                        return  # only closing the session failed: the row is written
                    if attempt < _WRITE_ATTEMPTS:
                        log.warning("llm_usage.write_retried", org_id=call.tenant_id)
                        await asyncio.sleep(_WRITE_BACKOFF_SECONDS * attempt)
                        continue
                    # The amount stays pending, so this process still counts it against the
                    # budget; the figures are logged for reconciliation.
                    log.exception("llm_usage.write_failed", **asdict(call))

    def _settle(self, call: _Call) -> None:
        key = (call.tenant_id, call.period)
        self._pending[key] -= call.amount
        if self._pending[key] <= 1e-12:  # float residue of adding and removing amounts
            del self._pending[key]


@dataclass(frozen=True)
class _Call:
    """One LLM call's figures on their way to the database."""

    tenant_id: str
    period: str
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    amount: float
    priced: bool
