"""Hybrid search over the shipped knowledge base and over small hand-made corpora."""

from __future__ import annotations

from dataclasses import replace

from sfagent.knowledge import Article, KnowledgeIndex, SearchFilters
from sfagent.knowledge.search import make_snippet, reciprocal_rank_fusion
from sfagent.knowledge.tokens import expand, raw_tokens

STACK_TRACE = """Apex trigger ContactTrigger caused an unexpected exception, contact your admin:
ContactTrigger: execution of AfterInsert

caused by: System.LimitException: Too many SOQL queries: 101

Class.ContactService.enrich: line 42, column 1
Trigger.ContactTrigger: line 5, column 1
"""


def ids(index: KnowledgeIndex, query: str, **kwargs: object) -> list[str]:
    return [hit.article_id for hit in index.search(query, **kwargs)]  # type: ignore[arg-type]


def test_pasted_stack_trace_finds_its_article(default_index: KnowledgeIndex) -> None:
    assert ids(default_index, STACK_TRACE, k=3)[0] == "too-many-soql-queries"


def test_catalog_match_alone_is_enough() -> None:
    lock = Article(
        id="locks",
        title="Saving is slow",
        body="## Cause\n\nContention.",
        category="other",
        error_ids=("dml-unable-to-lock-row",),
    )
    other = Article(id="other", title="Record saving", body="## Cause\n\nSaving.", category="other")
    index = KnowledgeIndex([lock, other])
    assert (
        ids(index, "Insert failed. UNABLE_TO_LOCK_ROW, unable to obtain exclusive access")[0]
        == "locks"
    )


def test_one_hit_per_article(default_index: KnowledgeIndex) -> None:
    found = ids(default_index, "flow fault email error", k=10)
    assert len(found) == len(set(found)) == 10


def test_hit_has_snippet_with_bold_terms(default_index: KnowledgeIndex) -> None:
    hit = default_index.search("UNABLE_TO_LOCK_ROW", k=1)[0]
    assert hit.article_id == "unable-to-lock-row"
    assert hit.category == "dml_validation_error"
    assert "**UNABLE_TO_LOCK_ROW**" in hit.snippet
    assert len(hit.snippet) <= 320
    assert "unable_to_lock_row" in hit.matched_terms
    body = default_index.get(hit.article_id).body  # type: ignore[union-attr]
    assert all(body[a:b].lower() in hit.matched_terms for a, b in hit.highlights)
    assert hit.section


def test_results_are_deterministic(
    default_index: KnowledgeIndex, default_articles: list[Article]
) -> None:
    first = default_index.search("trigger recursion", k=10)
    assert first == default_index.search("trigger recursion", k=10)
    assert first == KnowledgeIndex(reversed(default_articles)).search("trigger recursion", k=10)


def test_ties_are_broken_by_article_id() -> None:
    body = "## Problem\n\nSame words here."
    index = KnowledgeIndex(
        [Article(id=name, title="Same", body=body, category="other") for name in "cba"]
    )
    assert ids(index, "same words") == ["a", "b", "c"]


def test_empty_and_huge_queries_do_not_fail(default_index: KnowledgeIndex) -> None:
    assert default_index.search("") == []
    assert default_index.search("   \n") == []
    huge = (STACK_TRACE + "lorem ipsum dolor sit amet " * 200) * 20
    assert len(huge) > 50_000
    assert default_index.search(huge, k=3)


def test_filters_by_category_product_and_tags(default_index: KnowledgeIndex) -> None:
    only_flow = SearchFilters(categories=frozenset({"flow_automation"}))
    hits = default_index.search("too many SOQL queries", k=5, filters=only_flow)
    assert hits and all(hit.category == "flow_automation" for hit in hits)
    billing = SearchFilters(products=frozenset({"Billing"}))
    assert all(i.startswith("template-") for i in ids(default_index, "invoice", filters=billing))
    tagged = SearchFilters(tags=frozenset({"jwt"}))
    found = ids(default_index, "invalid_grant", k=10, filters=tagged)
    assert found and all("jwt" in default_index.get(i).tags for i in found)  # type: ignore[union-attr]


def test_filters_by_status_and_api_version() -> None:
    base = Article(id="live", title="Limits", body="## Cause\n\nLimits.", category="other")
    draft = replace(base, id="draft", status="draft")
    new_api = replace(base, id="new-api", applies_to="API v60.0+")
    index = KnowledgeIndex([base, draft, new_api])
    assert ids(index, "limits") == ["live", "new-api"]
    assert ids(index, "limits", filters=SearchFilters(statuses=frozenset({"draft"}))) == ["draft"]
    assert ids(index, "limits", filters=SearchFilters(api_version=58.0)) == ["live"]


def test_upsert_and_remove() -> None:
    first = Article(id="one", title="Alpha", body="## Cause\n\nAlpha text.", category="other")
    index = KnowledgeIndex([first])
    assert ids(index, "bravo") == []
    index.upsert(Article(id="two", title="Bravo", body="## Cause\n\nBravo.", category="other"))
    assert ids(index, "bravo") == ["two"]
    index.upsert(replace(first, body="## Cause\n\nNow about bravo too.", version=2))
    assert set(ids(index, "bravo")) == {"one", "two"}
    assert index.remove("two") is True
    assert index.remove("two") is False
    assert ids(index, "bravo") == ["one"]
    assert len(index) == 1


def test_dense_ranking_is_fused() -> None:
    plain = Article(id="plain", title="Alpha", body="## Cause\n\nAlpha.", category="other")
    semantic = Article(id="semantic", title="Beta", body="## Cause\n\nBeta.", category="other")

    class FakeDense:
        def rank(self, query: str, k: int) -> list[tuple[str, float]]:
            return [("semantic#0", 0.9)]

    index = KnowledgeIndex([plain, semantic], dense=FakeDense())
    assert ids(index, "alpha") == ["plain", "semantic"]
    assert index.search("alpha")[1].section == "Cause"


def test_rrf_gives_equal_scores_equal_rank() -> None:
    fused = reciprocal_rank_fusion([({"a": 2.0, "b": 2.0, "c": 1.0}, 1.0)], k=60)
    assert fused["a"] == fused["b"] == 1 / 61
    assert fused["c"] == 1 / 63


def test_snippet_highlights_every_token_with_a_query_term() -> None:
    text = "UNABLE_TO_LOCK_ROW on Account rows; unable to lock the row. Locks, rows.and more"
    terms = frozenset({"row", "unable"})
    snippet = make_snippet(text, 100, terms)
    expected = [t for t in raw_tokens(text) if terms.intersection(expand(t.text))]
    assert snippet.highlights == tuple((100 + t.start, 100 + t.end) for t in expected)
    assert snippet.matched_terms == tuple(sorted({t.text.lower() for t in expected}))
