"""BM25 scoring, search results, filters, reciprocal-rank fusion and highlighted snippets."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]

from sfagent.knowledge.articles import Article, api_version_applies
from sfagent.knowledge.chunking import Chunk
from sfagent.knowledge.tokens import RAW_TOKEN, word_terms

# Cormack et al. (2009): k=60 damps the head of each ranking so no single ranker dominates.
RRF_K = 60
SNIPPET_CHARS = 240
# BM25 as bm25s scores it by default (Lucene variant), so rankings match that library's.
BM25_K1 = 1.5
BM25_B = 0.75


class DenseRetriever(Protocol):
    """Optional embedding search over the index's chunks (see `KnowledgeIndex.chunks`)."""

    def rank(self, query: str, k: int) -> list[tuple[str, float]]:
        """Best `k` chunks for `query`.

        Args:
            query: The user's text.
            k: How many chunks to return at most.

        Returns:
            `(chunk_id, score)` pairs, best first.
        """
        ...


@runtime_checkable
class IncrementalDenseRetriever(DenseRetriever, Protocol):
    """A dense retriever the index keeps in step: told each article's chunks as they change."""

    def set_chunks(self, article_id: str, chunks: Sequence[Chunk]) -> None:
        """Replace the chunks of one article.

        Args:
            article_id: The article whose chunks changed.
            chunks: Its chunks now; empty when the article was removed.
        """
        ...


# Makes one empty retriever per index (an index keeps its retriever in step with it).
DenseFactory = Callable[[], DenseRetriever]


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Which articles may be returned; empty collections mean "any"."""

    categories: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()  # an article needs at least one of these
    statuses: frozenset[str] = frozenset({"published"})
    api_version: float | None = None

    def allows(self, article: Article) -> bool:
        """True when `article` passes every filter."""
        if self.categories and article.category not in self.categories:
            return False
        if self.products and article.product not in self.products:
            return False
        if self.tags and not self.tags.intersection(article.tags):
            return False
        if self.statuses and article.status not in self.statuses:
            return False
        return self.api_version is None or api_version_applies(article.applies_to, self.api_version)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One article found for a query, with the chunk that matched best."""

    article_id: str
    title: str
    category: str
    score: float
    section: str
    chunk_id: str
    snippet: str  # ~240 characters, matched terms in **bold**
    highlights: tuple[tuple[int, int], ...]  # spans of matched words in the article body
    matched_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Snippet:
    """A highlighted window of a chunk."""

    text: str
    highlights: tuple[tuple[int, int], ...]
    matched_terms: tuple[str, ...]


class Bm25Matrix:
    """BM25 weights of every (document, term) pair, stored by term: a query sums a few columns.

    Scores are the Lucene variant with bm25s's defaults (k1=1.5, b=0.75), computed and summed
    in float32 in the same order as bm25s, so they equal `bm25s.BM25().get_scores` (to the
    last bit under NumPy 2's type promotion, within float32 rounding under NumPy 1).
    """

    def __init__(self, term_ids: np.ndarray, lengths: np.ndarray, vocabulary_size: int) -> None:
        """Weigh documents given as term ids.

        Args:
            term_ids: Every document's term ids, repeats kept, document after document.
            lengths: How many of them belong to each document.
            vocabulary_size: One more than the largest term id.
        """
        self.documents = len(lengths)
        lengths = np.asarray(lengths, dtype=np.int64)
        starts = np.zeros(self.documents + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        shape = (self.documents, vocabulary_size)
        ones = np.ones(len(term_ids), dtype=np.int32)
        # A copy of the ids: summing duplicates sorts them in place.
        counts = sp.csr_matrix((ones, np.array(term_ids, dtype=np.int32), starts), shape=shape)
        counts.sum_duplicates()  # each (document, term) once, with its count
        tf = counts.data.astype(np.float64)
        if tf.size:
            rows = np.repeat(np.arange(self.documents), np.diff(counts.indptr))
            norm = BM25_K1 * ((1 - BM25_B) + BM25_B * lengths / lengths.mean())
            idf = _lucene_idf(np.bincount(counts.indices, minlength=vocabulary_size), len(lengths))
            weights = (idf[counts.indices] * (tf / (norm[rows] + tf))).astype(np.float32)
        else:
            weights = np.zeros(0, dtype=np.float32)
        # Rows are in order, so the CSR to CSC conversion keeps each column's rows sorted.
        by_term = sp.csr_matrix((weights, counts.indices, counts.indptr), shape=shape).tocsc()
        self._weights: np.ndarray = by_term.data
        self._rows: np.ndarray = by_term.indices
        self._starts: np.ndarray = by_term.indptr

    def scores(self, term_ids: Sequence[int]) -> np.ndarray:
        """Each document's BM25 score (float32) for a query of these distinct term ids."""
        scores = np.zeros(self.documents, dtype=np.float32)
        starts, rows, weights = self._starts, self._rows, self._weights
        for term in term_ids:
            if 0 <= term < len(starts) - 1:
                start, end = starts[term], starts[term + 1]
                np.add.at(scores, rows[start:end], weights[start:end])
        return scores


def _lucene_idf(df: np.ndarray, documents: int) -> np.ndarray:
    """log(1 + (N - df + 0.5) / (df + 0.5)) in float32, 0 for unseen terms (as bm25s)."""
    idf = np.zeros(len(df), dtype=np.float32)
    values, where = np.unique(df, return_inverse=True)
    # math.log per distinct df, as bm25s computes it: numpy's log may differ in the last bit.
    per_value = np.array(
        [math.log(1 + (documents - n + 0.5) / (n + 0.5)) if n else 0.0 for n in values.tolist()],
        dtype=np.float64,
    )
    idf[:] = per_value[where]
    return idf


def reciprocal_rank_fusion(
    rankings: Sequence[tuple[Mapping[str, float], float]], *, k: int = RRF_K
) -> dict[str, float]:
    """Fuse `(scores, weight)` rankings: Σ weight / (k + rank) over the rankings.

    Only positive scores count. Equal scores share a rank (1 + how many score higher), so
    ties inside one ranker never favour an id by its spelling.
    """
    fused: dict[str, float] = {}
    for scores, weight in rankings:
        ordered = sorted((score for score in scores.values() if score > 0), reverse=True)
        rank_of: dict[float, int] = {}
        for position, score in enumerate(ordered, start=1):
            rank_of.setdefault(score, position)
        for item, score in scores.items():
            if score > 0:
                fused[item] = fused.get(item, 0.0) + weight / (k + rank_of[score])
    return fused


def rank_by_score(scores: Mapping[str, float]) -> list[str]:
    """Ids with a positive score, best first, ties broken by id so results are deterministic."""
    return [item for item, score in sorted(scores.items(), key=_desc) if score > 0]


def make_snippet(text: str, offset: int, terms: frozenset[str]) -> Snippet:
    """A window of `text` around the densest run of `terms`, with them marked `**bold**`."""
    hits = _term_hits(text, terms)
    start, end = _window(text, [hit[0] for hit in hits])
    inside = [hit for hit in hits if hit[0] >= start and hit[1] <= end]
    pieces: list[str] = []
    cursor = start
    for hit_start, hit_end, word in inside:
        pieces.append(text[cursor:hit_start])
        pieces.append(f"**{word}**")
        cursor = hit_end
    pieces.append(text[cursor:end])
    body = re.sub(r"\s+", " ", "".join(pieces)).strip()
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return Snippet(
        text=f"{prefix}{body}{suffix}",
        highlights=tuple((offset + a, offset + b) for a, b, _ in inside),
        matched_terms=tuple(sorted({word.lower() for _, _, word in inside})),
    )


def _term_hits(text: str, terms: frozenset[str]) -> list[tuple[int, int, str]]:
    """(start, end, word) of each token of `text` whose index terms meet `terms`.

    As `raw_tokens` would give them, without an object per token: snippets are made for
    every hit, and a chunk repeats most of its words.
    """
    hits: list[tuple[int, int, str]] = []
    seen: dict[str, bool] = {}
    for found in RAW_TOKEN.finditer(text):
        word = found.group().strip("-.")
        matched = seen.get(word)
        if matched is None:
            matched = seen[word] = bool(word) and not terms.isdisjoint(word_terms(word))
        if matched:
            start = found.start()
            hits.append((start, start + len(word), word))
    return hits


def _window(text: str, positions: list[int]) -> tuple[int, int]:
    if len(text) <= SNIPPET_CHARS:
        return 0, len(text)
    best_start, best_count = 0, 0
    for position in positions:
        start = max(0, position - SNIPPET_CHARS // 4)
        count = sum(1 for other in positions if start <= other < start + SNIPPET_CHARS - 20)
        if count > best_count:
            best_start, best_count = start, count
    start = _word_start(text, best_start)
    end = _word_start(text, min(len(text), start + SNIPPET_CHARS))
    return start, end if end > start else min(len(text), start + SNIPPET_CHARS)


def _word_start(text: str, index: int) -> int:
    """`index` moved back to the start of the word it falls in, so no word is cut."""
    if index <= 0 or index >= len(text):
        return max(0, min(index, len(text)))
    space = max(text.rfind(" ", 0, index), text.rfind("\n", 0, index))
    return index if space < 0 else space + 1


def _desc(item: tuple[str, float]) -> tuple[float, str]:
    return (-item[1], item[0])
