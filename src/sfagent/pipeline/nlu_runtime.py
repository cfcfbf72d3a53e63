"""The NLU as a process resource: loaded once, off the event loop, awaited by the understand stage.

Loading the shipped intent model takes about a second from its cache, and training it (the
first start on a machine, or after the training data changed) several seconds more. The
server starts answering at once; a message that arrives before the model is ready waits for
it, up to a timeout, and is then handled without understanding rather than failing.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import structlog

from sfagent.config import Settings

if TYPE_CHECKING:
    # Imported when loading: scikit-learn and friends add seconds to every process start.
    from sfagent.nlu.understand import Understander

log = structlog.get_logger(__name__)

# Every app in a process (tests build hundreds) shares one loaded model per location.
_LOADED: dict[tuple[Path | None, Path | None, bool], Understander] = {}
_LOAD_LOCK = threading.Lock()


def load_understander(
    model_dir: Path | None, cache_dir: Path | None, semantic: bool = False
) -> Understander:
    """The Understander for a model directory (None: the shipped model), loaded once."""
    from sfagent.nlu.understand import Understander

    key = (model_dir, cache_dir, semantic)
    with _LOAD_LOCK:
        if key not in _LOADED:
            _LOADED[key] = Understander.load(model_dir, cache_dir=cache_dir, semantic=semantic)
        return _LOADED[key]


class NluRuntime:
    """Starts loading at application start-up; `get` waits for the result."""

    def __init__(self, settings: Settings) -> None:
        self._model_dir = settings.nlu_model_dir
        self._cache_dir = settings.nlu_cache
        self._semantic = settings.nlu_semantic
        self._timeout = settings.nlu_load_timeout_seconds
        self._loaded = anyio.Event()
        self._understander: Understander | None = None
        self.error: str | None = None

    @property
    def ready(self) -> bool:
        """Whether the model is loaded."""
        return self._understander is not None

    async def load(self) -> None:
        """Load (or train and cache) the model in a worker thread; never raises."""
        try:
            self._understander = await anyio.to_thread.run_sync(
                load_understander, self._model_dir, self._cache_dir, self._semantic
            )
            log.info("nlu.loaded", intents=len(self._understander.model.intents))
        except Exception as error:  # a broken model must not take the server down
            self.error = f"{type(error).__name__}: {error}"[:300]
            log.error("nlu.load_failed", error=self.error)
        finally:
            self._loaded.set()

    async def get(self) -> Understander | None:
        """The loaded Understander; None when loading failed or took longer than the timeout."""
        with anyio.move_on_after(self._timeout):
            await self._loaded.wait()
        return self._understander
