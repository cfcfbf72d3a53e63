"""Evaluation figures over a labelled JSONL: our own sample always, the shared set if present."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfagent.diagnostics.soql import DatasetError, evaluate_soql_dataset
from sfagent.diagnostics.soql.evaluation import DISPUTED_LABELS

SAMPLE = Path(__file__).parent / "fixtures" / "soql_sample.jsonl"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "soql_dev.jsonl"


def test_sample_figures() -> None:
    report = evaluate_soql_dataset(SAMPLE)
    assert report["cases"] == 9
    assert (report["valid_cases"], report["parsed"], report["parse_rate"]) == (5, 4, 0.8)
    assert (report["invalid_cases"], report["invalid_rejected"]) == (3, 2)
    assert [failure["id"] for failure in report["failures"]] == ["mislabelled-valid"]
    assert "LIMIT" in report["failures"][0]["error"]
    assert [row["id"] for row in report["accepted_invalid"]] == ["mislabelled-invalid"]
    assert report["other_labels"]["unknown"]["cases"] == 1
    assert report["other_labels"]["unknown"]["parsed"] == 0


def test_sample_structure_agrees_with_recorded_facts() -> None:
    agreement = evaluate_soql_dataset(SAMPLE)["structure_agreement"]
    assert agreement == {"checked": 3, "agreed": 3, "mismatches": []}


def test_missing_file_and_bad_rows_are_dataset_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError):
        evaluate_soql_dataset(tmp_path / "absent.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "label": "valid"}\n', encoding="utf-8")
    with pytest.raises(DatasetError):
        evaluate_soql_dataset(bad)


@pytest.mark.skipif(not SHARED.is_file(), reason="shared/data/soql_dev.jsonl is not present")
def test_shared_dataset_parse_rate() -> None:
    report = evaluate_soql_dataset(SHARED)
    print(
        f"\nparse_rate={report['parse_rate']} ({report['parsed']}/{report['valid_cases']}), "
        f"excluding disputed={report['parse_rate_excluding_disputed']}, "
        f"invalid_rejected={report['invalid_rejected']}/{report['invalid_cases']}"
    )
    # Every valid row that fails is one whose label we dispute (see DISPUTED_LABELS).
    assert all(failure["id"] in DISPUTED_LABELS for failure in report["failures"])
    assert report["parse_rate_excluding_disputed"] >= 0.99
    assert report["parse_rate"] >= 0.97
    assert report["invalid_rejected"] >= 23
    agreement = report["structure_agreement"]
    assert agreement["agreed"] == agreement["checked"] > 0
