"""The shipped customer-question set and the retrieval figures computed from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfagent.knowledge import Article, KnowledgeIndex
from sfagent.knowledge.dense import ChunkEmbeddings
from sfagent.knowledge.evaluation import (
    MODES,
    EvalCase,
    EvalDataError,
    default_cases_path,
    evaluate_modes,
    load_cases,
    plain_bm25s_ranker,
    score_ranker,
    select_split,
)
from tests.knowledge.test_dense import toy_encoder

SHIPPED = load_cases(default_cases_path())


def test_shipped_set_is_large_enough() -> None:
    assert len(SHIPPED) >= 250


def test_both_splits_are_present_with_a_held_out_share() -> None:
    held_out = len(select_split(SHIPPED, "test")) / len(SHIPPED)
    assert 0.25 <= held_out <= 0.4
    assert len(select_split(SHIPPED, "dev")) + len(select_split(SHIPPED, "test")) == len(SHIPPED)


def test_every_expected_id_is_a_shipped_article(default_articles: list[Article]) -> None:
    known = {article.id for article in default_articles}
    unknown = {aid for case in SHIPPED for aid in case.expected if aid not in known}
    assert not unknown


def test_queries_are_unique() -> None:
    queries = [case.query for case in SHIPPED]
    assert len(queries) == len(set(queries))


def test_scores_on_a_known_ranking() -> None:
    rankings = {"q1": ["a", "b"], "q2": ["b", "a", "c"], "q3": ["b", "c"]}
    cases = [EvalCase("q1", ("a",)), EvalCase("q2", ("a",)), EvalCase("q3", ("a",))]
    scores = score_ranker(lambda query, depth: rankings[query][:depth], cases, mode="fixed")
    assert scores.cases == 3
    assert scores.recall_at_1 == pytest.approx(1 / 3)
    assert scores.recall_at_5 == pytest.approx(2 / 3)
    assert scores.mrr == pytest.approx((1 + 1 / 2 + 0) / 3)
    assert scores.misses == (("q3", ("b", "c")),)


def tiny_corpus() -> list[Article]:
    def make(aid: str, title: str, text: str) -> Article:
        return Article(id=aid, title=title, body=f"## Answer\n\n{text}", category="other")

    return [
        make("locks", "UNABLE_TO_LOCK_ROW on save", "Row lock contention on a record."),
        make("refunds", "Reimbursement policy", "How reimbursement works for a charge paid."),
        make("logins", "Password resets", "Sign in again with new credentials."),
    ]


def test_plain_bm25s_baseline_ranks_whole_articles() -> None:
    rank = plain_bm25s_ranker(tiny_corpus())
    assert rank("password resets", 3)[0] == "logins"
    assert rank("the", 3) == []  # an English stopword alone: bm25s drops it


def test_every_mode_on_a_tiny_corpus() -> None:
    cases = [
        EvalCase("row lock contention", ("locks",), "dev"),
        EvalCase("new credentials", ("logins",), "dev"),
        EvalCase("I want my money back", ("refunds",), "test"),
    ]
    encoder = toy_encoder()
    result = evaluate_modes(tiny_corpus(), cases, dense=lambda: ChunkEmbeddings(encoder))
    assert {s.mode for s in result.scores} == set(MODES)
    assert not result.unavailable
    for mode in ("plain_bm25s", "lexical", "lexical_exact"):
        assert result.get(mode, "dev").recall_at_1 == 1.0  # type: ignore[union-attr]
        assert result.get(mode, "test").recall_at_5 == 0.0  # type: ignore[union-attr]
    for mode in ("dense", "hybrid"):
        assert result.get(mode, "test").recall_at_1 == 1.0  # type: ignore[union-attr]
    hybrid = result.get("hybrid", "all")
    assert hybrid is not None and hybrid.cases == 3 and hybrid.mrr == 1.0


def test_without_dense_the_dense_modes_are_reported_unavailable() -> None:
    result = evaluate_modes(tiny_corpus(), [EvalCase("row lock", ("locks",))], splits=("all",))
    assert set(result.unavailable) == {"dense", "hybrid"}
    assert result.get("lexical", "all") is not None


def test_index_flags_switch_rankers_off() -> None:
    corpus = tiny_corpus()
    assert KnowledgeIndex(corpus, use_lexical=False, use_exact=False).search("row lock") == []
    exact_only = KnowledgeIndex(corpus, use_lexical=False)
    assert [hit.article_id for hit in exact_only.search("UNABLE_TO_LOCK_ROW")] == ["locks"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[case]]\nquery = "x"\nexpected = ["a"]\nsplit = "train"\n', "split"),
        ('[[case]]\nquery = ""\nexpected = ["a"]\n', "query"),
        ('[[case]]\nquery = "x"\nexpected = []\n', "expected"),
        ("title = 'no cases'\n", "no .+ tables"),
        ("[[case]\n", "not valid TOML"),
    ],
)
def test_bad_query_files_are_named_errors(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "queries.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EvalDataError, match=problem):
        load_cases(path)


def test_split_defaults_to_dev(tmp_path: Path) -> None:
    path = tmp_path / "queries.toml"
    path.write_text('[[case]]\nquery = "x"\nexpected = ["a"]\n', encoding="utf-8")
    assert load_cases(path) == [EvalCase("x", ("a",), "dev")]
