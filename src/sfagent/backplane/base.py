"""The backplane interface every implementation provides."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class WindowCount:
    """The state of one fixed-window counter after a hit."""

    count: int
    reset_at: float  # epoch seconds when the window ends


class Backplane(Protocol):
    name: str

    async def hit(self, key: str, window_seconds: int, now: float) -> WindowCount:
        """Count one hit on key in the current fixed window and return the window's total."""
        ...

    async def lock_out(self, key: str, seconds: int, now: float) -> float:
        """Mark key locked for `seconds`; return when the lock ends."""
        ...

    async def locked_until(self, key: str, now: float) -> float | None:
        """When key's lock ends, or None when it is not locked."""
        ...

    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[str]: ...

    async def ping(self) -> None:
        """Raise when the backplane cannot be reached."""
        ...

    async def close(self) -> None: ...


def window_bounds(window_seconds: int, now: float) -> tuple[int, float]:
    """The current window's index and the epoch second it ends."""
    index = int(now // window_seconds)
    return index, float((index + 1) * window_seconds)
