"""The linear scoring head over lexical (sparse) and optional embedding (dense) features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

# A label missing from a cross-validation fold's training part must never win in that fold.
ABSENT_LABEL_BIAS = -10.0


@dataclass(frozen=True, slots=True)
class LinearHead:
    """scores = lexical @ lexical_weights + embedded @ embedding_weights + bias."""

    lexical_weights: NDArray[np.float32]
    embedding_weights: NDArray[np.float32] | None
    bias: NDArray[np.float32]

    def scores(self, lexical: sp.csr_matrix, embedded: NDArray[np.float32] | None) -> NDArray[Any]:
        """One row of label scores per input row."""
        result = np.asarray(lexical @ self.lexical_weights, dtype=np.float64) + self.bias
        if self.embedding_weights is not None and embedded is not None:
            result += embedded @ self.embedding_weights
        return result


def fit_linear_head(
    lexical: sp.csr_matrix,
    embedded: NDArray[np.float32] | None,
    truth: NDArray[np.intp],
    n_labels: int,
    *,
    regularization: float,
    embedding_weight: float,
    seed: int,
) -> LinearHead:
    """Fit a one-vs-rest linear SVM on the side-by-side features and keep its weights."""
    blocks = [lexical]
    if embedded is not None:
        blocks.append(sp.csr_matrix(embedded * embedding_weight))
    features = sp.hstack(blocks, format="csr")
    svm = LinearSVC(C=regularization, random_state=seed, max_iter=5000)
    svm.fit(features, truth)
    weights, bias = _weights_per_label(svm, features.shape[1], n_labels)
    n_lexical = lexical.shape[1]
    embedding_weights = None
    if embedded is not None:
        # Fold the embedding scale into the weights so prediction needs no extra multiply.
        embedding_weights = np.ascontiguousarray(weights[n_lexical:] * embedding_weight)
    return LinearHead(
        lexical_weights=np.ascontiguousarray(weights[:n_lexical]),
        embedding_weights=embedding_weights,
        bias=bias,
    )


def _weights_per_label(
    svm: LinearSVC, n_features: int, n_labels: int
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    weights = np.zeros((n_features, n_labels), dtype=np.float32)
    bias = np.full(n_labels, ABSENT_LABEL_BIAS, dtype=np.float32)
    seen = np.asarray(svm.classes_, dtype=np.intp)
    coef = np.asarray(svm.coef_, dtype=np.float32)
    intercept = np.asarray(svm.intercept_, dtype=np.float32)
    if len(seen) == 2:
        # A two-class SVM keeps one hyperplane: the second class scores +s, the first -s.
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32)
    weights[:, seen] = coef.T
    bias[seen] = intercept
    return weights, bias
