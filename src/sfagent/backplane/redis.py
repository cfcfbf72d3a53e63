"""Redis backplane: counters and pub/sub shared by every server and worker process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from sfagent.backplane.base import WindowCount, window_bounds

# INCR and EXPIRE in one atomic step, so a crash between them cannot leave an eternal key.
CLOSE_TIMEOUT_SECONDS = 2.0
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class RedisBackplane:
    name = "redis"

    def __init__(self, url: str, *, prefix: str, timeout_seconds: float = 5.0) -> None:
        self._redis: Redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            health_check_interval=30,
        )
        self._prefix = prefix
        self._hit = self._redis.register_script(_HIT_SCRIPT)

    async def hit(self, key: str, window_seconds: int, now: float) -> WindowCount:
        index, reset_at = window_bounds(window_seconds, now)
        redis_key = f"{self._prefix}rl:{key}:{index}"
        count = await self._hit(keys=[redis_key], args=[window_seconds + 1])
        return WindowCount(count=int(count), reset_at=reset_at)

    async def lock_out(self, key: str, seconds: int, now: float) -> float:
        until = now + seconds
        await self._redis.set(f"{self._prefix}lock:{key}", str(until), ex=seconds)
        return until

    async def locked_until(self, key: str, now: float) -> float | None:
        value = await self._redis.get(f"{self._prefix}lock:{key}")
        if value is None:
            return None
        until = float(value)
        return until if until > now else None

    async def publish(self, channel: str, message: str) -> None:
        await self._redis.publish(f"{self._prefix}ch:{channel}", message)

    async def subscribe(self, channel: str) -> AsyncIterator[str]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(f"{self._prefix}ch:{channel}")
        try:
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    yield str(item["data"])
        finally:
            # Cancelled mid-connect, closing can stall; never hold the caller for long.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pubsub.aclose(), CLOSE_TIMEOUT_SECONDS)  # type: ignore[no-untyped-call, unused-ignore]

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
