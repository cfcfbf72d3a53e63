"""Fixtures: a small Salesforce-flavoured intent set (8 intents x 12 examples + out-of-scope)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from sfagent.nlu.intents import Example, IntentModel, load_examples

FIXTURES = Path(__file__).parent / "fixtures"
INTENTS_JSONL = FIXTURES / "intents.jsonl"
INTENTS_CSV = FIXTURES / "intents.csv"


class HashingEncoder:
    """A deterministic stand-in for MiniLM: hashed word vectors, L2-normalised."""

    name = "test-hashing-encoder"
    version = "1"
    dimension = 32

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                digest = hashlib.sha256(word.encode()).digest()
                rows[row, digest[0] % self.dimension] += 1.0 if digest[1] % 2 else -1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return (rows / np.where(norms > 0, norms, 1.0)).astype(np.float32)


@pytest.fixture(scope="session")
def examples() -> list[Example]:
    return load_examples(INTENTS_JSONL)


@pytest.fixture(scope="session")
def model(examples: list[Example]) -> IntentModel:
    return IntentModel.train(examples)
