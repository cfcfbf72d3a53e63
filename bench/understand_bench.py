"""Whole-message understanding benchmark: support-category accuracy and end-to-end latency.

Runs `Understander.understand` (entities, intent, multi-intent split, category, sentiment,
emotion, language) one message at a time over the held-back test split of the shipped
Salesforce intent set, with the shipped model (trained on the train split only), and prints:

- category accuracy from the whole message (intent distribution plus errors, limits, code,
  endpoints and features) against the category of the labelled intent, next to the accuracy
  of taking the top intent's category alone;
- group accuracy;
- latency p50/p99 per message for the whole understanding and for each step.

    .venv/bin/python bench/understand_bench.py [--json] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import Counter
from typing import Any

import numpy as np

from sfagent.nlu.catalog import load_intent_catalog
from sfagent.nlu.category import category_of_intent
from sfagent.nlu.intents import load_examples, shipped_data_path
from sfagent.nlu.understand import Understander


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the test split")
    args = parser.parse_args()

    catalog = load_intent_catalog()
    started = time.perf_counter()
    understander = Understander.load()
    load_seconds = time.perf_counter() - started
    examples = load_examples(shipped_data_path(), split="test")

    totals: list[float] = []
    steps: dict[str, list[float]] = {}
    whole = top = group = 0
    confused: Counter[tuple[str, str]] = Counter()
    for run in range(args.repeat):
        for example in examples:
            began = time.perf_counter()
            understood = understander.understand(example.text)
            totals.append((time.perf_counter() - began) * 1000)
            for step, ms in understood.timings_ms.items():
                steps.setdefault(step, []).append(ms)
            if run:
                continue
            truth = category_of_intent(example.intent, catalog)
            predicted = understood.category.category
            whole += predicted == truth
            top += category_of_intent(understood.intent.intent, catalog) == truth
            spec = catalog.get(example.intent)
            group += spec is not None and understood.category.group == spec.group
            if predicted != truth:
                confused[(truth, predicted)] += 1

    count = len(examples)
    figures: dict[str, Any] = {
        "examples": count,
        "category_accuracy_whole_message": round(whole / count, 4),
        "category_accuracy_top_intent_only": round(top / count, 4),
        "group_accuracy": round(group / count, 4),
        "p50_ms": round(float(np.percentile(totals, 50)), 3),
        "p99_ms": round(float(np.percentile(totals, 99)), 3),
        "step_p99_ms": {
            step: round(float(np.percentile(values, 99)), 3) for step, values in steps.items()
        },
        "load_seconds": round(load_seconds, 2),
        "confused_categories": [[t, p, n] for (t, p), n in confused.most_common(8)],
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
