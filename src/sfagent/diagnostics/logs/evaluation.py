"""Agreement with a labelled folder of logs: each fact of its manifest.json against the analysis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sfagent.diagnostics.logs.errors import NotADebugLog
from sfagent.diagnostics.logs.facts import manifest_facts
from sfagent.diagnostics.logs.parser import parse_log

MANIFEST_NAME = "manifest.json"
# Where a log came from, not what it contains: never compared.
PROVENANCE_KEYS = frozenset(
    {"file", "source_repo", "source_commit", "source_path", "source_url", "note"}
)


class LogDatasetError(ValueError):
    """The folder has no usable manifest.json, or a log the manifest lists is missing."""


def read_manifest(folder: Path) -> list[dict[str, Any]]:
    """The manifest's log entries, each with a `file` that exists in the folder."""
    manifest = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise LogDatasetError(f"{folder}: no such folder")
    if not manifest.is_file():
        raise LogDatasetError(f"{folder} has no {MANIFEST_NAME}")
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LogDatasetError(f"{manifest}: not readable JSON ({error})") from error
    entries = document.get("logs") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise LogDatasetError(f'{manifest}: expected an object with a "logs" list')
    for number, entry in enumerate(entries, start=1):
        _check_entry(folder, manifest, number, entry)
    return entries


def _check_entry(folder: Path, manifest: Path, number: int, entry: Any) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        raise LogDatasetError(f'{manifest}: log entry {number} has no "file" name')
    if not (folder / entry["file"]).is_file():
        raise LogDatasetError(f"{manifest} lists {entry['file']}, which is not in {folder}")


def evaluate_log_dataset(path: Path) -> dict[str, Any]:
    """Analyse every log listed in `path/manifest.json` and compare each fact with the manifest.

    Returns a JSON-ready dict: `files`, `facts`, `facts_matched` and `per_file`, a list of
    `{file, facts, facts_matched, mismatches: [{fact, expected, actual}]}` (plus `error` when a
    listed file could not be analysed at all).
    """
    folder = Path(path)
    per_file = [_evaluate_entry(folder, entry) for entry in read_manifest(folder)]
    return {
        "files": len(per_file),
        "facts": sum(row["facts"] for row in per_file),
        "facts_matched": sum(row["facts_matched"] for row in per_file),
        "per_file": per_file,
    }


def _evaluate_entry(folder: Path, entry: dict[str, Any]) -> dict[str, Any]:
    expected = {key: value for key, value in entry.items() if key not in PROVENANCE_KEYS}
    row: dict[str, Any] = {"file": entry["file"], "facts": len(expected)}
    try:
        actual = manifest_facts(parse_log(folder / entry["file"]))
    except NotADebugLog as error:
        actual = {}
        row["error"] = str(error)
    mismatches = [
        {"fact": key, "expected": value, "actual": actual.get(key)}
        for key, value in expected.items()
        if actual.get(key) != value
    ]
    row["facts_matched"] = len(expected) - len(mismatches)
    row["mismatches"] = mismatches
    return row
