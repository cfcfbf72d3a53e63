"""Fixed-window rate limits per credential, per end user and per tenant, on the backplane."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sfagent.backplane.base import Backplane
from sfagent.errors import RateLimited
from sfagent.tenancy.context import PrincipalKind, Tenant


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    limit: int


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    limit: int
    remaining: int
    reset_at: float
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }

    def retry_after(self, now: float) -> int:
        return max(1, math.ceil(self.reset_at - now))


def buckets_for(tenant: Tenant) -> list[Bucket]:
    """The caller's own bucket plus the whole tenant's."""
    principal = tenant.principal
    limits = tenant.limits
    tenant_bucket = Bucket(f"org:{tenant.organization_id}", limits.requests_per_minute)
    if principal.kind is PrincipalKind.END_USER:
        own = Bucket(
            f"user:{tenant.organization_id}:{principal.id}", limits.end_user_requests_per_minute
        )
    elif principal.kind is PrincipalKind.API_KEY:
        own = Bucket(
            f"key:{principal.id}", principal.requests_per_minute or limits.requests_per_minute
        )
    else:
        own = Bucket(f"staff:{principal.id}", limits.requests_per_minute)
    return [own, tenant_bucket]


class RateLimiter:
    """Counts requests in windows shared through the backplane (so across processes on Redis)."""

    def __init__(self, backplane: Backplane, *, window_seconds: int, disabled: bool) -> None:
        self.backplane = backplane
        self.window_seconds = window_seconds
        self.disabled = disabled

    async def check(self, buckets: list[Bucket], now: float | None = None) -> RateLimitDecision:
        """Count one request in every bucket; the tightest bucket decides."""
        now = time.time() if now is None else now
        tightest: RateLimitDecision | None = None
        for bucket in buckets:
            window = await self.backplane.hit(bucket.key, self.window_seconds, now)
            decision = RateLimitDecision(
                limit=bucket.limit,
                remaining=max(0, bucket.limit - window.count),
                reset_at=window.reset_at,
                allowed=window.count <= bucket.limit,
            )
            if tightest is None or _tighter(decision, tightest):
                tightest = decision
        assert tightest is not None, "at least one bucket is required"
        return tightest

    async def enforce(self, tenant: Tenant) -> RateLimitDecision | None:
        """Count the request; raise RateLimited (429) when any bucket is over its limit."""
        if self.disabled:
            return None
        now = time.time()
        decision = await self.check(buckets_for(tenant), now)
        if not decision.allowed:
            retry_after = decision.retry_after(now)
            raise RateLimited(
                f"rate limit of {decision.limit} requests per {self.window_seconds}s exceeded; "
                f"retry after {retry_after}s",
                details={"retry_after": retry_after, "limit": decision.limit},
                headers={**decision.headers(), "Retry-After": str(retry_after)},
            )
        return decision


def _tighter(candidate: RateLimitDecision, current: RateLimitDecision) -> bool:
    if candidate.allowed != current.allowed:
        return not candidate.allowed
    return candidate.remaining < current.remaining
