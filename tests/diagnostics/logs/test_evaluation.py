"""The dataset evaluation compares every manifest fact and names what makes a folder unusable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sfagent.diagnostics.logs import LogDatasetError, evaluate_log_dataset

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_LOGS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "apex_logs"


def write_dataset(folder: Path, entries: list[dict[str, Any]]) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps({"logs": entries}), encoding="utf-8")
    return folder


def test_every_fact_of_the_fixture_manifest_matches() -> None:
    result = evaluate_log_dataset(FIXTURES)
    assert (result["files"], result["facts"], result["facts_matched"]) == (2, 21, 21)
    assert [row["file"] for row in result["per_file"]] == [
        "soql_limit_fatal.log",
        "flow_element_error.log",
    ]
    assert all(row["mismatches"] == [] for row in result["per_file"])
    json.dumps(result)  # JSON-ready as it is


def test_a_wrong_fact_is_listed_with_expected_and_actual(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "soql_limit_fatal.log", tmp_path)
    folder = write_dataset(
        tmp_path,
        [
            {
                "file": "soql_limit_fatal.log",
                "source_url": "https://example.invalid/log",
                "lines": 37,
                "dml_begin_count": 5,
                "fatal_error_count": 1,
                "not_a_fact_we_know": "x",
            }
        ],
    )
    result = evaluate_log_dataset(folder)
    assert (result["files"], result["facts"], result["facts_matched"]) == (1, 4, 2)
    [row] = result["per_file"]
    assert row["mismatches"] == [
        {"fact": "dml_begin_count", "expected": 5, "actual": 1},
        {"fact": "not_a_fact_we_know", "expected": "x", "actual": None},
    ]


def test_a_listed_file_that_is_not_a_log_counts_every_fact_as_missed(tmp_path: Path) -> None:
    (tmp_path / "notes.log").write_text("just some notes\n", encoding="utf-8")
    folder = write_dataset(tmp_path, [{"file": "notes.log", "lines": 1}])
    [row] = evaluate_log_dataset(folder)["per_file"]
    assert row["facts_matched"] == 0
    assert "not an Apex debug log" in row["error"]


def test_folder_without_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LogDatasetError, match=r"has no manifest\.json"):
        evaluate_log_dataset(tmp_path)
    with pytest.raises(LogDatasetError, match="no such folder"):
        evaluate_log_dataset(tmp_path / "missing")


def test_missing_listed_file_is_named(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, [{"file": "gone.log", "lines": 3}])
    with pytest.raises(LogDatasetError, match=r"lists gone\.log, which is not in"):
        evaluate_log_dataset(folder)


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        ("{not json", "not readable JSON"),
        ('{"count": 0}', 'expected an object with a "logs" list'),
        ('{"logs": [{"lines": 3}]}', 'log entry 1 has no "file" name'),
    ],
)
def test_malformed_manifest_is_a_clear_error(tmp_path: Path, manifest: str, problem: str) -> None:
    (tmp_path / "manifest.json").write_text(manifest, encoding="utf-8")
    with pytest.raises(LogDatasetError, match=problem):
        evaluate_log_dataset(tmp_path)
    assert issubclass(LogDatasetError, ValueError)


@pytest.mark.skipif(
    not (SHARED_LOGS / "manifest.json").is_file(), reason="shared/data is not present"
)
def test_shared_dataset_agrees_on_every_fact() -> None:
    result = evaluate_log_dataset(SHARED_LOGS)
    assert result["files"] == 7
    assert result["facts"] == result["facts_matched"] == 189
