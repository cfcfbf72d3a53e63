"""Word shingles, exact Jaccard, and a MinHash LSH index: similar texts without n² compares."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

SHINGLE_WORDS = 5
PERMUTATIONS = 128
# A pair at exactly the threshold still shares a band with at least this probability.
TARGET_RECALL = 0.999
_WORD = re.compile(r"[0-9a-z]+")
_ROLL = np.uint64(0x100000001B3)  # FNV-64 prime: an odd multiplier for the rolling hash
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64 finaliser constants
_MIX_2 = np.uint64(0x94D049BB133111EB)
_BLOCK_ELEMENTS = 1 << 20  # cap on permutations x shingles per step: bounded memory per body

Shingles = NDArray[np.uint64]


def shingles(text: str, *, words: int = SHINGLE_WORDS) -> Shingles:
    """Sorted distinct hashes of every run of `words` consecutive words (case and markup ignored).

    A text shorter than `words` is one shingle, so two identical short texts still match.
    """
    tokens = _WORD.findall(text.casefold())
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    ids = np.array(list(map(_word_hash, tokens)), dtype=np.uint64)
    width = min(words, len(ids))
    count = len(ids) - width + 1
    rolled = np.zeros(count, dtype=np.uint64)
    for offset in range(width):
        rolled = rolled * _ROLL + ids[offset : offset + count]  # wraps modulo 2**64 by design
    return np.unique(rolled)


def jaccard(first: Shingles, second: Shingles) -> float:
    """Shared over combined distinct shingles of two `shingles` results; 0.0 if either is empty."""
    if not len(first) or not len(second):
        return 0.0
    shared = len(np.intersect1d(first, second, assume_unique=True))
    return shared / (len(first) + len(second) - shared)


def band_layout(threshold: float, permutations: int = PERMUTATIONS) -> tuple[int, int]:
    """(bands, rows per band): the most selective banding with `TARGET_RECALL` at `threshold`."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    best = (permutations, 1)
    for rows in range(1, permutations + 1):
        bands = permutations // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= TARGET_RECALL:
            best = (bands, rows)
    return best


class MinHashIndex:
    """MinHash signatures bucketed by LSH bands: similar sets share a bucket, others rarely do.

    Only candidates come out; callers confirm them with `jaccard`, so a chance collision never
    becomes a false report. The seed is fixed so the same corpus always gives the same result.
    """

    def __init__(
        self, threshold: float, *, permutations: int = PERMUTATIONS, seed: int = 20240611
    ) -> None:
        self._bands, self._rows = band_layout(threshold, permutations)
        generator = np.random.default_rng(seed)
        self._seeds = generator.integers(0, 2**64 - 1, size=permutations, dtype=np.uint64)
        self._buckets: dict[tuple[int, bytes], list[int]] = {}

    def add(self, key: int, items: Shingles) -> list[int]:
        """Insert `items` under `key`; return the keys already indexed that share a band with it."""
        if not len(items):
            return []
        signature = self._signature(items)
        found: dict[int, None] = {}
        for band in range(self._bands):
            part = signature[band * self._rows : (band + 1) * self._rows].tobytes()
            bucket = self._buckets.setdefault((band, part), [])
            found.update(dict.fromkeys(bucket))
            bucket.append(key)
        return list(found)

    def _signature(self, items: Shingles) -> NDArray[np.uint64]:
        block = max(1, _BLOCK_ELEMENTS // len(items))
        parts = [
            _mix(items[None, :] ^ self._seeds[start : start + block, None]).min(axis=1)
            for start in range(0, len(self._seeds), block)
        ]
        return np.concatenate(parts)


def _mix(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    # splitmix64's finaliser: each seed turns it into a different, well-mixed permutation.
    values = (values ^ (values >> np.uint64(30))) * _MIX_1
    values = (values ^ (values >> np.uint64(27))) * _MIX_2
    return values ^ (values >> np.uint64(31))


@lru_cache(maxsize=1 << 16)
def _word_hash(word: str) -> int:
    # Not hash(): it changes per process, and the same corpus must give the same result.
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
