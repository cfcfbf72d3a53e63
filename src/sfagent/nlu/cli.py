"""`sfagent nlu`: train, evaluate and query the intent model from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sfagent.errors import SfagentError

# sfagent.nlu.intents and .understand are imported inside the commands: they bring in
# scikit-learn, which would add seconds to every other sfagent command (serve included).

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

app = typer.Typer(
    help="Intent model: train, evaluate, predict.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
SplitOption = Annotated[
    str | None, typer.Option("--split", help="Use only rows whose 'split' field is this.")
]


@contextmanager
def _clear_errors() -> Iterator[None]:
    """Turn every expected failure into one line on stderr and exit code 1."""
    try:
        yield
    except SfagentError as error:
        err_console.print(f"error: {error.message}", markup=False, highlight=False)
        raise typer.Exit(1) from error
    except OSError as error:
        err_console.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(1) from error


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar fed by the trainer's (step, done, total) reports."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=True,
    )
    task = bar.add_task("training", total=None)

    def report(what: str, done: int, total: int) -> None:
        bar.update(task, description=what, completed=done, total=total)

    with bar:
        yield report


@app.command("train")
def train_command(
    data: Annotated[Path, typer.Option("--data", help="Training data: .jsonl or .csv.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the model to.")],
    semantic: Annotated[
        bool,
        typer.Option(
            "--semantic",
            help="Add static sentence embeddings distilled from MiniLM "
            "(the semantic extra is needed once, to build the table).",
        ),
    ] = False,
    minilm: Annotated[
        bool,
        typer.Option(
            "--minilm",
            help="Add MiniLM sentence embeddings, run per message in numpy: more accurate "
            "than --semantic, about 10 ms a message (the semantic extra is needed).",
        ),
    ] = False,
    minilm_layers: Annotated[
        int | None,
        typer.Option(
            "--minilm-layers",
            min=1,
            max=6,
            help="With --minilm, run only MiniLM's first N of its 6 layers (faster).",
        ),
    ] = None,
    split: SplitOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Train an intent model from labelled examples (intent 'oos' = out of scope)."""
    from sfagent.nlu.intents import IntentModel, MiniLMEncoder, load_examples

    if semantic and minilm:
        raise typer.BadParameter("choose one of --semantic and --minilm")
    if minilm_layers is not None and not minilm:
        raise typer.BadParameter("--minilm-layers needs --minilm")
    with _clear_errors():
        examples = load_examples(data, split=split)
        encoder = MiniLMEncoder(layers=minilm_layers) if minilm else None
        with _progress(quiet=as_json) as report:
            model = IntentModel.train(examples, semantic=semantic, encoder=encoder, progress=report)
        model.save(out)
    summary = {
        "model": str(out),
        "examples": len(examples),
        "intents": len(model.intents),
        "semantic": model.semantic,
        "oos_threshold": round(model.threshold, 4),
        "metrics": model.info["metrics"],
    }
    if as_json:
        console.print_json(data=summary)
        return
    console.print(f"Trained {summary['intents']} intents on {len(examples)} examples → {out}")
    for name, value in summary["metrics"].items():
        console.print(
            f"  {name}: {value:.4f}" if isinstance(value, float) else f"  {name}: {value}"
        )


@app.command("eval")
def eval_command(
    model_dir: Annotated[Path, typer.Option("--model", help="Model directory.")],
    data: Annotated[Path, typer.Option("--data", help="Labelled data: .jsonl or .csv.")],
    split: SplitOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Evaluate a model: accuracy, out-of-scope precision/recall, calibration, latency."""
    from sfagent.nlu.intents import IntentModel, evaluate, load_examples

    with _clear_errors():
        model = IntentModel.load(model_dir)
        examples = load_examples(data, split=split)
        figures = evaluate(model, examples)
    if as_json:
        console.print_json(data=figures)
        return
    _show_figures(figures)


def _show_figures(figures: dict[str, Any]) -> None:
    table = Table(title=f"Intent evaluation ({figures['examples']} examples)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, label in [
        ("accuracy", "accuracy"),
        ("in_scope_accuracy", "in-scope accuracy"),
        ("macro_f1", "macro-F1"),
        ("oos_precision", "out-of-scope precision"),
        ("oos_recall", "out-of-scope recall"),
    ]:
        value = figures[key]
        table.add_row(label, "n/a" if value is None else f"{100 * value:.1f}%")
    table.add_row("calibration error (ECE)", f"{figures['ece']:.3f}")
    table.add_row("latency p50", f"{figures['p50_ms']:.2f} ms")
    table.add_row("latency p99", f"{figures['p99_ms']:.2f} ms")
    console.print(table)
    if figures["confused_pairs"]:
        confused = Table(title="Most confused (true → predicted)")
        confused.add_column("true")
        confused.add_column("predicted")
        confused.add_column("count", justify="right")
        for true, predicted, count in figures["confused_pairs"]:
            confused.add_row(true, predicted, str(count))
        console.print(confused)


@app.command("predict")
def predict_command(
    text: Annotated[str, typer.Argument(help="The message to classify.")],
    model_dir: Annotated[
        Path | None, typer.Option("--model", help="Model directory (default: the shipped model).")
    ] = None,
    top: Annotated[int, typer.Option("--top", "-k", min=1, help="Candidates to list.")] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Understand one message: intents, category, priority, entities, sentiment, language."""
    from sfagent.nlu.intents import IntentModel, default_cache_dir
    from sfagent.nlu.understand import Understander

    with _clear_errors():
        if model_dir is not None:
            understander = Understander(IntentModel.load(model_dir))
        else:
            with _progress(quiet=as_json) as report:
                understander = Understander.load(cache_dir=default_cache_dir(), progress=report)
        understood = understander.understand(text)
    result = understood.to_dict()
    result["ranking"] = understander.model.predict(text, k=top).as_dict()["ranking"]
    if as_json:
        console.print(json.dumps(result, ensure_ascii=False), markup=False, highlight=False)
        return
    _show_understanding(result)


def _show_understanding(result: dict[str, Any]) -> None:
    scope = "" if result["in_scope"] else " (out of scope)"
    say = partial(console.print, markup=False, highlight=False)
    say(f"{result['intent']}{scope}  confidence {result['confidence']:.2f}")
    for score in result["ranking"]:
        say(f"  {score['intent']:<32} {score['confidence']:.3f}")
    if len(result["intents"]) > 1:
        say("Intents in this message:")
        for span in result["intents"]:
            say(
                f"  [{span['start']}:{span['end']}] {span['intent']} "
                f"({span['confidence']:.2f}): {span['text']}"
            )
    say(
        f"Category: {result['category']} ({result['group']}), priority {result['priority']:.2f}"
        + (", auto-resolvable" if result["auto_resolvable"] else "")
    )
    for entity in result["entities"]:
        say(f"  {entity['type']:<18} [{entity['start']}:{entity['end']}] {entity['value']}")
    sentiment, emotion, language = result["sentiment"], result["emotion"], result["language"]
    say(
        f"Sentiment {sentiment['score']:+.2f} ({sentiment['label']}), "
        f"emotion {emotion['label']} {emotion['intensity']}/5, language {language['code']}"
    )
