"""Knowledge search engine: articles, chunks, hybrid (BM25 + exact + optional dense) search."""

from sfagent.knowledge.articles import (
    Article,
    ArticleError,
    api_version_applies,
    load_default_articles,
    parse_article,
)
from sfagent.knowledge.chunking import MAX_CHUNK_CHARS, Chunk, chunk_article
from sfagent.knowledge.evaluation import EvalCase, EvalReport, evaluate, load_cases
from sfagent.knowledge.index import KnowledgeIndex, catalog_error_ids
from sfagent.knowledge.search import DenseRetriever, SearchFilters, SearchHit
from sfagent.knowledge.tokens import tokenize

__all__ = [
    "MAX_CHUNK_CHARS",
    "Article",
    "ArticleError",
    "Chunk",
    "DenseRetriever",
    "EvalCase",
    "EvalReport",
    "KnowledgeIndex",
    "SearchFilters",
    "SearchHit",
    "api_version_applies",
    "catalog_error_ids",
    "chunk_article",
    "evaluate",
    "load_cases",
    "load_default_articles",
    "parse_article",
    "tokenize",
]
