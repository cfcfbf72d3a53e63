"""Confidence calibration (temperature scaling), the out-of-scope threshold, and ECE."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar  # type: ignore[import-untyped]

FloatArray = NDArray[np.floating[Any]]
IntArray = NDArray[np.integer[Any]]


def softmax(scores: FloatArray, temperature: float) -> NDArray[np.float64]:
    """Row-wise softmax of scores divided by temperature."""
    scaled = np.asarray(scores, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    result: NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return result


def fit_temperature(scores: FloatArray, truth: IntArray) -> float:
    """The temperature minimising the negative log-likelihood of held-out scores."""

    def nll(log_temperature: float) -> float:
        probabilities = softmax(scores, float(np.exp(log_temperature)))
        picked = probabilities[np.arange(len(truth)), truth]
        return float(-np.log(np.clip(picked, 1e-12, None)).mean())

    result = minimize_scalar(nll, bounds=(-6.0, 4.0), method="bounded")
    return float(np.exp(result.x))


def reject_out_of_scope(
    probabilities: FloatArray, oos_index: int | None, threshold: float
) -> tuple[IntArray, NDArray[np.bool_]]:
    """The best in-scope label per row, and whether the row is out of scope.

    A row is out of scope when the learned out-of-scope class outscores the best in-scope
    label, or when that label's probability is under the threshold.
    """
    in_scope = np.array(probabilities, dtype=np.float64)
    if oos_index is not None:
        in_scope[:, oos_index] = -1.0
    best = in_scope.argmax(axis=1)
    best_probability = in_scope[np.arange(len(best)), best]
    rejected = best_probability < threshold
    if oos_index is not None:
        rejected |= probabilities[:, oos_index] > best_probability
    return best, rejected


def tune_threshold_with_oos(
    probabilities: FloatArray, truth: IntArray, oos_index: int, *, target_recall: float
) -> float:
    """The lowest threshold that catches `target_recall` of held-out out-of-scope messages.

    Lowest, because every step up also turns away some in-scope messages. When no candidate
    reaches the target, the one with the best recall is taken.
    """
    is_oos = truth == oos_index
    best_recall, best_threshold = -1.0, 0.0
    for threshold in _candidate_thresholds(probabilities, oos_index):
        _, rejected = reject_out_of_scope(probabilities, oos_index, threshold)
        recall = float(rejected[is_oos].mean())
        if recall >= target_recall:
            return float(threshold)
        if recall > best_recall:
            best_recall, best_threshold = recall, float(threshold)
    return best_threshold


def tune_threshold_without_oos(probabilities: FloatArray, *, rejection_rate: float) -> float:
    """Threshold that turns away about `rejection_rate` of held-out in-scope messages.

    With no out-of-scope examples, the least confident in-scope messages stand in for them.
    """
    confidence = np.max(probabilities, axis=1)
    return float(np.quantile(confidence, rejection_rate))


def _candidate_thresholds(probabilities: FloatArray, oos_index: int) -> NDArray[np.float64]:
    in_scope = np.delete(probabilities, oos_index, axis=1)
    confidence = in_scope.max(axis=1)
    grid = np.quantile(confidence, np.linspace(0.0, 0.9, 181))
    return np.unique(np.concatenate([[0.0], grid]))


def expected_calibration_error(
    confidence: FloatArray, correct: NDArray[np.bool_], *, bins: int = 15
) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    bin_of = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    error = 0.0
    for index in range(bins):
        members = bin_of == index
        if members.any():
            gap = abs(float(correct[members].mean()) - float(confidence[members].mean()))
            error += gap * float(members.mean())
    return error
