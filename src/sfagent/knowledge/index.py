"""One searchable corpus: BM25 over chunks, exact-match boosts and optional dense ranking."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import bm25s  # type: ignore[import-untyped]
import numpy as np

from sfagent.diagnostics.errors import match_error
from sfagent.knowledge.articles import Article
from sfagent.knowledge.chunking import MAX_CHUNK_CHARS, Chunk, chunk_article
from sfagent.knowledge.search import (
    DenseRetriever,
    SearchFilters,
    SearchHit,
    make_snippet,
    reciprocal_rank_fusion,
)
from sfagent.knowledge.tokens import is_code_like, query_terms, raw_tokens, tokenize

# Field weighting by repetition: the title and tags describe the whole article, so every
# chunk carries them, counted several times, ahead of its own text.
TITLE_REPEAT = 3
TAG_REPEAT = 2
# Exact-match evidence (summed per article, then ranked):
CATALOG_MATCH_BOOST = 4.0  # the error catalog recognised the query as an error the article lists
PRIMARY_ERROR_BONUS = 1.0  # ... and it is the article's first (main) error id
ERROR_ID_BOOST = 3.0  # the query names a catalog id literally ("dml-unable-to-lock-row")
TITLE_CODE_BOOST = 2.0  # an error code, exception or API name from the title is in the query
# A rare multi-word tag ("data-loader" as "data loader") is in the query. Single-word tags are
# left to BM25 (which sees them TAG_REPEAT times): alone they are too weak to rank first.
TAG_BOOST = 1.0
RARE_TAG_SHARE = 0.05  # tags on more than this share of articles are too common to boost
# Fusion weights: exact evidence is sparse but precise, so it counts as much as BM25.
BM25_WEIGHT = 1.0
EXACT_WEIGHT = 1.0
DENSE_WEIGHT = 1.0
DENSE_CANDIDATES = 50
CATALOG_MATCHES = 3

ErrorMatcher = Callable[[str], Sequence[str]]


def catalog_error_ids(text: str) -> list[str]:
    """Error-catalog ids recognised in `text`, most likely first."""
    return [found.entry.id for found in match_error(text, limit=CATALOG_MATCHES)]


class KnowledgeIndex:
    """Hybrid search over one corpus (the service keeps one per tenant plus the default)."""

    def __init__(
        self,
        articles: Iterable[Article] = (),
        *,
        max_chunk_chars: int = MAX_CHUNK_CHARS,
        dense: DenseRetriever | None = None,
        error_matcher: ErrorMatcher = catalog_error_ids,
    ) -> None:
        self._max_chunk_chars = max_chunk_chars
        self._dense = dense
        self._error_matcher = error_matcher
        self._articles: dict[str, Article] = {}
        self._chunks: dict[str, list[Chunk]] = {}
        self._codes: dict[str, frozenset[str]] = {}
        self._bm25: bm25s.BM25 | None = None
        self._bm25_chunks: list[Chunk] = []
        for article in articles:
            self.upsert(article)

    def __len__(self) -> int:
        return len(self._articles)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._articles

    def get(self, article_id: str) -> Article | None:
        """The indexed article with this id, if any."""
        return self._articles.get(article_id)

    def chunks(self) -> list[Chunk]:
        """Every chunk, by article id then position (what a dense retriever should embed)."""
        return [chunk for article_id in sorted(self._chunks) for chunk in self._chunks[article_id]]

    def upsert(self, article: Article) -> None:
        """Add or replace one article."""
        self._articles[article.id] = article
        self._chunks[article.id] = chunk_article(article, max_chars=self._max_chunk_chars)
        self._codes[article.id] = _title_codes(article.title)
        # bm25s builds immutable sparse matrices, so a change drops the matrix and the next
        # search rebuilds it (milliseconds for a few thousand chunks); chunking is not redone.
        self._bm25 = None

    def remove(self, article_id: str) -> bool:
        """Drop one article; False when it was not indexed."""
        if self._articles.pop(article_id, None) is None:
            return False
        del self._chunks[article_id]
        del self._codes[article_id]
        self._bm25 = None
        return True

    def search(
        self, query: str, k: int = 5, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        """The `k` best articles for `query`, one hit per article, best first."""
        if k < 1 or not query.strip():
            return []
        filters = filters or SearchFilters()
        allowed = {aid for aid, article in self._articles.items() if filters.allows(article)}
        if not allowed:
            return []
        terms = query_terms(query)
        lexical = self._lexical_chunks(terms, allowed)
        dense = self._dense_chunks(query, allowed)
        exact = self._exact_scores(query, allowed)
        fused = reciprocal_rank_fusion(
            [
                ({aid: score for aid, (_, score) in lexical.items()}, BM25_WEIGHT),
                (exact, EXACT_WEIGHT),
                ({aid: score for aid, (_, score) in dense.items()}, DENSE_WEIGHT),
            ]
        )
        best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        term_set = frozenset(terms)
        return [self._hit(aid, score, lexical, dense, term_set) for aid, score in best]

    def _lexical_chunks(
        self, terms: list[str], allowed: set[str]
    ) -> dict[str, tuple[Chunk, float]]:
        """BM25: each allowed article's best chunk and its score."""
        retriever = self._retriever()
        if retriever is None or not terms:
            return {}
        scores = np.asarray(retriever.get_scores(terms), dtype=np.float64)
        best: dict[str, tuple[Chunk, float]] = {}
        for position in np.flatnonzero(scores > 0):
            chunk = self._bm25_chunks[int(position)]
            score = float(scores[position])
            held = best.get(chunk.article_id)
            if chunk.article_id in allowed and (held is None or score > held[1]):
                best[chunk.article_id] = (chunk, score)
        return best

    def _dense_chunks(self, query: str, allowed: set[str]) -> dict[str, tuple[Chunk, float]]:
        if self._dense is None:
            return {}
        by_id = {chunk.chunk_id: chunk for aid in allowed for chunk in self._chunks[aid]}
        best: dict[str, tuple[Chunk, float]] = {}
        for chunk_id, score in self._dense.rank(query, DENSE_CANDIDATES):
            chunk = by_id.get(chunk_id)
            if chunk and score > 0 and chunk.article_id not in best:
                best[chunk.article_id] = (chunk, score)
        return best

    def _exact_scores(self, query: str, allowed: set[str]) -> dict[str, float]:
        """Summed exact-match boosts per allowed article (see the *_BOOST constants)."""
        words = {token.text.lower() for token in raw_tokens(query)}
        codes = {t.text.lower() for t in raw_tokens(query) if is_code_like(t.text)}
        phrase = f" {' '.join(token.text.lower() for token in raw_tokens(query))} "
        caught = list(self._error_matcher(query))
        rare = self._rare_tags()
        scores: dict[str, float] = {}
        for aid in sorted(allowed):
            article = self._articles[aid]
            score = _catalog_boost(article.error_ids, caught)
            score += ERROR_ID_BOOST * len(words.intersection(article.error_ids))
            score += TITLE_CODE_BOOST * len(codes & self._codes[aid])
            score += TAG_BOOST * sum(
                1 for tag in article.tags if tag in rare and f" {tag.replace('-', ' ')} " in phrase
            )
            if score > 0:
                scores[aid] = score
        return scores

    def _rare_tags(self) -> frozenset[str]:
        counts = Counter(tag for article in self._articles.values() for tag in set(article.tags))
        ceiling = max(1.0, RARE_TAG_SHARE * len(self._articles))
        return frozenset(tag for tag, n in counts.items() if n <= ceiling and "-" in tag)

    def _retriever(self) -> bm25s.BM25 | None:
        """The BM25 matrix, rebuilt here after any upsert or remove (correctness first)."""
        if self._bm25 is None and self._articles:
            self._bm25_chunks = self.chunks()
            corpus = [self._indexed_tokens(chunk) for chunk in self._bm25_chunks]
            retriever = bm25s.BM25()
            retriever.index(corpus, show_progress=False)
            self._bm25 = retriever
        return self._bm25

    def _indexed_tokens(self, chunk: Chunk) -> list[str]:
        article = self._articles[chunk.article_id]
        title = tokenize(article.title) * TITLE_REPEAT
        tags = tokenize(" ".join(article.tags)) * TAG_REPEAT
        return title + tags + tokenize(chunk.section) + tokenize(chunk.text)

    def _hit(
        self,
        article_id: str,
        score: float,
        lexical: dict[str, tuple[Chunk, float]],
        dense: dict[str, tuple[Chunk, float]],
        terms: frozenset[str],
    ) -> SearchHit:
        article = self._articles[article_id]
        found = lexical.get(article_id) or dense.get(article_id)
        chunk = found[0] if found else self._chunks[article_id][0]
        snippet = make_snippet(chunk.text, chunk.start, terms)
        return SearchHit(
            article_id=article_id,
            title=article.title,
            category=article.category,
            score=round(score, 6),
            section=chunk.section,
            chunk_id=chunk.chunk_id,
            snippet=snippet.text,
            highlights=snippet.highlights,
            matched_terms=snippet.matched_terms,
        )


def _title_codes(title: str) -> frozenset[str]:
    return frozenset(token.text.lower() for token in raw_tokens(title) if is_code_like(token.text))


def _catalog_boost(error_ids: Sequence[str], caught: Sequence[str]) -> float:
    """Earlier catalog matches are likelier, so each later one counts for less."""
    score = 0.0
    for position, error_id in enumerate(caught):
        if error_id in error_ids:
            score += CATALOG_MATCH_BOOST / (1 + position)
            if error_ids[0] == error_id:
                score += PRIMARY_ERROR_BONUS
    return score
