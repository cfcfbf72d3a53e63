"""Failed-authentication throttling: too many failures from one address, or against one
credential, lock it out for a while — even a correct secret is refused until the lock ends.

Counters and locks live on the backplane, so every server process sees the same lock
(Redis in production). Two keys per attempt: the client address (a password sprayer) and
the credential tried (a guesser rotating addresses against one key or one account).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

import structlog

from sfagent.backplane.base import Backplane
from sfagent.errors import RateLimited

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    failures_per_address: int
    failures_per_credential: int
    window_seconds: int
    lockout_seconds: int
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Attempt:
    """Who tried: the client address and, when one was presented, which credential."""

    address: str
    credential: str | None = None

    def counter_keys(self) -> list[tuple[str, str]]:
        keys = [("address", f"authfail:ip:{self.address}")]
        if self.credential:
            # Hashed: the counter key must not carry an email or a key secret into Redis.
            digest = hashlib.sha256(self.credential.encode()).hexdigest()[:32]
            keys.append(("credential", f"authfail:cred:{digest}"))
        return keys


def credential_label(*, api_key: str | None = None, login: str | None = None) -> str | None:
    """The part of a credential that names it: an API key's public prefix, a login's
    organization and email. Never the secret."""
    if api_key:
        return "key:" + "_".join(api_key.strip().split("_")[:2])
    if login:
        return "login:" + login.strip().lower()
    return None


class AuthLockout:
    def __init__(self, backplane: Backplane, policy: LockoutPolicy) -> None:
        self.backplane = backplane
        self.policy = policy

    async def check(self, attempt: Attempt) -> None:
        """Raise 429 with Retry-After while the address or the credential is locked out."""
        if self.policy.disabled:
            return
        now = time.time()
        for what, key in attempt.counter_keys():
            until = await self.backplane.locked_until(key, now)
            if until is not None:
                raise _locked(what, until, now)

    async def failed(self, attempt: Attempt) -> str | None:
        """Count a failure; return what was locked out by it ("address"/"credential")."""
        if self.policy.disabled:
            return None
        now = time.time()
        locked: str | None = None
        for what, key in attempt.counter_keys():
            limit = (
                self.policy.failures_per_address
                if what == "address"
                else self.policy.failures_per_credential
            )
            window = await self.backplane.hit(key, self.policy.window_seconds, now)
            if window.count >= limit:
                await self.backplane.lock_out(key, self.policy.lockout_seconds, now)
                locked = locked or what
        if locked:
            log.warning("auth.locked_out", locked=locked, address=attempt.address)
        return locked


def _locked(what: str, until: float, now: float) -> RateLimited:
    retry_after = max(1, math.ceil(until - now))
    subject = "this address" if what == "address" else "this credential"
    return RateLimited(
        f"too many failed sign-in attempts from {subject}; locked out, retry after {retry_after}s",
        details={"retry_after": retry_after, "locked": what},
        headers={"Retry-After": str(retry_after)},
    )
