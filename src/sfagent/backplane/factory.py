"""Choose the backplane from settings: Redis when a URL is set, else in-memory."""

from __future__ import annotations

from sfagent.backplane.base import Backplane
from sfagent.backplane.memory import MemoryBackplane
from sfagent.backplane.redis import RedisBackplane
from sfagent.config import Settings


def create_backplane(settings: Settings) -> Backplane:
    if settings.redis_url:
        return RedisBackplane(
            settings.redis_url,
            prefix=settings.redis_prefix,
            timeout_seconds=settings.database_timeout_seconds,
        )
    return MemoryBackplane()
