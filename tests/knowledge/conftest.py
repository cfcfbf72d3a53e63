"""One index over the shipped knowledge base, built once: the engine holds no state per query."""

from __future__ import annotations

import pytest

from sfagent.knowledge import Article, KnowledgeIndex, load_default_articles


@pytest.fixture(scope="module")
def default_articles() -> list[Article]:
    return load_default_articles()


@pytest.fixture(scope="module")
def default_index(default_articles: list[Article]) -> KnowledgeIndex:
    return KnowledgeIndex(default_articles)
