"""Job handler interface and the registry workers dispatch on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.backplane.base import Backplane
from sfagent.config import Settings


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job may use. Jobs open their own sessions and take ids, never ORM objects."""

    sessionmaker: async_sessionmaker[AsyncSession]
    backplane: Backplane
    settings: Settings
    organization_id: str | None


JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


class PermanentJobError(Exception):
    """A failure retrying cannot fix: the job goes straight to the dead letters."""
