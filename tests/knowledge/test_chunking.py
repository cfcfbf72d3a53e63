"""Chunks follow sections, respect the size cap and point back into the body."""

from __future__ import annotations

from sfagent.knowledge import Article, chunk_article
from sfagent.knowledge.chunking import SECTION_SEPARATOR

BODY = "\n".join(
    [
        "# Title",
        "",
        "## Problem",
        "",
        "Short problem.",
        "",
        "## Steps",
        "",
        *[f"{n}. " + "word " * 60 + "\n" for n in range(1, 8)],
        "```apex",
        "## not a heading inside a fence",
        "```",
        "",
        "## Verify",
        "",
        "x" * 3000,
    ]
)


def make_article(body: str = BODY) -> Article:
    return Article(id="a", title="Apex test failures", body=body, category="other")


def test_chunks_follow_sections_with_heading_path() -> None:
    chunks = chunk_article(make_article())
    assert [c.section for c in chunks][:2] == ["Problem", "Steps"]
    assert chunks[0].heading_path == f"Apex test failures{SECTION_SEPARATOR}Problem"
    assert "not a heading" not in {c.section for c in chunks}


def test_chunks_respect_the_cap_and_offsets() -> None:
    article = make_article()
    chunks = chunk_article(article, max_chars=500)
    assert sum(1 for c in chunks if c.section == "Steps") > 1
    for chunk in chunks:
        assert len(chunk.text) <= 500
        assert article.body[chunk.start : chunk.end] == chunk.text
    assert [c.chunk_id for c in chunks] == [f"a#{n}" for n in range(len(chunks))]


def test_long_paragraph_is_split_hard() -> None:
    chunks = chunk_article(make_article(), max_chars=1200)
    verify = [c for c in chunks if c.section == "Verify"]
    assert len(verify) >= 3


def test_every_shipped_chunk_fits(default_articles: list[Article]) -> None:
    for article in default_articles:
        for chunk in chunk_article(article):
            assert 0 < len(chunk.text) <= 1200
            assert article.body[chunk.start : chunk.end] == chunk.text
