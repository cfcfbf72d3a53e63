"""Duplicate and conflict reports on ingest, and the shingling and limit extraction behind them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sfagent.knowledge import Article
from sfagent.knowledge.duplicates import DuplicateKind, DuplicateReport, find_duplicates
from sfagent.knowledge.limit_claims import contradictions, limit_claims
from sfagent.knowledge.minhash import (
    PERMUTATIONS,
    TARGET_RECALL,
    MinHashIndex,
    band_layout,
    jaccard,
    shingles,
)

SOQL_100 = """# Too many SOQL queries

## Cause

A transaction may run at most 100 SOQL queries synchronously and 200 asynchronously.
Move queries out of loops and query once per batch of records.
"""
SOQL_150 = """# SOQL query limit

## Cause

Apex code is limited to 150 SOQL queries per transaction, so a query inside a loop fails.
"""


def article(article_id: str, body: str, **fields: object) -> Article:
    base = Article(id=article_id, title=article_id.replace("-", " "), body=body, category="other")
    return replace(base, **fields)  # type: ignore[arg-type]


def lightly_edited(body: str) -> str:
    """A copy with a few words changed, as a team would paste and tweak a vendor article."""
    edited = body.replace("often", "usually", 1).replace("Common causes", "Typical causes", 1)
    return edited + "\n\nAsk your admin team before changing production automation.\n"


def kinds(reports: list[DuplicateReport]) -> list[tuple[DuplicateKind, str, str]]:
    return [(report.kind, report.incoming_id, report.existing_id) for report in reports]


def test_shipped_articles_have_no_duplicates_or_conflicts_among_themselves(
    default_articles: list[Article],
) -> None:
    assert len(default_articles) > 150
    assert find_duplicates(default_articles, []) == []


def test_lightly_edited_copy_of_a_shipped_article_is_a_near_duplicate(
    default_articles: list[Article],
) -> None:
    original = next(a for a in default_articles if a.id == "apex-cpu-time-limit-exceeded")
    copy = replace(original, id="our-cpu-time-notes", body=lightly_edited(original.body))
    [report] = find_duplicates([copy], default_articles)
    assert kinds([report]) == [
        (DuplicateKind.NEAR, "our-cpu-time-notes", "apex-cpu-time-limit-exceeded")
    ]
    assert 0.8 <= report.similarity < 1.0
    assert "similar to existing 'apex-cpu-time-limit-exceeded'" in report.detail


def test_below_a_stricter_threshold_only_a_shared_title_is_reported(
    default_articles: list[Article],
) -> None:
    original = next(a for a in default_articles if a.id == "apex-cpu-time-limit-exceeded")
    copy = replace(original, id="our-cpu-time-notes", body=lightly_edited(original.body))
    [report] = find_duplicates([copy], default_articles, threshold=0.99)
    assert report.kind is DuplicateKind.TITLE_CONFLICT
    retitled = replace(copy, title="Our CPU time notes")
    assert find_duplicates([retitled], default_articles, threshold=0.99) == []


def test_exact_copy_under_another_id_is_an_exact_duplicate_only() -> None:
    existing = article("row-lock", SOQL_100)
    [report] = find_duplicates([replace(existing, id="row-lock-copy")], [existing])
    assert kinds([report]) == [(DuplicateKind.EXACT, "row-lock-copy", "row-lock")]
    assert report.similarity == 1.0


def test_newer_version_of_the_same_article_is_an_update_not_a_report() -> None:
    existing = article("soql", SOQL_100, version=1)
    update = replace(existing, body=SOQL_100 + "\nUse maps.\n", version=2)
    assert find_duplicates([update], [existing]) == []


def test_unchanged_reimport_is_not_reported() -> None:
    existing = article("soql", SOQL_100, version=4)
    assert find_duplicates([replace(existing, version=1)], [existing]) == []


def test_changed_content_that_is_not_newer_is_an_id_conflict() -> None:
    existing = article("soql", SOQL_100, version=3)
    [report] = find_duplicates([replace(existing, body=SOQL_100 + "\nNew.\n")], [existing])
    assert kinds([report]) == [(DuplicateKind.ID_CONFLICT, "soql", "soql")]
    assert "incoming version 3 is not newer than existing 3" in report.detail


def test_locally_edited_article_conflicts_even_with_a_newer_version() -> None:
    existing = article("soql", SOQL_100, version=1)
    update = replace(existing, body=SOQL_100 + "\nNew.\n", version=2)
    [report] = find_duplicates([update], [existing], locally_edited={"soql"})
    assert report.kind is DuplicateKind.ID_CONFLICT
    assert "edited locally" in report.detail


def test_same_title_with_a_different_body_is_a_title_conflict() -> None:
    existing = article("lock-a", "Retry the update after a short wait.", title="Row lock errors")
    incoming = article("lock-b", "Sort records by parent id first.", title="Row  LOCK errors")
    [report] = find_duplicates([incoming], [existing])
    assert kinds([report]) == [(DuplicateKind.TITLE_CONFLICT, "lock-b", "lock-a")]
    assert report.similarity < 0.8


def test_contradicting_limits_for_one_error_id_are_a_conflict() -> None:
    existing = article("soql-a", SOQL_100, error_ids=("limit-too-many-soql-queries",))
    incoming = article("soql-b", SOQL_150, error_ids=("limit-too-many-soql-queries",))
    [report] = find_duplicates([incoming], [existing])
    assert kinds([report]) == [(DuplicateKind.LIMIT_CONFLICT, "soql-b", "soql-a")]
    assert report.detail == (
        "states different limits than existing 'soql-a': "
        "limit-too-many-soql-queries: 150 soql query here, 100 or 200 there"
    )


def test_agreeing_limits_are_not_a_conflict() -> None:
    existing = article("soql-a", SOQL_100, error_ids=("limit-too-many-soql-queries",))
    async_only = "In Batch Apex a transaction can run up to 200 SOQL queries."
    incoming = article("soql-b", async_only, error_ids=("limit-too-many-soql-queries",))
    assert find_duplicates([incoming], [existing]) == []


def test_limits_under_different_error_ids_are_not_compared() -> None:
    existing = article("soql-a", SOQL_100, error_ids=("limit-too-many-soql-queries",))
    incoming = article("soql-b", SOQL_150, error_ids=("limit-too-many-dml-statements",))
    assert find_duplicates([incoming], [existing]) == []


def test_duplicates_within_the_incoming_batch_are_found() -> None:
    first = article("guide-a", SOQL_100)
    second = replace(first, id="guide-b")
    reports = find_duplicates([first, second], [])
    assert kinds(reports) == [(DuplicateKind.EXACT, "guide-b", "guide-a")]
    assert "in this batch" in reports[0].detail


def test_the_same_id_twice_in_a_batch_is_an_id_conflict() -> None:
    first = article("guide", SOQL_100)
    second = replace(first, body=SOQL_150)
    [report] = find_duplicates([first, second], [first])
    assert report.kind is DuplicateKind.ID_CONFLICT
    assert "twice in this batch" in report.detail


def test_reports_are_deterministic(default_articles: list[Article]) -> None:
    copies = [replace(a, id=f"copy-{a.id}", body=lightly_edited(a.body)) for a in default_articles]
    first = find_duplicates(copies[:20], default_articles)
    assert first == find_duplicates(copies[:20], default_articles)
    assert len(first) == 20


@pytest.mark.parametrize("threshold", [0.0, -0.5, 1.5])
def test_threshold_outside_zero_to_one_is_rejected(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        find_duplicates([], [], threshold=threshold)


# --- shingles and the LSH index ------------------------------------------------------------


def test_shingles_ignore_case_and_markup() -> None:
    assert (
        jaccard(
            shingles("**Retry** the `update` later, please."),
            shingles("retry THE update later please"),
        )
        == 1.0
    )


def test_short_texts_are_one_shingle() -> None:
    assert len(shingles("row lock")) == 1
    assert len(shingles("")) == 0
    assert jaccard(shingles(""), shingles("")) == 0.0


def test_banding_keeps_recall_at_the_threshold() -> None:
    bands, rows = band_layout(0.8)
    assert bands * rows <= PERMUTATIONS
    assert 1 - (1 - 0.8**rows) ** bands >= TARGET_RECALL


def test_index_proposes_no_candidates_among_different_shipped_articles(
    default_articles: list[Article],
) -> None:
    # No pairwise compares: unrelated articles never even become candidates.
    index = MinHashIndex(0.8)
    proposed = [index.add(i, shingles(a.body)) for i, a in enumerate(default_articles)]
    assert sum(len(keys) for keys in proposed) == 0
    copy = lightly_edited(default_articles[0].body)
    assert index.add(len(default_articles), shingles(copy)) == [0]


# --- limit claims ----------------------------------------------------------------------------


def test_limit_claims_read_numbers_led_by_limit_words() -> None:
    text = (
        "The memory is limited to 6 MB synchronously and 12 MB asynchronously.\n"
        "Bulk saves of 200 records fail.\n"
        "A transaction may run at most 100 SOQL queries synchronously and 200 asynchronously.\n"
        "Batch Apex can process up to 50 million records."
    )
    assert limit_claims(text) == {
        "mb": frozenset({6.0, 12.0}),
        "soql query": frozenset({100.0, 200.0}),
        "record": frozenset({50_000_000.0}),
    }


def test_limit_claims_skip_code_urls_and_error_messages() -> None:
    text = (
        "The `Too many SOQL queries: 101` error means the limit was exceeded.\n"
        "See https://example.com/limits/150 for the limit of queries.\n"
        "```apex\n// at most 150 SOQL queries here\n```\n"
        "   ```\n   up to 300 records\n   ```\n"
    )
    assert limit_claims(text) == {}


def test_contradictions_need_disjoint_and_comparable_values() -> None:
    both = {"soql query": frozenset({100.0, 200.0}), "record": frozenset({10_000.0})}
    assert contradictions(both, {"soql query": frozenset({200.0})}) == []
    assert contradictions(both, {"soql query": frozenset({150.0})}) == ["soql query"]
    # 10,000 DML rows and 50 million batch records are different limits, not a disagreement.
    assert contradictions(both, {"record": frozenset({50_000_000.0})}) == []
