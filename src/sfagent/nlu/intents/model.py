"""The intent model: top-k intents with calibrated confidence and out-of-scope detection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sfagent.nlu.intents import artifact
from sfagent.nlu.intents.cache import default_cache_dir
from sfagent.nlu.intents.calibration import reject_out_of_scope, softmax
from sfagent.nlu.intents.data import OOS_LABEL, Example, data_sha256
from sfagent.nlu.intents.errors import IntentModelError
from sfagent.nlu.intents.semantic import MiniLMEncoder, SentenceEncoder
from sfagent.nlu.intents.static import static_encoder
from sfagent.nlu.intents.training import IntentConfig, ProgressCallback, TrainedParts, train_parts


@dataclass(frozen=True, slots=True)
class IntentScore:
    """One candidate intent and its calibrated probability."""

    intent: str
    confidence: float


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    """The model's answer for one message.

    `intent` is `oos` when the message is out of scope; `ranking` lists the best in-scope
    candidates either way, so a caller can still offer them as suggestions.
    """

    intent: str
    confidence: float
    in_scope: bool
    ranking: tuple[IntentScore, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "in_scope": self.in_scope,
            "ranking": [
                {"intent": score.intent, "confidence": round(score.confidence, 4)}
                for score in self.ranking
            ],
        }


class IntentModel:
    """A trained intent classifier; build with `train` or `load`, never directly."""

    def __init__(
        self, parts: TrainedParts, encoder: SentenceEncoder | None, info: dict[str, Any]
    ) -> None:
        self._parts = parts
        self._encoder = encoder
        self._oos_index = parts.labels.index(OOS_LABEL) if OOS_LABEL in parts.labels else None
        self.info = info

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        *,
        config: IntentConfig | None = None,
        semantic: bool = False,
        encoder: SentenceEncoder | None = None,
        progress: ProgressCallback | None = None,
    ) -> IntentModel:
        """Train on labelled examples; `semantic` adds MiniLM-distilled static embeddings.

        The static table is built from MiniLM once into `default_cache_dir()` (that step
        needs the `semantic` extra); pass `encoder=MiniLMEncoder()` for MiniLM itself, which
        is more accurate but slower per message (`MiniLMEncoder(layers=2)` halves the cost).
        """
        settings = config or IntentConfig()
        if semantic and encoder is None:
            encoder = static_encoder(default_cache_dir())
        parts = train_parts(examples, settings, encoder, progress)
        info = {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "training_data_sha256": data_sha256(examples),
            "training_examples": len(examples),
            "config": settings.as_dict(),
            "metrics": parts.metrics,
        }
        return cls(parts, encoder, info)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label the model knows, `oos` included when it was trained with one."""
        return self._parts.labels

    @property
    def intents(self) -> tuple[str, ...]:
        """The in-scope intents."""
        return tuple(label for label in self._parts.labels if label != OOS_LABEL)

    @property
    def semantic(self) -> bool:
        """Whether the model uses sentence embeddings."""
        return self._encoder is not None

    @property
    def threshold(self) -> float:
        """Messages whose best in-scope probability falls below this are out of scope."""
        return self._parts.threshold

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Calibrated probabilities over `labels`, one row per text."""
        embedded = self._encoder.encode(texts) if self._encoder else None
        return softmax(self._parts.scores(texts, embedded), self._parts.temperature)

    def predict(self, text: str, k: int = 3) -> IntentPrediction:
        """The intent of one message, with the k best in-scope candidates."""
        return self.predict_many([text], k=k)[0]

    def predict_many(self, texts: Sequence[str], k: int = 3) -> list[IntentPrediction]:
        """Predictions for several messages at once (faster than one by one)."""
        results: list[IntentPrediction | None] = [None] * len(texts)
        rows = [index for index, text in enumerate(texts) if text.strip()]
        if rows:
            probabilities = self.probabilities([texts[index] for index in rows])
            for index, row in zip(rows, probabilities, strict=True):
                results[index] = self._prediction(row, k)
        empty = IntentPrediction(intent=OOS_LABEL, confidence=1.0, in_scope=False, ranking=())
        return [result or empty for result in results]

    def _prediction(self, probabilities: NDArray[np.float64], k: int) -> IntentPrediction:
        best, rejected = reject_out_of_scope(
            probabilities[np.newaxis, :], self._oos_index, self._parts.threshold
        )
        order = [int(i) for i in np.argsort(-probabilities, kind="stable") if i != self._oos_index]
        ranking = tuple(
            IntentScore(self._parts.labels[i], float(probabilities[i])) for i in order[: max(k, 0)]
        )
        top = int(best[0])
        if rejected[0]:
            # Confidence that the message is none of the known intents.
            return IntentPrediction(OOS_LABEL, 1.0 - float(probabilities[top]), False, ranking)
        return IntentPrediction(self._parts.labels[top], float(probabilities[top]), True, ranking)

    def save(self, directory: Path | str) -> Path:
        """Write the model as a versioned artifact directory; returns the directory."""
        return artifact.save_artifact(Path(directory), self._parts, self._encoder, self.info)

    @classmethod
    def load(cls, directory: Path | str, *, encoder: SentenceEncoder | None = None) -> IntentModel:
        """Read a model directory written by `save`, verifying format and checksums."""
        loaded = artifact.load_artifact(Path(directory))
        if loaded.encoder_name is None:
            return cls(loaded.parts, None, loaded.info)
        if encoder is None and loaded.encoder is not None:
            return cls(loaded.parts, loaded.encoder, loaded.info)
        if encoder is None:
            try:
                encoder = MiniLMEncoder.named(loaded.encoder_name)
            except IntentModelError as error:
                raise IntentModelError(f"{directory}: {error}") from None
        return cls(loaded.parts, encoder, loaded.info)
