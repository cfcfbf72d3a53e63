"""Every fact in shared/data/apex_logs/manifest.json is reproduced for every shared log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sfagent.diagnostics.logs import manifest_facts, parse_log

SHARED_LOGS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "apex_logs"
MANIFEST = SHARED_LOGS / "manifest.json"
# Provenance, not facts about the log's content.
PROVENANCE = {"file", "source_repo", "source_commit", "source_path", "source_url", "note"}


def manifest_entries() -> list[dict[str, Any]]:
    if not MANIFEST.is_file():
        return []
    entries: list[dict[str, Any]] = json.loads(MANIFEST.read_text(encoding="utf-8"))["logs"]
    return entries


@pytest.mark.skipif(not MANIFEST.is_file(), reason="shared/data/apex_logs is not present")
@pytest.mark.parametrize("entry", manifest_entries(), ids=lambda entry: entry["file"][-22:])
def test_every_manifest_fact_matches(entry: dict[str, Any]) -> None:
    facts = manifest_facts(parse_log(SHARED_LOGS / entry["file"]))
    expected = {key: value for key, value in entry.items() if key not in PROVENANCE}
    mismatched = {
        key: (facts.get(key), value) for key, value in expected.items() if facts.get(key) != value
    }
    assert not mismatched, f"got != manifest: {mismatched}"


@pytest.mark.skipif(not MANIFEST.is_file(), reason="shared/data/apex_logs is not present")
def test_manifest_lists_logs() -> None:
    assert manifest_entries(), "manifest.json lists no logs"
