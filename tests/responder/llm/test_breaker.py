"""The circuit breaker's states, driven by an injected clock."""

from __future__ import annotations

from sfagent.responder.llm import CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def opened_breaker(clock: FakeClock) -> CircuitBreaker:
    breaker = CircuitBreaker(failure_threshold=3, cool_down=10, clock=clock)
    for _ in range(3):
        breaker.record_failure()
    return breaker


def test_stays_closed_below_the_threshold() -> None:
    breaker = CircuitBreaker(failure_threshold=3, cool_down=10, clock=FakeClock())
    breaker.record_failure()
    breaker.record_failure()

    assert breaker.state == "closed"
    assert breaker.allow()


def test_success_resets_the_consecutive_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, cool_down=10, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()

    assert breaker.state == "closed"
    assert breaker.consecutive_failures == 1


def test_opens_after_threshold_and_refuses_calls() -> None:
    breaker = opened_breaker(FakeClock())

    assert breaker.state == "open"
    assert not breaker.allow()


def test_half_open_after_cool_down_allows_exactly_one_trial() -> None:
    clock = FakeClock()
    breaker = opened_breaker(clock)
    clock.now = 10

    assert breaker.state == "half_open"
    assert breaker.allow()
    assert not breaker.allow()


def test_successful_trial_closes_the_circuit() -> None:
    clock = FakeClock()
    breaker = opened_breaker(clock)
    clock.now = 10
    breaker.allow()

    breaker.record_success()

    assert breaker.state == "closed"
    assert breaker.allow()


def test_failed_trial_reopens_for_another_cool_down() -> None:
    clock = FakeClock()
    breaker = opened_breaker(clock)
    clock.now = 10
    breaker.allow()

    breaker.record_failure()

    assert breaker.state == "open"
    assert not breaker.allow()
    clock.now = 20
    assert breaker.allow()


def test_a_trial_that_never_reports_back_stops_blocking_after_a_cool_down() -> None:
    clock = FakeClock()
    breaker = opened_breaker(clock)
    clock.now = 10
    breaker.allow()

    clock.now = 20

    assert breaker.allow()
