"""Job handler interface and the registry workers dispatch on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.backplane.base import Backplane
from sfagent.config import Settings


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a job may use. Jobs open their own sessions and take ids, never ORM objects.
    `services` holds what the process was built with (clients, factories), by name, so a
    test can hand a job a stand-in where production uses the network."""

    sessionmaker: async_sessionmaker[AsyncSession]
    backplane: Backplane
    settings: Settings
    organization_id: str | None
    services: Mapping[str, Any] = field(default_factory=dict)


JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


class PermanentJobError(Exception):
    """A failure retrying cannot fix: the job goes straight to the dead letters."""


class JobDeferred(Exception):
    """Not a failure: the job waits `seconds` (an API's daily limit is spent, say) and the
    attempt does not count towards its maximum."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds
