"""Nearest-neighbour votes over sentence embeddings, added to the linear scores.

Fine-grained intents (two ways a card payment can fail) are often told apart best by the
closest training paraphrases; the votes lift accuracy where the linear head alone is unsure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class NeighbourVotes:
    """Similarity-weighted votes of the k most similar training messages, per label."""

    memory: NDArray[np.float32]  # (examples, dimension), L2-normalised
    memory_labels: NDArray[np.intp]
    n_labels: int
    k: int = 10
    sharpness: float = 20.0
    weight: float = 1.0

    def scores(self, embedded: NDArray[np.float32]) -> NDArray[np.float64]:
        """weight x (share of the neighbours' softmax-weighted votes), one row per input."""
        votes = np.zeros((len(embedded), self.n_labels), dtype=np.float64)
        if len(self.memory) == 0 or len(embedded) == 0:
            return votes
        similarity = embedded @ self.memory.T
        k = min(self.k, similarity.shape[1])
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        closeness = np.take_along_axis(similarity, nearest, axis=1).astype(np.float64)
        strength = np.exp(self.sharpness * (closeness - closeness.max(axis=1, keepdims=True)))
        rows = np.repeat(np.arange(len(embedded)), k)
        np.add.at(votes, (rows, self.memory_labels[nearest].ravel()), strength.ravel())
        shares: NDArray[np.float64] = votes / votes.sum(axis=1, keepdims=True)
        return self.weight * shares

    def settings(self) -> dict[str, Any]:
        """The scalar settings, for the manifest."""
        return {"k": self.k, "sharpness": self.sharpness, "weight": self.weight}
