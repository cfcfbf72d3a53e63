"""Model directories: manifest contents, identical round trips, refusal of damaged files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from sfagent.nlu.intents import (
    Example,
    IntentConfig,
    IntentModel,
    IntentModelError,
    data_sha256,
)

from .conftest import HashingEncoder

PROBES = [
    "reset my password, and my data export also fails",
    "the API returns 401 for our integration",
    "what is the weather on mars",
    "",
    "dashboard",
]


def test_round_trip_gives_identical_predictions(model: IntentModel, tmp_path: Path) -> None:
    loaded = IntentModel.load(model.save(tmp_path / "model"))
    assert np.array_equal(model.probabilities(PROBES[:3]), loaded.probabilities(PROBES[:3]))
    assert [model.predict(t, k=5) for t in PROBES] == [loaded.predict(t, k=5) for t in PROBES]
    assert loaded.threshold == model.threshold


def test_round_trip_with_embeddings_and_neighbours(examples: list[Example], tmp_path: Path) -> None:
    config = IntentConfig(neighbour_weight=0.5)
    model = IntentModel.train(examples, config=config, encoder=HashingEncoder())
    loaded = IntentModel.load(model.save(tmp_path / "model"), encoder=HashingEncoder())
    assert np.array_equal(model.probabilities(PROBES[:3]), loaded.probabilities(PROBES[:3]))


def test_model_needing_an_unknown_encoder_is_refused(
    examples: list[Example], tmp_path: Path
) -> None:
    directory = IntentModel.train(examples, encoder=HashingEncoder()).save(tmp_path / "model")
    with pytest.raises(IntentModelError, match="test-hashing-encoder"):
        IntentModel.load(directory)


def test_manifest_records_versions_data_and_metrics(
    model: IntentModel, examples: list[Example], tmp_path: Path
) -> None:
    directory = model.save(tmp_path / "model")
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert manifest["labels"] == list(model.labels)
    assert manifest["training_data_sha256"] == data_sha256(examples)
    assert {"python", "numpy", "scikit-learn"} <= set(manifest["libraries"])
    assert {"cv_in_scope_accuracy", "cv_oos_recall", "cv_ece"} <= set(manifest["metrics"])
    assert re.match(r"\d{4}-\d\d-\d\dT", manifest["created_at"])
    assert set(manifest["files"]) == {"parameters.npz", "vocabulary.json"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", sha) for sha in manifest["files"].values())


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IntentModelError, match="no such model directory"):
        IntentModel.load(tmp_path / "absent")


def test_directory_without_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IntentModelError, match=r"manifest\.json is missing"):
        IntentModel.load(tmp_path)


def test_altered_parameters_are_refused(model: IntentModel, tmp_path: Path) -> None:
    directory = model.save(tmp_path / "model")
    with (directory / "parameters.npz").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(IntentModelError, match="does not match its checksum"):
        IntentModel.load(directory)


def test_other_format_version_is_refused(model: IntentModel, tmp_path: Path) -> None:
    directory = model.save(tmp_path / "model")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["format_version"] = 99
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IntentModelError, match="version 99 is not supported"):
        IntentModel.load(directory)


def test_manifest_that_is_not_json_is_refused(model: IntentModel, tmp_path: Path) -> None:
    directory = model.save(tmp_path / "model")
    (directory / "manifest.json").write_text("{not json")
    with pytest.raises(IntentModelError, match="not valid JSON"):
        IntentModel.load(directory)
