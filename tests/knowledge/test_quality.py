"""Search quality on the shipped knowledge base, measured on a labelled query set."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfagent.knowledge import EvalCase, KnowledgeIndex, evaluate, load_cases

CASES = load_cases(Path(__file__).with_name("queries.toml"))


def test_query_set_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[case.query[:40] for case in CASES])
def test_expected_article_in_top_three(default_index: KnowledgeIndex, case: EvalCase) -> None:
    found = [hit.article_id for hit in default_index.search(case.query, k=3)]
    assert set(found) & set(case.expected), found


def test_recall_and_mrr(default_index: KnowledgeIndex) -> None:
    report = evaluate(default_index, CASES, k=3)
    assert report.recall_at_k >= 0.95
    assert report.mrr >= 0.9
