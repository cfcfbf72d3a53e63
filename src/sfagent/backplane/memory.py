"""In-process backplane: the embedded default, correct for a single server process."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator

from sfagent.backplane.base import WindowCount, window_bounds


class MemoryBackplane:
    name = "memory"

    def __init__(self) -> None:
        self._counters: dict[str, tuple[int, int]] = {}
        self._subscribers: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)
        self._locks: dict[str, float] = {}

    async def hit(self, key: str, window_seconds: int, now: float) -> WindowCount:
        index, reset_at = window_bounds(window_seconds, now)
        window, count = self._counters.get(key, (index, 0))
        count = count + 1 if window == index else 1
        self._counters[key] = (index, count)
        if len(self._counters) > 100_000:
            self._forget_old_windows(index)
        return WindowCount(count=count, reset_at=reset_at)

    def _forget_old_windows(self, current: int) -> None:
        self._counters = {k: v for k, v in self._counters.items() if v[0] >= current}

    async def lock_out(self, key: str, seconds: int, now: float) -> float:
        if len(self._locks) > 100_000:
            self._locks = {k: until for k, until in self._locks.items() if until > now}
        self._locks[key] = now + seconds
        return self._locks[key]

    async def locked_until(self, key: str, now: float) -> float | None:
        until = self._locks.get(key)
        return until if until is not None and until > now else None

    async def publish(self, channel: str, message: str) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers[channel].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[channel].discard(queue)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._counters.clear()
        self._locks.clear()
