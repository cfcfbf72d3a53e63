"""Token and cost accounting per tenant, and the budget that stops LLM spending."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from sfagent.responder.llm.base import provider_label

_PER_MILLION = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    """US dollars per million tokens."""

    input_per_million: float
    output_per_million: float


@dataclass(frozen=True)
class Cost:
    """The price of one call; `priced` is False when the model is missing from the table."""

    amount: float
    priced: bool


class PriceTable:
    """Prices keyed by "kind:model" (preferred) or bare model name.

    No prices ship with the code: they change more often than releases, so they come from
    configuration. An unknown model costs 0 and is flagged, so it is visible, not silently free.
    """

    def __init__(self, prices: Mapping[str, ModelPrice] | None = None) -> None:
        self._prices = dict(prices or {})

    def price_of(self, provider: str, model: str) -> ModelPrice | None:
        return self._prices.get(provider_label(provider, model)) or self._prices.get(model)

    def cost(self, provider: str, model: str, prompt_tokens: int, completion_tokens: int) -> Cost:
        """What a call with these token counts costs."""
        price = self.price_of(provider, model)
        if price is None:
            return Cost(0.0, priced=False)
        amount = (
            prompt_tokens * price.input_per_million + completion_tokens * price.output_per_million
        ) / _PER_MILLION
        return Cost(amount, priced=True)


@dataclass(frozen=True)
class TenantUsage:
    """Totals for one tenant since the meter started (or was reset)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    unpriced_calls: int = 0


class UsageMeter(Protocol):
    """Where LLM spending is recorded and the tenant's budget is read.

    Implementations may persist to a database; the chain only needs these two calls.
    """

    async def record(
        self,
        tenant_id: str,
        provider: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cost: Cost,
    ) -> None:
        """Add one call's tokens and cost to the tenant's totals.

        Args:
            tenant_id: the organization the call was made for.
            provider: provider kind, e.g. "openai".
            model: model name.
            prompt_tokens: tokens sent.
            completion_tokens: tokens generated.
            cost: the call's cost from the price table.
        """
        ...

    async def remaining_budget(self, tenant_id: str) -> float | None:
        """US dollars the tenant may still spend; None means no budget is set.

        Args:
            tenant_id: the organization asking.

        Returns:
            The remaining amount (≤ 0 when exhausted), or None for unlimited.
        """
        ...


class InMemoryUsageMeter:
    """A process-local meter for the embedded setup and tests; totals vanish on restart."""

    def __init__(
        self,
        *,
        budgets: Mapping[str, float] | None = None,
        default_budget: float | None = None,
    ) -> None:
        self._budgets = dict(budgets or {})
        self._default_budget = default_budget
        self._usage: dict[str, TenantUsage] = {}

    async def record(
        self,
        tenant_id: str,
        provider: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cost: Cost,
    ) -> None:
        current = self.usage(tenant_id)
        self._usage[tenant_id] = TenantUsage(
            calls=current.calls + 1,
            prompt_tokens=current.prompt_tokens + prompt_tokens,
            completion_tokens=current.completion_tokens + completion_tokens,
            cost=current.cost + cost.amount,
            unpriced_calls=current.unpriced_calls + (0 if cost.priced else 1),
        )

    async def remaining_budget(self, tenant_id: str) -> float | None:
        budget = self._budgets.get(tenant_id, self._default_budget)
        if budget is None:
            return None
        return budget - self.usage(tenant_id).cost

    def usage(self, tenant_id: str) -> TenantUsage:
        """The tenant's totals so far."""
        return self._usage.get(tenant_id, TenantUsage())

    def set_budget(self, tenant_id: str, budget: float | None) -> None:
        """Set (or, with None, remove) the tenant's budget."""
        if budget is None:
            self._budgets.pop(tenant_id, None)
        else:
            self._budgets[tenant_id] = budget

    def reset(self, tenant_id: str) -> None:
        """Start a new budget period for the tenant."""
        self._usage.pop(tenant_id, None)
