"""Static sentence embeddings distilled from MiniLM: a token lookup and a mean, in numpy.

Full MiniLM costs tens of milliseconds per message on a small CPU. Here every vocabulary
piece is run through MiniLM once (as "[CLS] piece [SEP]", the model2vec recipe) and its
output kept as a table row; a message's vector is then the mean of its pieces' rows. Only
building the table needs the `semantic` extra (MiniLM's weights); using it needs numpy alone.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sfagent.nlu.intents.errors import IntentModelError, SemanticUnavailable
from sfagent.nlu.intents.semantic import (
    INSTALL_HINT,
    MINILM_PACKAGE,
    MiniLMEncoder,
    semantic_available,
)
from sfagent.nlu.intents.wordpiece import WordPieceTokenizer

STATIC_ENCODER = "minilm-static"
# Bump when the recipe changes, so cached tables built the old way are not reused.
RECIPE_VERSION = 1
TABLE = "table.npy"
PIECES = "pieces.txt"
STATIC_FILES = (PIECES, TABLE)
MANIFEST = "manifest.json"
BATCH = 1024


class StaticEncoder:
    """Mean of per-piece vectors, L2-normalised; satisfies `SentenceEncoder`."""

    name = STATIC_ENCODER

    def __init__(self, pieces: Sequence[str], table: NDArray[Any], version: str) -> None:
        if table.ndim != 2 or table.shape[0] != len(pieces):
            raise ValueError("the embedding table must have one row per vocabulary piece")
        self.table = np.ascontiguousarray(table, dtype=np.float16)  # halves the size, no loss
        self.tokenizer = WordPieceTokenizer(pieces)
        self.version = version
        self.dimension = int(table.shape[1])

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One L2-normalised row per text; a text with no known piece gets a zero row."""
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self.tokenizer.ids(text)
            if ids:
                rows[row] = self.table[ids].astype(np.float32).mean(axis=0)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows /= np.where(norms > 0, norms, 1.0)
        return rows

    def save(self, directory: Path) -> list[str]:
        """Write the pieces and the table into directory; returns the file names written."""
        lines = "".join(f"{piece}\n" for piece in self.tokenizer.vocabulary)
        (directory / PIECES).write_text(lines, encoding="utf-8")
        np.save(directory / TABLE, self.table, allow_pickle=False)
        return list(STATIC_FILES)

    @classmethod
    def load(cls, directory: Path, version: str) -> StaticEncoder:
        """Read what `save` wrote (the caller has verified the files' checksums)."""
        pieces = (directory / PIECES).read_text(encoding="utf-8").split("\n")[:-1]
        table = np.load(directory / TABLE, allow_pickle=False)
        return cls(pieces, table, version)


def static_encoder(cache_dir: Path) -> StaticEncoder:
    """The MiniLM-distilled encoder, built once into cache_dir (needs the extra only then)."""
    target = cache_dir / f"{STATIC_ENCODER}-r{RECIPE_VERSION}"
    if (target / MANIFEST).is_file():
        try:
            return StaticEncoder.load(target, _verified_version(target))
        except (IntentModelError, KeyError, ValueError, OSError):
            shutil.rmtree(target, ignore_errors=True)  # damaged cache: build it again
    if not semantic_available():
        raise SemanticUnavailable(
            f"building static embeddings needs {MINILM_PACKAGE}: {INSTALL_HINT}"
        )
    version = f"{importlib.metadata.version(MINILM_PACKAGE)}-r{RECIPE_VERSION}"
    encoder = StaticEncoder(*_distil_minilm(), version=version)
    _save_atomically(encoder, target)
    return encoder


def _distil_minilm() -> tuple[list[str], NDArray[np.float32]]:
    """Every piece's MiniLM output vector; runs the transformer over the vocabulary once."""
    model = MiniLMEncoder()
    pieces = model.tokenizer.vocabulary
    first, last = model.token_ids("")  # [CLS] and [SEP]
    table = np.zeros((len(pieces), model.dimension), dtype=np.float32)
    for start in range(0, len(pieces), BATCH):
        batch = [[first, piece, last] for piece in range(start, min(len(pieces), start + BATCH))]
        states, _mask = model.hidden_states(batch)
        table[start : start + len(batch)] = states[:, 1]
    return list(pieces), table


def _save_atomically(encoder: StaticEncoder, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".static-", dir=target.parent))
    try:
        files = encoder.save(staging)
        manifest = {
            "encoder": STATIC_ENCODER,
            "version": encoder.version,
            "files": {name: file_sha256(staging / name) for name in files},
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another process finished first
        if not (target / MANIFEST).is_file():
            raise


def _verified_version(directory: Path) -> str:
    manifest = json.loads((directory / MANIFEST).read_text())
    for name in STATIC_FILES:
        if file_sha256(directory / name) != manifest["files"][name]:
            raise IntentModelError(f"{directory}: {name} does not match its checksum (corrupt)")
    return str(manifest["version"])


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
