"""Versioned model directories: a JSON manifest, JSON vocabularies and a pickle-free .npz.

Nothing in a model directory is unpickled: arrays load with `allow_pickle=False` and every
file's SHA-256 is checked against the manifest, so a damaged or altered file is refused.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sfagent.nlu.intents.errors import IntentModelError
from sfagent.nlu.intents.features import LexicalFeaturizer
from sfagent.nlu.intents.head import LinearHead
from sfagent.nlu.intents.neighbours import NeighbourVotes
from sfagent.nlu.intents.semantic import SentenceEncoder
from sfagent.nlu.intents.static import STATIC_ENCODER, STATIC_FILES, StaticEncoder, file_sha256
from sfagent.nlu.intents.training import TrainedParts

FORMAT = "sfagent-intent-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PARAMETERS = "parameters.npz"
VOCABULARY = "vocabulary.json"


@dataclass(frozen=True, slots=True)
class LoadedArtifact:
    """What a model directory holds: fitted parts, the encoder it needs, its manifest.

    `encoder` is set when the directory carries its encoder (a static embedding table).
    """

    parts: TrainedParts
    encoder_name: str | None
    info: dict[str, Any]
    encoder: StaticEncoder | None = None


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model's numbers depend on."""
    versions = {"python": platform.python_version()}
    for package in ("numpy", "scipy", "scikit-learn"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "absent"
    return versions


def save_artifact(
    directory: Path, parts: TrainedParts, encoder: SentenceEncoder | None, info: dict[str, Any]
) -> Path:
    """Write parts and manifest into directory (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    vocabularies, arrays = parts.featurizer.state()
    arrays = {**arrays, "lexical_weights": parts.head.lexical_weights, "bias": parts.head.bias}
    if parts.head.embedding_weights is not None:
        arrays["embedding_weights"] = parts.head.embedding_weights
    if parts.neighbours is not None:
        arrays["neighbour_memory"] = parts.neighbours.memory
        arrays["neighbour_labels"] = parts.neighbours.memory_labels.astype(np.int64)
    (directory / VOCABULARY).write_text(json.dumps(vocabularies, ensure_ascii=False))
    with (directory / PARAMETERS).open("wb") as handle:
        np.savez_compressed(handle, allow_pickle=False, **arrays)
    files = [VOCABULARY, PARAMETERS]
    if isinstance(encoder, StaticEncoder):
        # The table travels with the model, so loading it needs neither the extra nor a cache.
        files += encoder.save(directory)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **info,
        "labels": list(parts.labels),
        "temperature": parts.temperature,
        "oos_threshold": parts.threshold,
        "encoder": _encoder_entry(encoder),
        "neighbours": parts.neighbours.settings() if parts.neighbours else None,
        "libraries": library_versions(),
        "files": {name: file_sha256(directory / name) for name in files},
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return directory


def load_artifact(directory: Path) -> LoadedArtifact:
    """Read and verify a model directory written by `save_artifact`."""
    manifest = _read_manifest(directory)
    entry = manifest.get("encoder")
    _verify_files(directory, manifest, stores_encoder=bool(entry and entry.get("stored")))
    try:
        vocabularies = json.loads((directory / VOCABULARY).read_text())
        with np.load(directory / PARAMETERS, allow_pickle=False) as stored:
            arrays: dict[str, NDArray[Any]] = {name: stored[name] for name in stored.files}
        parts = _parts(manifest, vocabularies, arrays)
        encoder = _stored_encoder(directory, entry)
    except (KeyError, ValueError, TypeError, OSError) as error:
        raise IntentModelError(f"{directory}: model files are corrupt ({error})") from error
    info = {key: value for key, value in manifest.items() if key != "files"}
    return LoadedArtifact(parts, entry["name"] if entry else None, info, encoder)


def _verify_files(directory: Path, manifest: dict[str, Any], *, stores_encoder: bool) -> None:
    listed = manifest.get("files", {})
    required = [VOCABULARY, PARAMETERS] + (list(STATIC_FILES) if stores_encoder else [])
    for name in required:
        if not (directory / name).is_file():
            raise IntentModelError(f"{directory}: {name} is missing")
        if listed.get(name) != file_sha256(directory / name):
            raise IntentModelError(f"{directory}: {name} does not match its checksum (corrupt)")


def _stored_encoder(directory: Path, entry: dict[str, Any] | None) -> StaticEncoder | None:
    if not entry or not entry.get("stored"):
        return None
    if entry["name"] != STATIC_ENCODER:
        raise ValueError(f"unknown stored encoder {entry['name']!r}")
    encoder = StaticEncoder.load(directory, str(entry["version"]))
    if encoder.dimension != int(entry["dimension"]):
        raise ValueError("the embedding table does not match the manifest's dimension")
    return encoder


def _read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not directory.is_dir():
        raise IntentModelError(f"{directory}: no such model directory")
    if not path.is_file():
        raise IntentModelError(f"{directory}: not an intent model ({MANIFEST} is missing)")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise IntentModelError(f"{path}: not valid JSON") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IntentModelError(f"{path}: not an sfagent intent model manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IntentModelError(
            f"{directory}: model format version {manifest.get('format_version')!r} is not "
            f"supported (this sfagent reads version {FORMAT_VERSION}); retrain the model"
        )
    return manifest


def _parts(
    manifest: dict[str, Any], vocabularies: dict[str, Any], arrays: dict[str, NDArray[Any]]
) -> TrainedParts:
    labels = tuple(str(label) for label in manifest["labels"])
    featurizer = LexicalFeaturizer.from_state(vocabularies, arrays)
    head = LinearHead(
        lexical_weights=arrays["lexical_weights"].astype(np.float32, copy=False),
        embedding_weights=arrays.get("embedding_weights"),
        bias=arrays["bias"].astype(np.float32, copy=False),
    )
    if head.lexical_weights.shape != (featurizer.n_features, len(labels)):
        raise ValueError("weights do not match the vocabulary and labels")
    if head.bias.shape != (len(labels),):
        raise ValueError("bias does not match the labels")
    if (head.embedding_weights is None) != (manifest.get("encoder") is None):
        raise ValueError("embedding weights and the manifest's encoder disagree")
    return TrainedParts(
        labels=labels,
        featurizer=featurizer,
        head=head,
        neighbours=_neighbours(manifest, arrays, len(labels)),
        temperature=float(manifest["temperature"]),
        threshold=float(manifest["oos_threshold"]),
        metrics=dict(manifest.get("metrics", {})),
    )


def _neighbours(
    manifest: dict[str, Any], arrays: dict[str, NDArray[Any]], n_labels: int
) -> NeighbourVotes | None:
    settings = manifest.get("neighbours")
    if not settings:
        return None
    labels = arrays["neighbour_labels"].astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= n_labels):
        raise ValueError("neighbour labels out of range")
    return NeighbourVotes(
        memory=arrays["neighbour_memory"].astype(np.float32, copy=False),
        memory_labels=labels,
        n_labels=n_labels,
        k=int(settings["k"]),
        sharpness=float(settings["sharpness"]),
        weight=float(settings["weight"]),
    )


def _encoder_entry(encoder: SentenceEncoder | None) -> dict[str, Any] | None:
    if encoder is None:
        return None
    return {
        "name": encoder.name,
        "version": encoder.version,
        "dimension": encoder.dimension,
        "stored": isinstance(encoder, StaticEncoder),
    }
