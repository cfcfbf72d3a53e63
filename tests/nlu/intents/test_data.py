"""Reading training data: JSONL and CSV, and one clear error for each kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfagent.nlu.intents import Example, IntentDataError, IntentModel, data_sha256, load_examples

from .conftest import INTENTS_CSV, INTENTS_JSONL


def test_jsonl_rows_become_examples_with_oos_kept() -> None:
    examples = load_examples(INTENTS_JSONL)
    assert examples[0] == Example("I forgot my password", "password_reset")
    assert sum(example.intent == "oos" for example in examples) == 15
    assert len({example.intent for example in examples}) == 9


def test_csv_with_text_and_intent_columns_is_read() -> None:
    examples = load_examples(INTENTS_CSV)
    assert len(examples) == 9 * 6
    assert examples[0].intent == "password_reset"


def test_split_keeps_only_matching_rows(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(
        '{"text": "a", "intent": "x", "split": "train"}\n'
        '{"text": "b", "intent": "y", "split": "test"}\n'
    )
    assert [e.text for e in load_examples(path, split="test")] == ["b"]


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(IntentDataError, match="no such file"):
        load_examples(tmp_path / "absent.jsonl")


def test_bad_json_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "hello", "intent": "greet"}\n\n{"text": oops}\n')
    with pytest.raises(IntentDataError, match=r"line 3: not valid JSON"):
        load_examples(path)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ('{"intent": "greet"}', "'text'"),
        ('{"text": "hi", "intent": ""}', "'intent'"),
        ('["hi", "greet"]', "expected an object"),
    ],
)
def test_row_without_text_or_intent_is_refused(tmp_path: Path, row: str, problem: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "hello", "intent": "greet"}\n' + row + "\n")
    with pytest.raises(IntentDataError, match=rf"line 2: .*{problem}"):
        load_examples(path)


def test_csv_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("message,label\nhello,greet\n")
    with pytest.raises(IntentDataError, match="'text' and 'intent'"):
        load_examples(path)


def test_training_needs_two_intents_besides_oos() -> None:
    examples = [Example("reset my password", "password_reset"), Example("weather", "oos")] * 5
    with pytest.raises(IntentDataError, match="at least 2 intents"):
        IntentModel.train(examples)


def test_data_fingerprint_depends_on_text_and_label_only() -> None:
    plain = [Example("a", "x"), Example("b", "y")]
    assert data_sha256(plain) == data_sha256([Example("a", "x", "train"), Example("b", "y")])
    assert data_sha256(plain) != data_sha256([Example("a", "y"), Example("b", "y")])
