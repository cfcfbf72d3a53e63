"""The shipped Salesforce intent model: packaged if present, else trained once and cached."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from sfagent.nlu.intents.artifact import FORMAT_VERSION, MANIFEST
from sfagent.nlu.intents.data import data_sha256, load_examples
from sfagent.nlu.intents.errors import IntentModelError
from sfagent.nlu.intents.model import IntentModel
from sfagent.nlu.intents.training import ProgressCallback

NLU_PACKAGE = Path(__file__).resolve().parents[1]
CACHE_VARIABLE = "SFAGENT_NLU_CACHE"
# Rows of this split are held out for evaluation and never reach the shipped model.
HELD_OUT_SPLIT = "test"


def shipped_data_path() -> Path:
    """Where the shipped Salesforce training data lives inside the package."""
    return NLU_PACKAGE / "data" / "salesforce_intents.jsonl"


def packaged_model_path() -> Path:
    """Where a pre-trained model directory would live inside the package."""
    return NLU_PACKAGE / "data" / "intent_model"


def default_cache_dir() -> Path:
    """$SFAGENT_NLU_CACHE, else $XDG_CACHE_HOME/sfagent/nlu, else ~/.cache/sfagent/nlu."""
    if configured := os.environ.get(CACHE_VARIABLE):
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sfagent" / "nlu"


def shipped_model(
    cache_dir: Path | None = None, *, progress: ProgressCallback | None = None
) -> IntentModel:
    """The packaged model, else the one trained from the shipped data (cached by data hash)."""
    if (packaged_model_path() / MANIFEST).is_file():
        return IntentModel.load(packaged_model_path())
    data = shipped_data_path()
    if not data.is_file():
        raise IntentModelError(f"no shipped intent model or training data in {data.parent}")
    examples = [e for e in load_examples(data) if e.split != HELD_OUT_SPLIT]
    target = (cache_dir or default_cache_dir()) / f"v{FORMAT_VERSION}-{data_sha256(examples)}"
    if (target / MANIFEST).is_file():
        try:
            return IntentModel.load(target)
        except IntentModelError:
            shutil.rmtree(target, ignore_errors=True)  # damaged cache: train it again
    model = IntentModel.train(examples, progress=progress)
    _save_atomically(model, target)
    return model


def _save_atomically(model: IntentModel, target: Path) -> None:
    """Write into a sibling temporary directory, then rename, so readers never see half a model."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".training-", dir=target.parent))
    try:
        model.save(staging)
        staging.rename(target)
    except OSError:
        # Another process finished first; its model is as good as ours.
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / MANIFEST).is_file():
            raise
