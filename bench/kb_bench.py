"""Knowledge search benchmark: index build rate and search latency on 10,000 articles.

Builds a corpus of the 187 shipped articles plus synthetic variants (sections of one article
recombined with a paragraph of another, titles and tags shuffled, new ids) up to
`--articles`, then measures:

- index build rate (articles/s): the constructor (chunking, codes) plus the BM25 matrix,
  which the index builds at its first search;
- search latency p50/p99/max over the shipped labelled customer questions (357 queries),
  after one warm-up pass, top 5 with the default filters;
- the same for pasted debug logs (~20 KB each: the longest inputs a search takes), each a
  synthetic log around one of those questions as its fatal error;

first for the default index (BM25 + exact boosts), then with the dense retriever (the
MiniLM-distilled static table with idf pooling; skipped with a note if its table cannot be
had: it is built once with the `semantic` extra).

    .venv/bin/python bench/kb_bench.py [--articles N] [--repeat N] [--json] [--no-dense]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from dataclasses import replace
from typing import Any

import numpy as np

from sfagent.errors import SfagentError
from sfagent.knowledge import Article, KnowledgeIndex, load_default_articles
from sfagent.knowledge.dense import ChunkEmbeddings, load_encoder
from sfagent.knowledge.evaluation import default_cases_path, load_cases
from sfagent.nlu.intents.semantic import SentenceEncoder

SEED = 20240607
PASTES = 40
# Lines of a debug log, repeated up to ~20 KB ahead of the fatal error (`{n}`: a line number).
LOG_LINES = (
    "12:00:00.{n:03d} (1{n:05d})|SOQL_EXECUTE_BEGIN|[{n}]|Aggregations:0|"
    "SELECT Id, Name, OwnerId FROM Account WHERE Id IN :accountIds",
    "12:00:00.{n:03d} (1{n:05d})|SOQL_EXECUTE_END|[{n}]|Rows:{n}",
    "12:00:00.{n:03d} (1{n:05d})|METHOD_ENTRY|[{n}]|01p000000000001|AccountService.enrich(List)",
    "12:00:00.{n:03d} (1{n:05d})|VARIABLE_ASSIGNMENT|[{n}]|this.count|{n}",
    "12:00:00.{n:03d} (1{n:05d})|LIMIT_USAGE|[{n}]|SOQL|{n}|100",
)
PASTE_CHARS = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="corpus size")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the queries")
    parser.add_argument("--no-dense", action="store_true", help="skip the dense runs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    articles = synthetic_corpus(load_default_articles(), args.articles)
    queries = [case.query for case in load_cases(default_cases_path())]
    pastes = pasted_logs(queries)
    runs = [run("bm25+exact", articles, queries, pastes, args.repeat, None)]
    notes: list[str] = []
    if not args.no_dense:
        try:
            encoder = load_encoder("static")
        except SfagentError as error:
            notes.append(f"dense skipped: {error}")
        else:
            runs.append(run("bm25+exact+dense", articles, queries, pastes, args.repeat, encoder))
    report = {
        "articles": len(articles),
        "queries": len(queries),
        "pastes": len(pastes),
        "repeat": args.repeat,
        "runs": runs,
        "notes": notes,
        "machine": {"cpus": _cpus(), "python": platform.python_version()},
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{len(articles)} articles, {len(queries)} queries and {len(pastes)} pasted logs "
        f"x {args.repeat} passes"
    )
    for row in runs:
        print(
            f"{row['name']:<17} build {row['build_s']:6.2f} s = {row['articles_per_s']:7.0f} "
            f"articles/s ({row['chunks']} chunks) | search p50 {row['p50_ms']:.2f} ms, "
            f"p99 {row['p99_ms']:.2f} ms, max {row['max_ms']:.2f} ms | pasted logs "
            f"p50 {row['paste_p50_ms']:.2f} ms, p99 {row['paste_p99_ms']:.2f} ms"
        )
    for note in notes:
        print(note)


def run(
    name: str,
    articles: list[Article],
    queries: list[str],
    pastes: list[str],
    repeat: int,
    encoder: SentenceEncoder | None,
) -> dict[str, Any]:
    """Build one index over `articles` and time `repeat` passes of `queries` and `pastes`."""
    started = time.perf_counter()
    dense = ChunkEmbeddings(encoder) if encoder is not None else None
    index = KnowledgeIndex(articles, dense=dense)
    index.search("warm up the BM25 matrix", k=5)  # the matrix is built at the first search
    build = time.perf_counter() - started
    timings = _latencies(index, queries, repeat)
    paste_timings = _latencies(index, pastes, repeat)
    return {
        "name": name,
        "build_s": round(build, 3),
        "articles_per_s": round(len(articles) / build, 1),
        "chunks": len(index.chunks()),
        "p50_ms": round(float(np.percentile(timings, 50)), 3),
        "p99_ms": round(float(np.percentile(timings, 99)), 3),
        "max_ms": round(float(timings.max()), 3),
        "paste_p50_ms": round(float(np.percentile(paste_timings, 50)), 3),
        "paste_p99_ms": round(float(np.percentile(paste_timings, 99)), 3),
    }


def _latencies(index: KnowledgeIndex, queries: list[str], repeat: int) -> np.ndarray:
    """Milliseconds per search over `repeat` passes, after one untimed warm-up pass."""
    for query in queries:
        index.search(query, k=5)
    latencies: list[float] = []
    for _ in range(repeat):
        for query in queries:
            began = time.perf_counter()
            index.search(query, k=5)
            latencies.append((time.perf_counter() - began) * 1000)
    return np.asarray(latencies)


def pasted_logs(queries: list[str]) -> list[str]:
    """`PASTES` debug logs of ~`PASTE_CHARS`, each ending in one of `queries` as its error."""
    rng = random.Random(SEED)
    pastes = []
    for query in rng.sample(queries, k=min(PASTES, len(queries))):
        lines: list[str] = []
        size = 0
        while size < PASTE_CHARS:
            line = rng.choice(LOG_LINES).format(n=len(lines))
            lines.append(line)
            size += len(line) + 1
        lines.append(f"12:00:01.000 (2000000)|FATAL_ERROR|{query}")
        pastes.append("\n".join(lines))
    return pastes


def synthetic_corpus(shipped: list[Article], size: int) -> list[Article]:
    """The shipped articles plus variants up to `size`: recombined sections, new ids."""
    rng = random.Random(SEED)
    corpus = list(shipped)
    sections = [_sections(article.body) for article in shipped]
    for number in range(max(0, size - len(shipped))):
        base = rng.randrange(len(shipped))
        donor = rng.randrange(len(shipped))
        own = list(sections[base])
        kept = rng.sample(own, k=max(1, len(own) - rng.randrange(0, 2)))
        borrowed = rng.choice(sections[donor])
        body = "\n\n".join([*kept, borrowed] if rng.random() < 0.5 else [borrowed, *kept])
        words = shipped[base].title.split()
        if len(words) > 3 and rng.random() < 0.5:
            rng.shuffle(words)
        tags = list(shipped[base].tags) + list(shipped[donor].tags[:1])
        rng.shuffle(tags)
        corpus.append(
            replace(
                shipped[base],
                id=f"{shipped[base].id}-v{number}",
                title=" ".join(words) + f" (variant {number})",
                body=body,
                tags=tuple(dict.fromkeys(tags)),
            )
        )
    return corpus


def _sections(body: str) -> list[str]:
    """The `## ` sections of a body, each with its heading."""
    parts = body.split("\n## ")
    return [parts[0], *(f"## {part}" for part in parts[1:])] if len(parts) > 1 else [body]


def _cpus() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            models = [line.split(":", 1)[1].strip() for line in info if "model name" in line]
    except OSError:
        models = []
    return f"{len(models)} x {models[0]}" if models else platform.processor()


if __name__ == "__main__":
    main()
