"""Dense ranking of the index's chunks by embedding cosine similarity, numpy only.

The default encoder is the NLU's static table distilled from MiniLM (a piece lookup and a
mean, numpy only once the table is built); with the `semantic` extra MiniLM itself can be
used instead (run in numpy too). The retriever is kept in step by `KnowledgeIndex` through
`set_chunks`, so an upsert re-embeds that article's chunks only, and the server's indexes
share one `SharedChunkVectors`, so the shipped articles are embedded once per process.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sfagent.knowledge.articles import load_default_articles
from sfagent.knowledge.chunking import Chunk
from sfagent.nlu.intents.cache import default_cache_dir
from sfagent.nlu.intents.semantic import MiniLMEncoder, SentenceEncoder
from sfagent.nlu.intents.static import StaticEncoder, static_encoder
from sfagent.nlu.intents.wordpiece import split_words

EncoderKind = Literal["static", "minilm"]
ENCODER_KINDS: tuple[EncoderKind, ...] = ("static", "minilm")
# For ASCII text this splits exactly as BERT's pre-tokenizer does (letters and digits form
# words, every other printable character is a word of its own), many times faster.
_ASCII_WORD = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")
_ASCII_CONTROL = {code: None for code in (*range(0, 9), 11, 12, *range(14, 32), 127)}
WORD_CACHE = 1 << 16
# Vectors kept for reuse across a process's indexes: the shipped articles are about 3,000
# chunks; 100,000 rows of 384 floats are 150 MB.
DEFAULT_SHARED_VECTORS = 100_000
KEY_BYTES = 16  # a BLAKE2b digest of the embedded text


class SharedChunkVectors:
    """Chunk vectors by the text embedded, shared by every index of a process (LRU-bounded).

    Each tenant's index holds the shipped articles as well as its own: without this, every
    tenant index built would embed the same few thousand default chunks again, which takes
    about a minute with MiniLM. Thread-safe: indexes are built and searched in worker threads.
    """

    def __init__(self, encoder: SentenceEncoder, *, max_entries: int = DEFAULT_SHARED_VECTORS):
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.encoder = encoder
        self._max_entries = max_entries
        self._vectors: OrderedDict[bytes, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def save(self, path: Path) -> None:
        """Write every cached vector to `path` (.npz, no pickle), replacing it atomically."""
        with self._lock:
            keys = np.frombuffer(b"".join(self._vectors), dtype=np.uint8).reshape(-1, KEY_BYTES)
            vectors = np.zeros((len(keys), self.encoder.dimension), dtype=np.float32)
            for row, vector in enumerate(self._vectors.values()):
                vectors[row] = vector
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        with staging.open("wb") as handle:
            np.savez(handle, keys=keys, vectors=vectors)
        staging.replace(path)

    def load(self, path: Path) -> int:
        """Add the vectors `save` wrote; how many. A missing, damaged or foreign file adds none."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                keys, vectors = saved["keys"], saved["vectors"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return 0
        if keys.ndim != 2 or keys.shape[1] != KEY_BYTES or keys.dtype != np.uint8:
            return 0
        if vectors.shape != (len(keys), self.encoder.dimension):
            return 0
        with self._lock:
            for key, vector in zip(keys, vectors.astype(np.float32), strict=True):
                self._vectors[key.tobytes()] = vector
            while len(self._vectors) > self._max_entries:
                self._vectors.popitem(last=False)
        return len(keys)

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One row per text; only texts not seen before are run through the encoder."""
        keys = [hashlib.blake2b(text.encode(), digest_size=KEY_BYTES).digest() for text in texts]
        rows = np.zeros((len(texts), self.encoder.dimension), dtype=np.float32)
        missing: list[int] = []
        with self._lock:
            for row, key in enumerate(keys):
                vector = self._vectors.get(key)
                if vector is None:
                    missing.append(row)
                else:
                    self._vectors.move_to_end(key)
                    rows[row] = vector
        if missing:
            fresh = self.encoder.encode([texts[row] for row in missing])
            rows[missing] = fresh
            with self._lock:
                for row, vector in zip(missing, fresh, strict=True):
                    self._vectors[keys[row]] = vector
                while len(self._vectors) > self._max_entries:
                    self._vectors.popitem(last=False)
        return rows


class ChunkEmbeddings:
    """Cosine top-k over L2-normalised chunk vectors; satisfies `IncrementalDenseRetriever`.

    Chunks are embedded at the first search after they change, all in one batch, so building
    an index costs nothing until it is searched (the server warms it in the background).
    """

    def __init__(self, encoder: SentenceEncoder, shared: SharedChunkVectors | None = None) -> None:
        self.encoder = encoder
        self._shared = shared
        self._ids: dict[str, tuple[str, ...]] = {}  # article id -> its chunk ids
        self._texts: dict[str, tuple[str, ...]] = {}  # article id -> what is embedded
        self._vectors: dict[str, NDArray[np.float32]] = {}  # article id -> one row per chunk
        self._pending: set[str] = set()  # articles whose texts changed since their vectors
        # All rows stacked, rebuilt at the first search after a change.
        self._matrix: NDArray[np.float32] | None = None
        self._row_ids: list[str] = []

    def __len__(self) -> int:
        return sum(len(ids) for ids in self._ids.values())

    def set_chunks(self, article_id: str, chunks: Sequence[Chunk]) -> None:
        """Replace one article's chunks; unchanged text is not embedded again."""
        if not chunks:
            if self._ids.pop(article_id, None) is not None:
                del self._texts[article_id]
                self._vectors.pop(article_id, None)
                self._pending.discard(article_id)
                self._matrix = None
            return
        ids = tuple(chunk.chunk_id for chunk in chunks)
        texts = tuple(embedded_text(chunk) for chunk in chunks)
        if self._texts.get(article_id) != texts:
            self._texts[article_id] = texts
            self._pending.add(article_id)
        self._ids[article_id] = ids
        self._matrix = None

    def rank(self, query: str, k: int) -> list[tuple[str, float]]:
        """The `k` chunks closest to `query` as `(chunk_id, cosine)`, best first."""
        matrix = self._stacked()
        if k < 1 or matrix.shape[0] == 0 or not query.strip():
            return []
        scores = matrix @ self._encode((query,))[0]
        if k < scores.shape[0]:
            top = np.argpartition(-scores, k - 1)[:k]
        else:
            top = np.arange(scores.shape[0])
        ordered = top[np.lexsort((top, -scores[top]))]
        return [(self._row_ids[int(row)], float(scores[row])) for row in ordered]

    def _stacked(self) -> NDArray[np.float32]:
        if self._pending:
            self._embed_pending()
        if self._matrix is None:
            order = sorted(self._ids)
            self._row_ids = [chunk_id for aid in order for chunk_id in self._ids[aid]]
            blocks = [self._vectors[aid] for aid in order]
            self._matrix = (
                np.vstack(blocks) if blocks else np.zeros((0, self.encoder.dimension), np.float32)
            )
        return self._matrix

    def _embed_pending(self) -> None:
        articles = sorted(self._pending)
        texts = [text for aid in articles for text in self._texts[aid]]
        vectors = self._shared.encode(texts) if self._shared is not None else self._encode(texts)
        start = 0
        for aid in articles:
            count = len(self._texts[aid])
            self._vectors[aid] = np.ascontiguousarray(vectors[start : start + count])
            start += count
        self._pending.clear()
        self._matrix = None

    def _encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return np.ascontiguousarray(self.encoder.encode(list(texts)), dtype=np.float32)


class WeightedStaticEncoder:
    """The static MiniLM table pooled with idf weights: rare pieces ("callout", "cron") say
    more about a text than "the" or "error" do. Satisfies `SentenceEncoder`.

    Plain mean pooling lets frequent pieces dominate every vector; weighting each piece by its
    inverse document frequency in a fixed reference corpus (the shipped knowledge base) keeps
    the vectors of already-indexed chunks valid as a tenant's corpus grows.
    """

    def __init__(self, static: StaticEncoder, weights: NDArray[np.float32]) -> None:
        if weights.shape != (static.table.shape[0],):
            raise ValueError("one weight per vocabulary piece is needed")
        self.name = f"{static.name}-idf"
        self.version = static.version
        self.dimension = static.dimension
        self._table = static.table.astype(np.float32)
        self._weights = weights.astype(np.float32)
        self._pieces = lru_cache(maxsize=WORD_CACHE)(static.tokenizer.ids)

    def piece_ids(self, text: str) -> list[int]:
        """Vocabulary ids of `text`, as `WordPieceTokenizer.ids` gives them."""
        if text.isascii():
            words = _ASCII_WORD.findall(text.lower().translate(_ASCII_CONTROL))
        else:
            words = split_words(text)
        return [piece for word in words for piece in self._pieces(word)]

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One L2-normalised row per text (a zero row when no piece is known)."""
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self.piece_ids(text)
            if ids:
                weights = self._weights[ids]
                rows[row] = weights @ self._table[ids]
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows /= np.where(norms > 0, norms, 1.0)
        return rows


def idf_weights(static: StaticEncoder, documents: Iterable[str]) -> NDArray[np.float32]:
    """Per-piece log((N + 1) / (df + 0.5)) over `documents`; pieces never seen weigh most."""
    counts = np.zeros(static.table.shape[0], dtype=np.float64)
    total = 0
    plain = WeightedStaticEncoder(static, np.ones(static.table.shape[0], dtype=np.float32))
    for document in documents:
        counts[np.unique(np.asarray(plain.piece_ids(document), dtype=np.int64))] += 1
        total += 1
    return np.log((total + 1) / (counts + 0.5)).astype(np.float32)


def embedded_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: its title and section give the text its context."""
    return "\n".join(part for part in (chunk.title, chunk.section, chunk.text) if part)


def load_encoder(kind: EncoderKind = "static", cache_dir: Path | None = None) -> SentenceEncoder:
    """The static MiniLM-distilled encoder (numpy only once built), or full MiniLM.

    Raises `SemanticUnavailable` when the encoder needs the `semantic` extra and it is missing
    (the static table needs it once, to be built into the NLU cache).
    """
    if kind == "minilm":
        return MiniLMEncoder()
    static = static_encoder(cache_dir or default_cache_dir())
    reference = (f"{a.title}\n{a.body}" for a in load_default_articles())
    return WeightedStaticEncoder(static, idf_weights(static, reference))


class DenseRetrievers:
    """A `DenseFactory`: empty retrievers, one per index, sharing one encoder and vector cache.

    With `vectors_file`, the cache starts from the vectors a previous process saved there
    (`persist`), so a restart does not embed the shipped articles again.
    """

    def __init__(self, shared: SharedChunkVectors, vectors_file: Path | None = None) -> None:
        self.shared = shared
        self.vectors_file = vectors_file
        if vectors_file is not None:
            shared.load(vectors_file)

    def __call__(self) -> ChunkEmbeddings:
        return ChunkEmbeddings(self.shared.encoder, self.shared)

    def persist(self) -> None:
        """Save the cached vectors for the next process (no-op without `vectors_file`)."""
        if self.vectors_file is not None:
            self.shared.save(self.vectors_file)


def dense_factory(
    kind: EncoderKind,
    *,
    cache_dir: Path | None = None,
    max_shared_vectors: int = DEFAULT_SHARED_VECTORS,
) -> DenseRetrievers:
    """Retrievers over the chosen encoder; MiniLM's vectors persist under the NLU cache.

    Only MiniLM's are worth keeping: it takes minutes to embed the shipped articles, where
    the static table takes a second (and its weights follow the corpus, so would go stale).
    Raises `SemanticUnavailable` when the encoder needs the `semantic` extra and it is missing.
    """
    folder = cache_dir or default_cache_dir()
    encoder = load_encoder(kind, folder)
    shared = SharedChunkVectors(encoder, max_entries=max_shared_vectors)
    if kind != "minilm":
        return DenseRetrievers(shared)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{encoder.name}-{encoder.version}")
    return DenseRetrievers(shared, folder / "dense-vectors" / f"{name}.npz")
