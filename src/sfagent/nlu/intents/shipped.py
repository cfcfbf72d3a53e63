"""The shipped Salesforce intent model: packaged if present, else trained once and cached."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import warnings
from pathlib import Path

from sklearn import __version__ as sklearn_version  # type: ignore[import-untyped]

from sfagent.nlu.intents.artifact import FORMAT_VERSION, MANIFEST
from sfagent.nlu.intents.cache import CACHE_VARIABLE, default_cache_dir
from sfagent.nlu.intents.data import data_sha256, load_examples
from sfagent.nlu.intents.errors import IntentModelError
from sfagent.nlu.intents.model import IntentModel
from sfagent.nlu.intents.static import static_encoder
from sfagent.nlu.intents.training import IntentConfig, ProgressCallback

__all__ = [
    "CACHE_VARIABLE",
    "default_cache_dir",
    "packaged_model_path",
    "shipped_data_path",
    "shipped_model",
]

NLU_PACKAGE = Path(__file__).resolve().parents[1]
# Rows of this split are held out for evaluation and never reach the shipped model.
HELD_OUT_SPLIT = "test"


def shipped_data_path() -> Path:
    """Where the shipped Salesforce training data lives inside the package."""
    return NLU_PACKAGE / "data" / "salesforce_intents.jsonl"


def packaged_model_path() -> Path:
    """Where a pre-trained model directory would live inside the package."""
    return NLU_PACKAGE / "data" / "intent_model"


def shipped_model(
    cache_dir: Path | None = None,
    *,
    semantic: bool = False,
    progress: ProgressCallback | None = None,
) -> IntentModel:
    """The packaged model, else the one trained from the shipped data (cached; see cache_key)."""
    if (packaged_model_path() / MANIFEST).is_file():
        return IntentModel.load(packaged_model_path())
    data = shipped_data_path()
    if not data.is_file():
        raise IntentModelError(f"no shipped intent model or training data in {data.parent}")
    examples = [e for e in load_examples(data) if e.split != HELD_OUT_SPLIT]
    config = IntentConfig()
    cache = cache_dir or default_cache_dir()
    # The static table needs the semantic extra once, to be built; afterwards numpy alone.
    encoder = static_encoder(cache) if semantic else None
    key = cache_key(data_sha256(examples), config, encoder.version if encoder else None)
    target = cache / key
    if (target / MANIFEST).is_file():
        try:
            return IntentModel.load(target)
        except IntentModelError:
            shutil.rmtree(target, ignore_errors=True)  # damaged cache: train it again
    model = IntentModel.train(examples, config=config, encoder=encoder, progress=progress)
    try:
        _save_atomically(model, target)
    except OSError as error:
        # A read-only home or a full disk costs the next start a retraining, nothing more.
        warnings.warn(f"could not cache the intent model in {target}: {error}", stacklevel=2)
    return model


def cache_key(data_hash: str, config: IntentConfig, encoder: str | None = None) -> str:
    """The cache entry of a model: a new one whenever data, settings, encoder or sklearn change."""
    recipe = json.dumps(
        {
            "data": data_hash,
            "config": config.as_dict(),
            "encoder": encoder,
            "sklearn": sklearn_version,
        },
        sort_keys=True,
    )
    return f"v{FORMAT_VERSION}-{hashlib.sha256(recipe.encode()).hexdigest()[:32]}"


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
