"""Record API keys' last use without a write on every request."""

from __future__ import annotations

import asyncio
import time

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.db.base import utcnow
from sfagent.tenancy.repository import ApiKeyRepository

log = structlog.get_logger(__name__)


class KeyUsageRecorder:
    """Writes last_used_at at most once per interval per key, off the request path."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, interval_seconds: float = 60.0
    ) -> None:
        self._sessionmaker = sessionmaker
        self._interval = interval_seconds
        self._last_written: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def note(self, key_id: str) -> None:
        now = time.monotonic()
        if now - self._last_written.get(key_id, -self._interval) < self._interval:
            return
        self._last_written[key_id] = now
        task = asyncio.create_task(self._write(key_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, key_id: str) -> None:
        try:
            async with self._sessionmaker() as session, session.begin():
                await ApiKeyRepository(session).touch(key_id, utcnow())
        except Exception:  # last-used is informational: never fail or crash over it
            log.warning("api_key.last_used_write_failed", key_id=key_id, exc_info=True)

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
