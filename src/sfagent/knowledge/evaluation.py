"""Retrieval quality figures (recall@k, MRR) for a labelled query set, per ranker and split."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import bm25s  # type: ignore[import-untyped]
import numpy as np

from sfagent.errors import SfagentError
from sfagent.knowledge.articles import Article
from sfagent.knowledge.index import KnowledgeIndex
from sfagent.knowledge.search import DenseFactory

MRR_DEPTH = 10  # a right answer below this rank counts as not found
SPLITS = ("dev", "test")
# The baseline first, then our rankers alone, then all of them fused.
MODES = ("plain_bm25s", "lexical", "lexical_exact", "dense", "hybrid")
MODE_NOTES = {
    "plain_bm25s": "bm25s defaults over each whole article (title + body)",
    "lexical": "our BM25 over chunks (field weights, identifier-aware tokens)",
    "lexical_exact": "lexical + exact-match boosts (the index without dense)",
    "dense": "embedding cosine over chunks only",
    "hybrid": "lexical + exact + dense, fused with RRF",
}

# Ranks article ids for a query, best first, at most `depth` of them.
Ranker = Callable[[str, int], list[str]]


class EvalDataError(SfagentError):
    """A query set that cannot be read: names the file and what is wrong."""

    status_code = 422


@dataclass(frozen=True, slots=True)
class EvalCase:
    """A query and the article ids that answer it (any one of them is a success)."""

    query: str
    expected: tuple[str, ...]
    split: str = "dev"


@dataclass(frozen=True, slots=True)
class EvalReport:
    """How well an index answered a query set."""

    cases: int
    k: int
    recall_at_k: float
    mrr: float
    misses: tuple[tuple[str, tuple[str, ...]], ...]  # (query, ids returned) outside the top k


@dataclass(frozen=True, slots=True)
class ModeScores:
    """Recall@1, recall@5 and MRR of one ranker on one split."""

    mode: str
    split: str
    cases: int
    recall_at_1: float
    recall_at_5: float
    mrr: float
    misses: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (query, top 5) when not in the top 5


@dataclass(frozen=True, slots=True)
class KbEvaluation:
    """Every mode on every split, and why a mode could not run."""

    scores: tuple[ModeScores, ...]
    unavailable: dict[str, str] = field(default_factory=dict)

    def get(self, mode: str, split: str) -> ModeScores | None:
        """The scores of `mode` on `split` ("all" for every case), if it ran."""
        return next((s for s in self.scores if s.mode == mode and s.split == split), None)


def default_cases_path() -> Path:
    """The shipped query set: `sfagent/data/eval/kb_queries.toml`."""
    return Path(str(resources.files("sfagent").joinpath("data", "eval", "kb_queries.toml")))


def load_cases(path: Path) -> list[EvalCase]:
    """Cases from `[[case]]` tables with `query`, `expected = [ids]` and optional `split`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise EvalDataError(f"{path}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise EvalDataError(f"{path}: not valid TOML: {error}") from error
    cases: list[EvalCase] = []
    for number, item in enumerate(data.get("case", []), start=1):
        query, expected, split = item.get("query"), item.get("expected"), item.get("split", "dev")
        if not isinstance(query, str) or not query.strip():
            raise EvalDataError(f"{path}: case {number}: `query` must be a non-empty string")
        if not isinstance(expected, list) or not expected:
            raise EvalDataError(f"{path}: case {number}: `expected` must list article ids")
        if split not in SPLITS:
            raise EvalDataError(f"{path}: case {number}: `split` must be one of {SPLITS}")
        cases.append(EvalCase(query, tuple(str(aid) for aid in expected), split))
    if not cases:
        raise EvalDataError(f"{path}: no [[case]] tables")
    return cases


def evaluate(index: KnowledgeIndex, cases: Sequence[EvalCase], *, k: int = 3) -> EvalReport:
    """Recall@k and mean reciprocal rank of `cases` against `index`."""
    found = 0
    reciprocal = 0.0
    misses: list[tuple[str, tuple[str, ...]]] = []
    for case in cases:
        ranked = [hit.article_id for hit in index.search(case.query, k=max(k, MRR_DEPTH))]
        rank = _rank_of(ranked, case.expected)
        if rank is not None:
            reciprocal += 1.0 / rank
        if rank is not None and rank <= k:
            found += 1
        else:
            misses.append((case.query, tuple(ranked[:k])))
    total = max(1, len(cases))
    return EvalReport(len(cases), k, found / total, reciprocal / total, tuple(misses))


def score_ranker(
    ranker: Ranker, cases: Sequence[EvalCase], *, mode: str = "", split: str = "all"
) -> ModeScores:
    """Recall@1, recall@5 and MRR (to `MRR_DEPTH`) of one ranker over `cases`."""
    first = fifth = 0
    reciprocal = 0.0
    misses: list[tuple[str, tuple[str, ...]]] = []
    for case in cases:
        ranked = ranker(case.query, MRR_DEPTH)
        rank = _rank_of(ranked, case.expected)
        first += rank == 1
        fifth += rank is not None and rank <= 5
        reciprocal += 1.0 / rank if rank is not None else 0.0
        if rank is None or rank > 5:
            misses.append((case.query, tuple(ranked[:5])))
    total = max(1, len(cases))
    return ModeScores(
        mode, split, len(cases), first / total, fifth / total, reciprocal / total, tuple(misses)
    )


def index_ranker(index: KnowledgeIndex) -> Ranker:
    """A ranker over `KnowledgeIndex.search` (default filters: published articles)."""

    def rank(query: str, depth: int) -> list[str]:
        return [hit.article_id for hit in index.search(query, k=depth)]

    return rank


def plain_bm25s_ranker(articles: Iterable[Article]) -> Ranker:
    """The baseline: bm25s with its default tokenizer (English stopwords, no stemmer) and
    parameters over each whole article's title and body, one document per article."""
    published = [article for article in articles if article.status == "published"]
    ids = [article.id for article in published]
    corpus = bm25s.tokenize(
        [f"{a.title}\n{a.body}" for a in published], show_progress=False, return_ids=False
    )
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)

    def rank(query: str, depth: int) -> list[str]:
        terms = bm25s.tokenize(query, show_progress=False, return_ids=False)[0]
        if not terms:
            return []
        scores = np.asarray(retriever.get_scores(terms), dtype=np.float64)
        order = sorted(np.flatnonzero(scores > 0), key=lambda i: (-scores[i], ids[i]))
        return [ids[int(i)] for i in order[:depth]]

    return rank


def mode_rankers(articles: Sequence[Article], dense: DenseFactory | None) -> dict[str, Ranker]:
    """One ranker per mode of `MODES`; without a dense factory, no "dense" and no "hybrid"."""
    rankers: dict[str, Ranker] = {
        "plain_bm25s": plain_bm25s_ranker(articles),
        "lexical": index_ranker(KnowledgeIndex(articles, use_exact=False)),
        "lexical_exact": index_ranker(KnowledgeIndex(articles)),
    }
    if dense is not None:
        only_dense = KnowledgeIndex(articles, dense=dense(), use_lexical=False, use_exact=False)
        rankers["dense"] = index_ranker(only_dense)
        rankers["hybrid"] = index_ranker(KnowledgeIndex(articles, dense=dense()))
    return rankers


def evaluate_modes(
    articles: Sequence[Article],
    cases: Sequence[EvalCase],
    *,
    dense: DenseFactory | None = None,
    splits: Sequence[str] = ("dev", "test", "all"),
    unavailable: dict[str, str] | None = None,
) -> KbEvaluation:
    """Every mode of `MODES` on each of `splits` ("all" is every case)."""
    rankers = mode_rankers(articles, dense)
    scores = [
        score_ranker(ranker, chosen, mode=mode, split=split)
        for mode, ranker in rankers.items()
        for split in splits
        if (chosen := select_split(cases, split))
    ]
    missing = dict(unavailable or {})
    for mode in MODES:
        if mode not in rankers:
            missing.setdefault(mode, "no dense retriever")
    return KbEvaluation(tuple(scores), missing)


def select_split(cases: Sequence[EvalCase], split: str) -> list[EvalCase]:
    """The cases of one split; "all" keeps every case."""
    return list(cases) if split == "all" else [case for case in cases if case.split == split]


def _rank_of(ranked: Sequence[str], expected: Sequence[str]) -> int | None:
    return next((i for i, aid in enumerate(ranked, 1) if aid in expected), None)
