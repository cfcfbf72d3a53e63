"""Retrieval quality figures (recall@k, MRR) for a labelled query set."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sfagent.knowledge.index import KnowledgeIndex

MRR_DEPTH = 10  # a right answer below this rank counts as not found


@dataclass(frozen=True, slots=True)
class EvalCase:
    """A query and the article ids that answer it (any one of them is a success)."""

    query: str
    expected: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EvalReport:
    """How well an index answered a query set."""

    cases: int
    k: int
    recall_at_k: float
    mrr: float
    misses: tuple[tuple[str, tuple[str, ...]], ...]  # (query, ids returned) outside the top k


def load_cases(path: Path) -> list[EvalCase]:
    """Cases from a TOML file of `[[case]]` tables with `query` and `expected = [ids]`."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [EvalCase(str(item["query"]), tuple(item["expected"])) for item in data["case"]]


def evaluate(index: KnowledgeIndex, cases: Sequence[EvalCase], *, k: int = 3) -> EvalReport:
    """Recall@k and mean reciprocal rank of `cases` against `index`."""
    found = 0
    reciprocal = 0.0
    misses: list[tuple[str, tuple[str, ...]]] = []
    for case in cases:
        ranked = [hit.article_id for hit in index.search(case.query, k=max(k, MRR_DEPTH))]
        rank = next((i for i, aid in enumerate(ranked, 1) if aid in case.expected), None)
        if rank is not None:
            reciprocal += 1.0 / rank
        if rank is not None and rank <= k:
            found += 1
        else:
            misses.append((case.query, tuple(ranked[:k])))
    total = max(1, len(cases))
    return EvalReport(len(cases), k, found / total, reciprocal / total, tuple(misses))
