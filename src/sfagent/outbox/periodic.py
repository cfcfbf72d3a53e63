"""Run maintenance tasks on an interval in the background of a server or worker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)

PeriodicTask = Callable[[], Awaitable[object]]


async def run_periodically(name: str, task: PeriodicTask, interval_seconds: float) -> None:
    """Call task every interval until cancelled; a failure is logged and retried next time."""
    while True:
        try:
            await task()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic.failed", task=name)
        await asyncio.sleep(interval_seconds)
