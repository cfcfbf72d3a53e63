"""`sfagent eval kb`: retrieval quality of the knowledge search, per ranker and split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sfagent.diagnostics.cli import fail
from sfagent.errors import SfagentError
from sfagent.knowledge.articles import load_default_articles
from sfagent.knowledge.dense import ENCODER_KINDS, DenseRetrievers, dense_factory
from sfagent.knowledge.evaluation import (
    MODE_NOTES,
    MODES,
    SPLITS,
    KbEvaluation,
    default_cases_path,
    evaluate_modes,
    load_cases,
)

console = Console()
err_console = Console(stderr=True)


def kb_eval_command(
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    split: Annotated[str, typer.Option(help="dev, test or all (every split and the total).")] = (
        "all"
    ),
    queries: Annotated[
        Path | None, typer.Option(help="A TOML query set; default: the shipped one.")
    ] = None,
    encoder: Annotated[
        str, typer.Option(help="Dense encoder: static (numpy only) or minilm (semantic extra).")
    ] = "static",
) -> None:
    """Recall@1, recall@5 and MRR of plain bm25s, our lexical, dense and hybrid search."""
    if split not in (*SPLITS, "all"):
        fail(f"--split {split!r}: use dev, test or all")
    if encoder not in ENCODER_KINDS:
        fail(f"--encoder {encoder!r}: use one of {', '.join(ENCODER_KINDS)}")
    path = queries or default_cases_path()
    if not path.is_file():
        fail(f"{path}: no such file")
    try:
        cases = load_cases(path)
        articles = load_default_articles()
        dense, unavailable = _dense_factory(encoder)
        splits = (*SPLITS, "all") if split == "all" else (split,)
        result = evaluate_modes(
            articles, cases, dense=dense, splits=splits, unavailable=unavailable
        )
    except SfagentError as error:
        fail(str(error))
    _keep_vectors(dense)
    if json_output:
        print(json.dumps(_as_json(result, path, encoder, len(articles)), indent=2))
        return
    _print_table(result, splits, path, encoder)


def _keep_vectors(dense: DenseRetrievers | None) -> None:
    """Save MiniLM's chunk vectors for the next run; failing to only costs that run time."""
    if dense is None:
        return
    try:
        dense.persist()
    except OSError as error:
        err_console.print(f"note: chunk vectors not kept: {error}", highlight=False)


def _dense_factory(kind: str) -> tuple[DenseRetrievers | None, dict[str, str]]:
    """A factory of empty dense retrievers sharing one encoder, or why there is none."""
    try:
        return dense_factory("minilm" if kind == "minilm" else "static"), {}
    except SfagentError as error:
        reason = f"{kind} encoder unavailable: {error}"
        return None, {"dense": reason, "hybrid": reason}


def _print_table(result: KbEvaluation, splits: tuple[str, ...], path: Path, encoder: str) -> None:
    table = Table("mode", "split", "cases", "recall@1", "recall@5", "MRR", title=str(path))
    for mode in MODES:
        for split in splits:
            scores = result.get(mode, split)
            if scores is not None:
                table.add_row(
                    mode,
                    split,
                    str(scores.cases),
                    f"{scores.recall_at_1:.3f}",
                    f"{scores.recall_at_5:.3f}",
                    f"{scores.mrr:.3f}",
                )
    console.print(table)
    for mode in MODES:
        console.print(f"  {mode}: {MODE_NOTES[mode]}", highlight=False)
    console.print(f"  dense encoder: {encoder}", highlight=False)
    for mode, reason in result.unavailable.items():
        console.print(f"[yellow]{mode} not run:[/] {reason}", highlight=False)


def _as_json(result: KbEvaluation, path: Path, encoder: str, articles: int) -> dict[str, Any]:
    return {
        "queries": str(path),
        "articles": articles,
        "encoder": encoder,
        "scores": [
            {
                "mode": s.mode,
                "split": s.split,
                "cases": s.cases,
                "recall_at_1": round(s.recall_at_1, 4),
                "recall_at_5": round(s.recall_at_5, 4),
                "mrr": round(s.mrr, 4),
                "misses_at_5": [{"query": q, "top5": list(got)} for q, got in s.misses],
            }
            for s in result.scores
        ],
        "unavailable": result.unavailable,
    }
