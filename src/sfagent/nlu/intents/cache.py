"""Where the intent model keeps what it builds once: trained models and embedding tables."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_VARIABLE = "SFAGENT_NLU_CACHE"


def default_cache_dir() -> Path:
    """$SFAGENT_NLU_CACHE, else $XDG_CACHE_HOME/sfagent/nlu, else ~/.cache/sfagent/nlu."""
    if configured := os.environ.get(CACHE_VARIABLE):
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sfagent" / "nlu"
