"""One searchable corpus: BM25 over chunks, exact-match boosts and optional dense ranking."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from sfagent.diagnostics.errors import match_error
from sfagent.knowledge.articles import Article
from sfagent.knowledge.chunking import MAX_CHUNK_CHARS, Chunk, chunk_article
from sfagent.knowledge.search import (
    Bm25Matrix,
    DenseRetriever,
    IncrementalDenseRetriever,
    SearchFilters,
    SearchHit,
    make_snippet,
    reciprocal_rank_fusion,
)
from sfagent.knowledge.tokens import RAW_TOKEN, is_code_like, query_terms, word_terms

# Field weighting by repetition: the title and tags describe the whole article, so every
# chunk carries them, counted several times, ahead of its own text.
TITLE_REPEAT = 3
TAG_REPEAT = 2
# Exact-match evidence (summed per article, then ranked):
CATALOG_MATCH_BOOST = 4.0  # the error catalog recognised the query as an error the article lists
PRIMARY_ERROR_BONUS = 1.0  # ... and it is the article's first (main) error id
ERROR_ID_BOOST = 3.0  # the query names a catalog id literally ("dml-unable-to-lock-row")
TITLE_CODE_BOOST = 2.0  # an error code, exception or API name from the title is in the query
# Tags are left to BM25 (which sees them TAG_REPEAT times): a boost for multi-word tags in the
# query was tried and lowered dev recall@1 (0.912 -> 0.897, `sfagent eval kb`), because one
# shared tag put an article about a neighbouring topic first.
# Fusion weights: exact evidence is sparse but precise, so it counts as much as BM25. Dense
# ranking is the weakest alone (see `sfagent eval kb`): it breaks ties and rescues queries
# that share no word with their article, without overriding a clear lexical winner.
BM25_WEIGHT = 1.0
EXACT_WEIGHT = 1.0
DENSE_WEIGHT = 0.7
DENSE_CANDIDATES = 50
# Only the best articles of the BM25 ranking enter the fusion: deeper ones cannot reach the
# top k, and a common word would otherwise turn every search into a pass over the corpus.
LEXICAL_CANDIDATES = 200
CATALOG_MATCHES = 3

ErrorMatcher = Callable[[str], Sequence[str]]


@dataclass(slots=True)
class _ExactLookup:
    """Inverted maps for the exact-match boosts, rebuilt after a change (not per search)."""

    error_ids: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # (aid, primary)
    codes: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _ArticleTerms:
    """One article's chunks as BM25 rows: the term ids of each chunk, chunk after chunk."""

    term_ids: np.ndarray
    lengths: np.ndarray  # how many of them belong to each chunk


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
        use_lexical: bool = True,
        use_exact: bool = True,
    ) -> None:
        self._max_chunk_chars = max_chunk_chars
        self._dense = dense
        # Checked once: a runtime Protocol check costs more than indexing a small article.
        self._incremental_dense = dense if isinstance(dense, IncrementalDenseRetriever) else None
        # Switches for ablation (`sfagent eval kb` measures each ranker on its own).
        self._use_lexical = use_lexical
        self._use_exact = use_exact
        self._error_matcher = error_matcher
        self._articles: dict[str, Article] = {}
        self._chunks: dict[str, list[Chunk]] = {}
        self._codes: dict[str, frozenset[str]] = {}
        self._terms: dict[str, _ArticleTerms] = {}
        # Term ids only grow (a removed article's terms keep theirs, unused): rows stay valid.
        self._vocabulary: dict[str, int] = {}
        self._word_ids: dict[str, tuple[int, ...]] = {}  # surface word -> its term ids
        self._chunk_by_id: dict[str, Chunk] = {}
        self._bm25: Bm25Matrix | None = None
        self._bm25_chunks: list[Chunk] = []
        self._owner_ids: list[str] = []  # article ids in BM25 order
        self._owner_starts = np.zeros(0, dtype=np.int64)  # first BM25 row of each article
        self._owner_sizes: list[int] = []  # its number of rows (chunks)
        self._owner_rows = np.zeros(0, dtype=np.int64)  # the article of each row
        self._owner_position: dict[str, int] = {}
        # Derived from the articles, dropped on every change (see `_changed`).
        self._allowed: dict[SearchFilters, tuple[frozenset[str], np.ndarray]] = {}
        self._exact: _ExactLookup | None = None
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
        for old in self._chunks.get(article.id, ()):
            self._chunk_by_id.pop(old.chunk_id, None)
        self._articles[article.id] = article
        chunks = chunk_article(article, max_chars=self._max_chunk_chars)
        self._chunks[article.id] = chunks
        self._codes[article.id] = _title_codes(article.title)
        self._chunk_by_id.update((chunk.chunk_id, chunk) for chunk in chunks)
        self._terms[article.id] = self._article_terms(article, chunks)
        if self._incremental_dense is not None:
            self._incremental_dense.set_chunks(article.id, chunks)
        self._changed()

    def remove(self, article_id: str) -> bool:
        """Drop one article; False when it was not indexed."""
        if self._articles.pop(article_id, None) is None:
            return False
        for old in self._chunks.pop(article_id):
            self._chunk_by_id.pop(old.chunk_id, None)
        del self._codes[article_id]
        del self._terms[article_id]
        if self._incremental_dense is not None:
            self._incremental_dense.set_chunks(article_id, ())
        self._changed()
        return True

    def _changed(self) -> None:
        """Drop what is derived from the whole corpus; the next search rebuilds it.

        Every BM25 weight depends on the whole corpus (idf, average length), so a change drops
        the matrix; the term ids of unchanged articles are kept, so a rebuild is array
        arithmetic, not tokenising.
        """
        self._bm25 = None
        self._allowed.clear()
        self._exact = None

    def search(
        self, query: str, k: int = 5, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        """The `k` best articles for `query`, one hit per article, best first."""
        if k < 1 or not query.strip():
            return []
        allowed, mask = self._allowed_articles(filters or SearchFilters())
        if not allowed:
            return []
        terms = query_terms(query)
        lexical, rows = self._lexical_scores(terms, mask) if self._use_lexical else ({}, None)
        dense = self._dense_chunks(query, allowed)
        exact = self._exact_scores(query, allowed) if self._use_exact else {}
        fused = reciprocal_rank_fusion(
            [
                (lexical, BM25_WEIGHT),
                (exact, EXACT_WEIGHT),
                ({aid: score for aid, (_, score) in dense.items()}, DENSE_WEIGHT),
            ]
        )
        best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        term_set = frozenset(terms)
        return [self._hit(aid, score, rows, dense, term_set) for aid, score in best]

    def _allowed_articles(self, filters: SearchFilters) -> tuple[frozenset[str], np.ndarray]:
        """Ids passing `filters`, and the same as a mask over BM25 owners (cached per filter)."""
        cached = self._allowed.get(filters)
        if cached is None:
            self._retriever()  # the mask is laid out in the matrix's article order
            # An article without a chunk (an empty body) has nothing to show: never a hit.
            allowed = frozenset(
                a.id for a in self._articles.values() if self._chunks[a.id] and filters.allows(a)
            )
            mask = np.fromiter((aid in allowed for aid in self._owner_ids), dtype=bool)
            if len(self._allowed) >= 64:  # filters come from requests: keep the cache small
                self._allowed.clear()
            cached = self._allowed[filters] = (allowed, mask)
        return cached

    def _lexical_scores(
        self, terms: list[str], mask: np.ndarray
    ) -> tuple[dict[str, float], np.ndarray]:
        """BM25: the best allowed articles (each scored by its best chunk), and all row scores."""
        matrix = self._retriever()
        vocabulary = self._vocabulary
        term_ids = [vocabulary[term] for term in terms if term in vocabulary]
        if matrix is None or not term_ids:
            return {}, np.zeros(0)
        scores = matrix.scores(term_ids)
        # Each article's best chunk; BM25 scores are never negative, so 0 is a safe start
        # (and `maximum.at` is faster than `reduceat` over one segment per article).
        best = np.zeros(len(self._owner_ids), dtype=scores.dtype)
        np.maximum.at(best, self._owner_rows, scores)
        owners = np.flatnonzero((best > 0) & mask)
        if owners.size > LEXICAL_CANDIDATES:
            top = np.argpartition(-best[owners], LEXICAL_CANDIDATES - 1)[:LEXICAL_CANDIDATES]
            owners = owners[top]
        ids = self._owner_ids
        return {ids[owner]: float(best[owner]) for owner in owners.tolist()}, scores

    def _lexical_chunk(self, article_id: str, scores: np.ndarray) -> Chunk | None:
        """The article's earliest chunk with its best BM25 score (None: no row scored)."""
        owner = self._owner_position.get(article_id)
        if owner is None or scores.size == 0:
            return None
        start = int(self._owner_starts[owner])
        segment = scores[start : start + self._owner_sizes[owner]]
        row = int(np.argmax(segment))
        return self._bm25_chunks[start + row] if segment[row] > 0 else None

    def _dense_chunks(self, query: str, allowed: frozenset[str]) -> dict[str, tuple[Chunk, float]]:
        if self._dense is None:
            return {}
        best: dict[str, tuple[Chunk, float]] = {}
        for chunk_id, score in self._dense.rank(query, DENSE_CANDIDATES):
            chunk = self._chunk_by_id.get(chunk_id)
            if chunk and chunk.article_id in allowed and score > 0:
                best.setdefault(chunk.article_id, (chunk, score))
        return best

    def _exact_scores(self, query: str, allowed: frozenset[str]) -> dict[str, float]:
        """Summed exact-match boosts per allowed article (see the *_BOOST constants)."""
        lookup = self._exact_lookup()
        # `RAW_TOKEN` starts and ends a match on a word character: nothing for
        # `raw_tokens` to trim, so its matches are the tokens.
        tokens: list[str] = RAW_TOKEN.findall(query)
        distinct = set(tokens)  # a pasted log repeats most of its words
        words = {token.lower() for token in distinct}
        codes = {token.lower() for token in distinct if is_code_like(token)}
        caught = list(self._error_matcher(query))
        scores: defaultdict[str, float] = defaultdict(float)
        for position, error_id in enumerate(caught):
            for aid, primary in lookup.error_ids.get(error_id, ()):
                boost = CATALOG_MATCH_BOOST / (1 + position) + (
                    PRIMARY_ERROR_BONUS if primary else 0
                )
                # The best match, not the sum: an article listing many errors must not outrank
                # the article about the one error the message names.
                scores[aid] = max(scores[aid], boost)
        for boost, found in (
            (ERROR_ID_BOOST, Counter(a for w in words for a, _ in lookup.error_ids.get(w, ()))),
            (TITLE_CODE_BOOST, Counter(a for code in codes for a in lookup.codes.get(code, ()))),
        ):
            for aid, count in found.items():
                scores[aid] += boost * count
        return {aid: score for aid, score in scores.items() if score > 0 and aid in allowed}

    def _exact_lookup(self) -> _ExactLookup:
        if self._exact is None:
            lookup = _ExactLookup()
            for aid, article in self._articles.items():
                for error_id in dict.fromkeys(article.error_ids):
                    entry = (aid, article.error_ids[0] == error_id)
                    lookup.error_ids.setdefault(error_id, []).append(entry)
                for code in self._codes[aid]:
                    lookup.codes.setdefault(code, []).append(aid)
            self._exact = lookup
        return self._exact

    def _retriever(self) -> Bm25Matrix | None:
        """The BM25 matrix, rebuilt here after any upsert or remove (correctness first)."""
        if self._bm25 is None and self._articles:
            # Articles without a chunk (an empty body) have no rows, so they own none.
            self._owner_ids = [aid for aid in sorted(self._chunks) if self._chunks[aid]]
            self._bm25_chunks = [c for aid in self._owner_ids for c in self._chunks[aid]]
            self._owner_position = {aid: i for i, aid in enumerate(self._owner_ids)}
            self._owner_sizes = [len(self._chunks[aid]) for aid in self._owner_ids]
            self._owner_starts = np.cumsum([0, *self._owner_sizes[:-1]], dtype=np.int64)
            self._owner_rows = np.repeat(np.arange(len(self._owner_ids)), self._owner_sizes)
            rows = [self._terms[aid] for aid in self._owner_ids]
            self._bm25 = Bm25Matrix(
                _joined([row.term_ids for row in rows], np.int32),
                _joined([row.lengths for row in rows], np.int64),
                len(self._vocabulary),
            )
        return self._bm25

    def _article_terms(self, article: Article, chunks: Sequence[Chunk]) -> _ArticleTerms:
        """Each chunk's terms: title and tags (counted several times), section and text."""
        head = self._term_ids(article.title) * TITLE_REPEAT
        head += self._term_ids(" ".join(article.tags)) * TAG_REPEAT
        term_ids: list[int] = []
        lengths: list[int] = []
        for chunk in chunks:
            # A line break joins nothing (no token spans one), so the terms are the same.
            own = self._term_ids(f"{chunk.section}\n{chunk.text}")
            term_ids += head
            term_ids += own
            lengths.append(len(head) + len(own))
        return _ArticleTerms(
            term_ids=np.array(term_ids, dtype=np.int32),
            lengths=np.array(lengths, dtype=np.int64),
        )

    def _term_ids(self, text: str) -> list[int]:
        """The term ids of `tokenize(text)`, in order.

        Indexing spends its time here, so each distinct word's term ids are looked up once
        per index, and the rest runs in C (`findall`, `map`, `chain`).
        """
        words = RAW_TOKEN.findall(text)
        known = self._word_ids
        try:
            return list(chain.from_iterable(map(known.__getitem__, words)))
        except KeyError:  # a word this index has not seen
            vocabulary = self._vocabulary
            for word in set(words).difference(known):
                known[word] = tuple(
                    vocabulary.setdefault(term, len(vocabulary)) for term in word_terms(word)
                )
            return list(chain.from_iterable(map(known.__getitem__, words)))

    def _hit(
        self,
        article_id: str,
        score: float,
        rows: np.ndarray | None,
        dense: dict[str, tuple[Chunk, float]],
        terms: frozenset[str],
    ) -> SearchHit:
        article = self._articles[article_id]
        chunk = self._lexical_chunk(article_id, rows) if rows is not None else None
        if chunk is None:
            found = dense.get(article_id)
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


def _joined(parts: list[np.ndarray], dtype: type[np.generic]) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _title_codes(title: str) -> frozenset[str]:
    return frozenset(word.lower() for word in RAW_TOKEN.findall(title) if is_code_like(word))
