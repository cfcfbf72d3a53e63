"""The index's own BM25 matrix scores as bm25s does, and ranks the shipped corpus as before."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import bm25s  # type: ignore[import-untyped]
import numpy as np
import pytest

from sfagent.knowledge import Article, KnowledgeIndex, SearchFilters, tokenize
from sfagent.knowledge.evaluation import default_cases_path, load_cases
from sfagent.knowledge.index import TAG_REPEAT, TITLE_REPEAT
from sfagent.knowledge.search import Bm25Matrix
from sfagent.knowledge.tokens import query_terms

QUERIES = [case.query for case in load_cases(default_cases_path())]
SMALL_CORPUS = [
    ["apex", "trigger", "soql", "limit", "soql"],
    ["flow", "fault", "email", "flow", "flow", "error"],
    ["trigger", "recursion", "static", "flag"],
    [],  # a document with no terms
    ["soql", "query", "row", "limit", "apex", "apex", "apex"],
    ["sharing", "rule", "role", "hierarchy", "record", "access", "record"],
]


def matrix_for(corpus: Sequence[Sequence[str]]) -> tuple[Bm25Matrix, dict[str, int]]:
    vocabulary: dict[str, int] = {}
    ids = [vocabulary.setdefault(term, len(vocabulary)) for doc in corpus for term in doc]
    lengths = np.array([len(doc) for doc in corpus], dtype=np.int64)
    return Bm25Matrix(np.array(ids, dtype=np.int32), lengths, len(vocabulary)), vocabulary


def bm25s_scores(retriever: bm25s.BM25, terms: list[str]) -> np.ndarray:
    known = [term for term in terms if term in retriever.vocab_dict]
    if not known:
        return np.zeros(retriever.scores["num_docs"], dtype=np.float32)
    return np.asarray(retriever.get_scores(known))


def assert_same_scores(corpus: Sequence[Sequence[str]], queries: Sequence[list[str]]) -> None:
    matrix, vocabulary = matrix_for(corpus)
    retriever = bm25s.BM25()
    retriever.index([list(doc) for doc in corpus], show_progress=False)
    for terms in queries:
        ours = matrix.scores([vocabulary[term] for term in terms if term in vocabulary])
        np.testing.assert_allclose(ours, bm25s_scores(retriever, terms), rtol=1e-6, atol=1e-7)


def test_matrix_scores_equal_bm25s_on_a_small_corpus() -> None:
    queries = [["soql", "limit"], ["flow"], ["apex", "trigger", "record"], ["unknown"], []]
    assert_same_scores(SMALL_CORPUS, queries)


def test_matrix_scores_equal_bm25s_on_the_shipped_corpus(
    default_articles: list[Article],
) -> None:
    corpus = [tokenize(f"{a.title}\n{' '.join(a.tags)}\n{a.body}") for a in default_articles]
    assert_same_scores(corpus, [query_terms(query) for query in QUERIES])


def test_matrix_of_nothing_scores_nothing() -> None:
    empty = Bm25Matrix(np.zeros(0, np.int32), np.zeros(0, np.int64), 0)
    assert empty.scores([0, 3]).shape == (0,)
    blank = Bm25Matrix(np.zeros(0, np.int32), np.zeros(2, np.int64), 5)
    assert blank.scores([0, 4, 9]).tolist() == [0.0, 0.0]


def test_term_ids_outside_the_vocabulary_score_nothing() -> None:
    matrix, vocabulary = matrix_for(SMALL_CORPUS)
    known = matrix.scores([vocabulary["flow"]])
    np.testing.assert_array_equal(matrix.scores([vocabulary["flow"], -1, 10_000]), known)


def reference_ranking(index: KnowledgeIndex, query: str, k: int) -> list[tuple[str, str]]:
    """(article id, best chunk id) of the top `k`, from bm25s over the chunks' term lists."""
    chunks = index.chunks()
    corpus = []
    for chunk in chunks:
        article = index.get(chunk.article_id)
        assert article is not None
        corpus.append(
            tokenize(article.title) * TITLE_REPEAT
            + tokenize(" ".join(article.tags)) * TAG_REPEAT
            + tokenize(chunk.section)
            + tokenize(chunk.text)
        )
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    scores = bm25s_scores(retriever, query_terms(query))
    best: dict[str, tuple[float, str]] = {}
    for chunk, score in zip(chunks, scores.tolist(), strict=True):
        if score > best.get(chunk.article_id, (0.0, ""))[0]:
            best[chunk.article_id] = (score, chunk.chunk_id)
    allowed = SearchFilters()
    ranked = sorted(
        (aid for aid in best if allowed.allows(index.get(aid))),  # type: ignore[arg-type]
        key=lambda aid: (-best[aid][0], aid),
    )
    return [(aid, best[aid][1]) for aid in ranked[:k]]


def test_lexical_ranking_equals_bm25s_over_the_same_terms(
    default_articles: list[Article],
) -> None:
    index = KnowledgeIndex(default_articles, use_exact=False)
    for query in QUERIES[::7]:
        found = [(hit.article_id, hit.chunk_id) for hit in index.search(query, k=5)]
        assert found == reference_ranking(index, query, 5), query


@pytest.fixture(scope="module")
def edited_articles(default_articles: list[Article]) -> list[Article]:
    """A slice of the shipped articles with some edited, one emptied and one new."""
    articles = default_articles[:60]
    edited = [
        replace(articles[0], title="Reworded title about quantumwidget failures"),
        replace(articles[1], body=""),  # no chunks, so no BM25 rows
        replace(articles[2], tags=("brand-new-tag", *articles[2].tags)),
    ]
    extra = Article(
        id="zz-extra",
        title="Flow fault paths",
        body="## Cause\n\nA fault path sends the flow error email.",
        category="flow",
        tags=("flow", "fault-path"),
    )
    return [*edited, *articles[3:], extra]


def test_incremental_changes_give_the_same_results_as_a_fresh_build(
    default_articles: list[Article], edited_articles: list[Article]
) -> None:
    index = KnowledgeIndex(default_articles[:80])
    index.search("warm up the matrix")
    removed = {article.id for article in default_articles[60:80]}
    for article_id in sorted(removed):
        assert index.remove(article_id)
    index.search("rebuild after removals")
    for article in reversed(edited_articles):
        index.upsert(article)
    fresh = KnowledgeIndex(edited_articles)
    queries = [*QUERIES[::5], "quantumwidget", "brand new tag", "fault path flow email"]
    for query in queries:
        assert index.search(query, k=5) == fresh.search(query, k=5), query


def test_removed_article_words_match_nothing(default_articles: list[Article]) -> None:
    unique = Article(
        id="unique", title="Zyxwvut gadget", body="## Cause\n\nZyxwvut.", category="other"
    )
    index = KnowledgeIndex([*default_articles[:5], unique])
    assert [hit.article_id for hit in index.search("zyxwvut")] == ["unique"]
    index.remove("unique")
    assert index.search("zyxwvut") == []


def test_article_without_body_is_never_a_hit(default_articles: list[Article]) -> None:
    emptied = replace(default_articles[1], body="")
    index = KnowledgeIndex([emptied, *default_articles[2:10]])
    for query in (emptied.title, *emptied.error_ids, " ".join(emptied.tags)):
        assert emptied.id not in [hit.article_id for hit in index.search(query)]
