"""Parsing article files: front matter fields, lists, and errors that name file and field."""

from __future__ import annotations

import pytest

from sfagent.knowledge import Article, ArticleError, api_version_applies, parse_article

GOOD = """---
id: sample-article
title: "Sample: a title"
category: governor_limit
product: Platform
tags: [apex, soql]
applies_to: all
error_ids: [limit-too-many-soql-queries]
source: test
status: published
links: []
---

# Sample

## Problem

Text.
"""


def test_parses_scalars_lists_and_body() -> None:
    article = parse_article(GOOD, source_path="x.md")
    assert article.id == "sample-article"
    assert article.title == "Sample: a title"
    assert article.tags == ("apex", "soql")
    assert article.error_ids == ("limit-too-many-soql-queries",)
    assert article.links == ()
    assert article.version == 1
    assert article.body.startswith("# Sample")


def test_missing_front_matter_names_the_file() -> None:
    with pytest.raises(ArticleError, match=r"broken\.md: must open"):
        parse_article("# No front matter\n", source_path="broken.md")


def test_unclosed_front_matter_is_rejected() -> None:
    with pytest.raises(ArticleError, match="not closed"):
        parse_article("---\nid: a\n", source_path="a.md")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (GOOD.replace('title: "Sample: a title"\n', ""), "title"),
        (GOOD.replace("tags: [apex, soql]", "tags: apex"), "tags"),
        (GOOD.replace("tags: [apex, soql]", "tags: [apex, soql"), "tags"),
        (GOOD.replace("id: sample-article", "id: Not A Slug"), "id"),
        (GOOD.replace("status: published", "status: published\nstatus: draft"), "status"),
        (GOOD.replace("source: test", "source: test\nversion: zero"), "version"),
        (GOOD.replace("source: test", "source: test\nowner: me"), "owner"),
    ],
)
def test_bad_field_names_the_field(text: str, field: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article(text, source_path="kb/a.md")
    assert caught.value.field == field
    assert caught.value.message.startswith(f"kb/a.md: {field}: ")


def test_bad_line_is_quoted() -> None:
    with pytest.raises(ArticleError, match="bad front matter line"):
        parse_article(GOOD.replace("product: Platform", "just words"), source_path="a.md")


def test_default_articles_load_with_unique_ids(default_articles: list[Article]) -> None:
    ids = [article.id for article in default_articles]
    assert len(ids) >= 160
    assert ids == sorted(set(ids))
    assert all(article.status == "published" for article in default_articles)


@pytest.mark.parametrize(
    ("applies_to", "version", "expected"),
    [
        ("all", 30.0, True),
        ("Lightning Experience", 30.0, True),
        ("API v45.0+", 44.0, False),
        ("API v45.0+", 60.0, True),
        ("v40.0-v50.0", 51.0, False),
        ("v40.0-v50.0", 40.0, True),
    ],
)
def test_api_version_ranges(applies_to: str, version: float, expected: bool) -> None:
    assert api_version_applies(applies_to, version) is expected
