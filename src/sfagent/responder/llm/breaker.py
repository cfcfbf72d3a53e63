"""A circuit breaker per provider, so a dead backend costs no customer a timeout."""

from __future__ import annotations

import time
from typing import Literal

from sfagent.responder.llm.base import Clock

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Closed → open after `failure_threshold` consecutive failures → half-open after `cool_down`.

    Half-open lets exactly one trial call through: its success closes the circuit, its
    failure opens it for another cool-down. A trial that never reports back (its task was
    cancelled) stops blocking after one more cool-down, so the breaker cannot stick.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        cool_down: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self._threshold = max(1, failure_threshold)
        self._cool_down = cool_down
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_started_at: float | None = None

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._trial_started_at is not None or self._cooled_down(self._opened_at):
            return "half_open"
        return "open"

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def allow(self) -> bool:
        """Whether a call may go out now; in half-open, claims the single trial slot."""
        if self._opened_at is None:
            return True
        if not self._cooled_down(self._opened_at):
            return False
        if self._trial_started_at is not None and not self._cooled_down(self._trial_started_at):
            return False
        self._trial_started_at = self._clock()
        return True

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_started_at = None

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial_started_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()
            self._trial_started_at = None

    def _cooled_down(self, since: float) -> bool:
        return self._clock() - since >= self._cool_down
