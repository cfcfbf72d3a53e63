"""Malformed catalog data is refused with a message naming the file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfagent.diagnostics.errors import (
    CatalogEntry,
    CatalogError,
    Category,
    ErrorCatalog,
    load_entries,
)
from sfagent.diagnostics.findings import Severity

VALID = """
[[entries]]
id = "custom-error"
title = "Custom error"
category = "other"
severity = "low"
patterns = ['Custom failure code (?P<count>\\d+)']
examples = ["Custom failure code 7"]
cause = "Something custom failed."
fix = ["Do the custom thing."]
doc_url = "https://help.salesforce.com/s/articleView?id=sf.overview.htm&type=5"
"""


def write(tmp_path: Path, text: str, name: str = "custom.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_loads_into_entries(tmp_path: Path) -> None:
    (entry,) = load_entries([write(tmp_path, VALID)])
    assert entry.id == "custom-error"
    assert entry.source == "custom.toml"
    assert entry.fix == ("Do the custom thing.",)


def test_a_catalog_built_from_custom_entries_matches_with_them(tmp_path: Path) -> None:
    catalog = ErrorCatalog(load_entries([write(tmp_path, VALID)]))
    (match,) = catalog.match("log: Custom failure code 7 happened")
    assert match.entry_id == "custom-error"
    assert match.details.count == 7


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('category = "other"', 'category = "misc"'), "misc"),
        (('severity = "low"', 'severity = "urgent"'), "urgent"),
        (('id = "custom-error"', 'id = "Custom_Error"'), "kebab-case"),
        (("https://help.salesforce.com/", "https://example.com/"), "doc_url"),
        (('fix = ["Do the custom thing."]', "fix = []"), "fix"),
        (('title = "Custom error"', 'title = "Custom error"\ncolour = "red"'), "colour"),
        (('cause = "Something custom failed."', "cause = 3"), "cause"),
    ],
)
def test_invalid_entries_are_refused(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    with pytest.raises(CatalogError, match=complaint) as raised:
        load_entries([write(tmp_path, VALID.replace(*change))])
    assert "custom.toml" in str(raised.value)


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    files = [write(tmp_path, VALID, "a.toml"), write(tmp_path, VALID, "b.toml")]
    with pytest.raises(CatalogError, match="duplicate id"):
        load_entries(files)


def test_broken_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"broken\.toml"):
        load_entries([write(tmp_path, "[[entries]\nid = ", "broken.toml")])


def test_a_pattern_the_linear_engine_cannot_run_is_refused(tmp_path: Path) -> None:
    # Look-arounds can backtrack without bound, so the catalog may not use them.
    entries = load_entries([write(tmp_path, VALID.replace("(?P<count>", "(?=x)(?P<count>"))])
    with pytest.raises(CatalogError, match="invalid pattern"):
        ErrorCatalog(entries)


def test_entries_serialise_without_their_matching_data() -> None:
    entry = CatalogEntry(
        id="x",
        title="X",
        category=Category.OTHER,
        severity=Severity.LOW,
        cause="c",
        fix=("f",),
        doc_url="https://help.salesforce.com/",
        patterns=("p",),
        examples=("e",),
    )
    data = entry.to_dict()
    assert "patterns" not in data and "examples" not in data
    assert data["fix"] == ["f"]
