"""Labelled intent examples: reading JSONL/CSV files and fingerprinting the data."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfagent.nlu.intents.errors import IntentDataError

OOS_LABEL = "oos"


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message; intent `oos` marks an out-of-scope example."""

    text: str
    intent: str
    split: str | None = None


def load_examples(path: Path | str, *, split: str | None = None) -> list[Example]:
    """Read examples from a `.jsonl` or `.csv` file with `text` and `intent` fields.

    With `split`, only rows whose `split` field equals it are kept.
    """
    file = Path(path)
    if not file.is_file():
        raise IntentDataError(f"{file}: no such file")
    examples = list(_read_csv(file)) if file.suffix.lower() == ".csv" else list(_read_jsonl(file))
    if split is not None:
        examples = [example for example in examples if example.split == split]
    if not examples:
        raise IntentDataError(f"{file}: no examples" + (f" with split '{split}'" if split else ""))
    return examples


def _read_jsonl(file: Path) -> Iterable[Example]:
    with file.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise IntentDataError(
                    f"{file}: line {number}: not valid JSON ({error.msg})"
                ) from error
            yield _example_from_row(row, file, number)


def _read_csv(file: Path) -> Iterable[Example]:
    with file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"text", "intent"} <= set(reader.fieldnames):
            raise IntentDataError(f"{file}: the header must name the columns 'text' and 'intent'")
        for row in reader:
            yield _example_from_row(row, file, reader.line_num)


def _example_from_row(row: Any, file: Path, number: int) -> Example:
    if not isinstance(row, dict):
        raise IntentDataError(f"{file}: line {number}: expected an object with text and intent")
    text, intent, split = row.get("text"), row.get("intent"), row.get("split")
    if not isinstance(text, str) or not text.strip():
        raise IntentDataError(f"{file}: line {number}: missing or empty 'text'")
    if not isinstance(intent, str) or not intent.strip():
        raise IntentDataError(f"{file}: line {number}: missing or empty 'intent'")
    return Example(
        text=text, intent=intent.strip(), split=split if isinstance(split, str) else None
    )


def require_trainable(examples: Sequence[Example]) -> None:
    """Refuse data a classifier cannot learn from: fewer than two in-scope intents."""
    intents = {example.intent for example in examples if example.intent != OOS_LABEL}
    if len(intents) < 2:
        raise IntentDataError(
            f"training data needs at least 2 intents besides '{OOS_LABEL}' (found {len(intents)})"
        )


def data_sha256(examples: Iterable[Example]) -> str:
    """Fingerprint of the (text, intent) pairs in order, independent of the file format."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.text, example.intent], ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()
