"""Evaluation: accuracy, out-of-scope precision/recall, macro-F1, calibration and latency."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import f1_score  # type: ignore[import-untyped]

from sfagent.nlu.intents.calibration import expected_calibration_error
from sfagent.nlu.intents.data import OOS_LABEL, Example
from sfagent.nlu.intents.model import IntentModel


def evaluate(
    model: IntentModel, examples: Sequence[Example], *, confused: int = 10
) -> dict[str, Any]:
    """Score the model on labelled examples, predicting one message at a time.

    Returns accuracy, in_scope_accuracy, closed_set_accuracy (in-scope rows, best in-scope
    intent, out-of-scope rejection ignored), oos_recall, oos_precision (None without out-of-scope
    rows or predictions), macro_f1, ece (top-1 of the calibrated distribution, 15 bins),
    p50_ms/p99_ms per-message latency, and confused_pairs as [true, predicted, count].
    """
    if not examples:
        raise ValueError("no examples to evaluate")
    predicted: list[str] = []
    best_in_scope: list[str] = []
    latencies: list[float] = []
    for example in examples:
        started = time.perf_counter()
        prediction = model.predict(example.text, k=1)
        latencies.append((time.perf_counter() - started) * 1000.0)
        predicted.append(prediction.intent)
        best_in_scope.append(prediction.ranking[0].intent if prediction.ranking else OOS_LABEL)
    truth = [example.intent for example in examples]
    return {
        "examples": len(examples),
        **_accuracies(truth, predicted),
        "closed_set_accuracy": _closed_set_accuracy(truth, best_in_scope),
        "ece": _calibration_error(model, examples),
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
        "confused_pairs": _confused_pairs(truth, predicted, confused),
    }


def _accuracies(truth: list[str], predicted: list[str]) -> dict[str, float | None]:
    correct = np.array([t == p for t, p in zip(truth, predicted, strict=True)])
    is_oos = np.array([t == OOS_LABEL for t in truth])
    said_oos = np.array([p == OOS_LABEL for p in predicted])
    labels = sorted(set(truth) | set(predicted))
    return {
        "accuracy": float(correct.mean()),
        "in_scope_accuracy": float(correct[~is_oos].mean()) if (~is_oos).any() else None,
        "oos_recall": float(said_oos[is_oos].mean()) if is_oos.any() else None,
        "oos_precision": float(is_oos[said_oos].mean()) if said_oos.any() else None,
        "macro_f1": float(
            f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
        ),
    }


def _closed_set_accuracy(truth: list[str], best_in_scope: list[str]) -> float | None:
    pairs = [(t, b) for t, b in zip(truth, best_in_scope, strict=True) if t != OOS_LABEL]
    return sum(t == b for t, b in pairs) / len(pairs) if pairs else None


def _calibration_error(model: IntentModel, examples: Sequence[Example]) -> float:
    probabilities = model.probabilities([example.text for example in examples])
    labels = model.labels
    top = probabilities.argmax(axis=1)
    correct = np.array(
        [labels[index] == example.intent for index, example in zip(top, examples, strict=True)]
    )
    return expected_calibration_error(probabilities.max(axis=1), correct)


def _confused_pairs(truth: list[str], predicted: list[str], top: int) -> list[list[Any]]:
    mistakes = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    ordered = sorted(mistakes.items(), key=lambda item: (-item[1], item[0]))
    return [[t, p, count] for (t, p), count in ordered[:top]]
