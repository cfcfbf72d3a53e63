"""Readability and speed of the grounded composer's replies.

For every shipped article, the reply the composer writes when that article is the only source
(as found by searching its title), at each technical level: Flesch reading ease (higher is
easier; 60-70 is plain English) per category group, and the time to compose.

    .venv/bin/python bench/composer_bench.py [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from sfagent.knowledge import Article, KnowledgeIndex, load_default_articles
from sfagent.responder.composer import (
    ReplyRequest,
    TechnicalLevel,
    compose_reply,
    flesch_reading_ease,
)

# Replies to people who are not developers: account, billing, reports, everyday admin.
NON_TECHNICAL = frozenset({"billing_account", "reports_dashboards", "authentication_login"})


def request_for(index: KnowledgeIndex, article: Article, level: TechnicalLevel) -> ReplyRequest:
    hits = index.search(article.title, k=10)
    hit = next((hit for hit in hits if hit.article_id == article.id), None)
    sources = [(article, hit)] if hit is not None else []
    return ReplyRequest.build(article.title, sources=sources, level=level)


def measure() -> dict[str, Any]:
    articles = load_default_articles()
    index = KnowledgeIndex(articles)
    figures: dict[str, Any] = {"articles": len(articles)}
    for level in TechnicalLevel:
        scores: dict[str, list[float]] = {"non_technical": [], "technical": []}
        timings: list[float] = []
        for article in articles:
            request = request_for(index, article, level)
            started = time.perf_counter()
            reply = compose_reply(request)
            timings.append((time.perf_counter() - started) * 1000)
            group = "non_technical" if article.category in NON_TECHNICAL else "technical"
            scores[group].append(flesch_reading_ease(reply.text))
        timings.sort()
        figures[level.value] = {
            "flesch_non_technical": round(statistics.mean(scores["non_technical"]), 1),
            "flesch_technical": round(statistics.mean(scores["technical"]), 1),
            "compose_ms_p50": round(timings[len(timings) // 2], 3),
            "compose_ms_p99": round(timings[int(len(timings) * 0.99)], 3),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    figures = measure()
    if parser.parse_args().json:
        print(json.dumps(figures))
        return
    print(f"{figures['articles']} articles, one reply each per level")
    for level in TechnicalLevel:
        row = figures[level.value]
        print(
            f"{level.value:>12}: Flesch non-technical {row['flesch_non_technical']}, "
            f"technical {row['flesch_technical']}; compose p50 {row['compose_ms_p50']} ms, "
            f"p99 {row['compose_ms_p99']} ms"
        )


if __name__ == "__main__":
    main()
