"""`sfagent keys`: encryption keys at rest — generate one, see which key holds what, rotate."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table

from sfagent.config import Settings, load_settings
from sfagent.db import migrate
from sfagent.kb.cli_support import database, err_console, fail
from sfagent.security.crypto import Keyring, KeyringError, generate_key_spec
from sfagent.security.keys import (
    DEFAULT_BATCH,
    EncryptedColumn,
    RotationReport,
    key_usage,
    rotate,
)
from sfagent.security.pii import redact
from sfagent.security.pii_eval import evaluate, load_labelled

keys_app = typer.Typer(help="Encryption keys for data at rest.", no_args_is_help=True)
console = Console(soft_wrap=True)


def _fail(message: str) -> None:
    fail(message, KeyringError(message))


def _keyring(settings: Settings) -> Keyring:
    keyring = settings.keyring()
    if keyring is None:
        _fail("no encryption key is configured: set SFAGENT_ENCRYPTION_KEY or _KEY_FILE")
    assert keyring is not None
    return keyring


@keys_app.command("generate")
def keys_generate(
    key_id: Annotated[
        str | None, typer.Option("--id", help="A name for the key (letters, digits, - _ .).")
    ] = None,
) -> None:
    """Print a new random AES-256 key in the form SFAGENT_ENCRYPTION_KEY reads."""
    spec = generate_key_spec(key_id)
    try:
        Keyring.load(spec, None)
    except KeyringError as error:
        _fail(str(error))
    print(spec)


@keys_app.command("status")
def keys_status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """How many stored values each key (or plain text) holds, per encrypted column."""
    settings = load_settings()
    migrate.require_up_to_date(settings)
    usage = asyncio.run(_usage(settings))
    keyring = settings.keyring()
    if as_json:
        primary = keyring.primary.key_id if keyring else None
        print(json.dumps({"primary": primary, "columns": usage}))
        return
    table = Table("column", "values by key")
    for label, counts in usage.items():
        shown = ", ".join(f"{key}: {count}" for key, count in sorted(counts.items())) or "-"
        table.add_row(label, shown)
    console.print(table)
    console.print(f"primary key: {keyring.primary.key_id if keyring else 'none configured'}")


@keys_app.command("rotate")
def keys_rotate(
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = DEFAULT_BATCH,
    decrypt: Annotated[
        bool, typer.Option("--decrypt", help="Store everything as plain text instead.")
    ] = False,
) -> None:
    """Re-encrypt every stored value under the primary key (the first configured one).

    Safe to interrupt and run again: finished batches stay done, rows already under the
    primary key are skipped."""
    settings = load_settings()
    migrate.require_up_to_date(settings)
    keyring = _keyring(settings)
    try:
        report = asyncio.run(_rotate(settings, keyring, batch_size, decrypt))
    except KeyringError as error:
        _fail(str(error))
        return
    target = "plain text" if decrypt else f"key {keyring.primary.key_id}"
    for label, rewritten in report.rewritten.items():
        examined = report.examined[label]
        console.print(f"{label}: {rewritten} of {examined} rewritten", highlight=False)
    console.print(f"{report.total_rewritten} values now under {target}", highlight=False)


async def _rotate(
    settings: Settings, keyring: Keyring, batch_size: int, decrypt: bool
) -> RotationReport:
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} rows"),
        console=err_console,
        disable=not err_console.is_terminal,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def advance(column: EncryptedColumn, rows: int) -> None:
        if column.label not in tasks:
            tasks[column.label] = bar.add_task(column.label, total=None)
        bar.advance(tasks[column.label], rows)

    async with database(settings) as sessions:
        with bar:
            return await rotate(
                sessions.writer,
                keyring,
                to_plaintext=decrypt,
                batch_size=batch_size,
                progress=advance,
            )


async def _usage(settings: Settings) -> dict[str, dict[str, int]]:
    async with database(settings) as sessions:
        return await key_usage(sessions.reader)


def pii_eval_command(
    path: Annotated[
        Path | None, typer.Argument(help="A labelled JSONL file; the shipped set by default.")
    ] = None,
    split: Annotated[
        str | None, typer.Option(help="Only rows of this split (dev or holdout).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Precision and recall per PII/secret type on a labelled set (every type detected)."""
    try:
        rows = load_labelled(path)
    except (OSError, ValueError) as error:
        _fail(str(error))
        return
    report = evaluate(rows, split=split)
    started = time.perf_counter()
    for row in rows:
        redact(row.text)
    per_text_ms = (time.perf_counter() - started) * 1000 / max(1, len(rows))
    if as_json:
        print(json.dumps({**report.to_dict(), "redact_ms_per_text": round(per_text_ms, 3)}))
        return
    table = Table("type", "precision", "recall", "tp", "fp", "fn")
    for score in report.per_type.values():
        table.add_row(
            score.type.value,
            f"{score.precision:.3f}",
            f"{score.recall:.3f}",
            str(score.true_positives),
            str(score.false_positives),
            str(score.false_negatives),
        )
    console.print(table)
    for failure in report.failures[:20]:
        console.print(f"{failure.kind}: {failure.id} {failure.type.value} {failure.value!r}")
    console.print(
        f"{report.texts} texts (split: {split or 'all'}); redact {per_text_ms:.2f} ms per text",
        highlight=False,
    )
