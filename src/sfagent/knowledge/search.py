"""Search results, filters, reciprocal-rank fusion and highlighted snippets."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, runtime_checkable

from sfagent.knowledge.articles import Article, api_version_applies
from sfagent.knowledge.chunking import Chunk
from sfagent.knowledge.tokens import expand, raw_tokens

# Cormack et al. (2009): k=60 damps the head of each ranking so no single ranker dominates.
RRF_K = 60
SNIPPET_CHARS = 240


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
    hits = [
        (token.start, token.end, token.text)
        for token in raw_tokens(text)
        if terms.intersection(_expanded(token.text))
    ]
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


@lru_cache(maxsize=1 << 16)
def _expanded(word: str) -> tuple[str, ...]:
    """`expand(word)`, computed once per distinct word: snippets are made for every hit."""
    return tuple(expand(word))


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
