"""`sfagent analyze` and `sfagent eval` from the command line: output, JSON, errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sfagent.cli import app

runner = CliRunner()
BROKEN = "public class Foo {\n  void a() {\n    Integer i = 1\n  }\n}\n"


def test_analyze_apex_reads_stdin_and_prints_json() -> None:
    result = runner.invoke(app, ["analyze", "apex", "-", "--json"], input=BROKEN)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["valid_syntax"] is False
    assert body["syntax_errors"][0]["span"]["line"] == 3


def test_analyze_apex_human_output_names_the_syntax_error(tmp_path: Path) -> None:
    file = tmp_path / "Foo.cls"
    file.write_text(BROKEN)
    result = runner.invoke(app, ["analyze", "apex", str(file)])
    assert result.exit_code == 0
    assert "line 3, column 18" in result.stdout


def test_missing_file_and_bad_property_are_one_line_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["analyze", "apex", str(tmp_path / "nope.cls")])
    assert missing.exit_code == 1
    assert "no such file" in missing.stderr
    bad = runner.invoke(app, ["analyze", "apex", "-", "--property", "oops"], input=BROKEN)
    assert bad.exit_code == 1
    assert "Rule.property=value" in bad.stderr
    assert "Traceback" not in bad.output


def test_binary_input_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "image.png"
    file.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    result = runner.invoke(app, ["analyze", "apex", str(file)])
    assert result.exit_code == 1
    assert "binary" in result.stderr


def test_eval_pmd_rejects_a_file_that_is_not_pmd_cases(tmp_path: Path) -> None:
    file = tmp_path / "cases.jsonl"
    file.write_text('{"text": "hello"}\n')
    result = runner.invoke(app, ["eval", "pmd", str(file)])
    assert result.exit_code == 1
    assert "not a PMD test case" in result.stderr


def test_eval_pmd_json_has_the_documented_keys(tmp_path: Path) -> None:
    file = tmp_path / "cases.jsonl"
    row = {"rule": "NoSuchRuleYet", "code": "class A {}", "expected_problems": 0}
    file.write_text(json.dumps(row) + "\n")
    result = runner.invoke(app, ["eval", "pmd", str(file), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["cases"] == 1
    assert body["per_rule"]["NoSuchRuleYet"] == {
        "cases": 1,
        "agreed": 0,
        "implemented": False,
        "agreement": None,
    }


def test_analyze_soql_json_reports_the_syntax_error() -> None:
    result = runner.invoke(app, ["analyze", "soql", "-", "--json"], input="SELECT Id FROMAccount")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["valid"] is False and body["errors"]


def test_eval_soql_json_has_the_documented_keys(tmp_path: Path) -> None:
    file = tmp_path / "queries.jsonl"
    rows = [
        {"id": "a", "soql": "SELECT Id FROM Account", "label": "valid"},
        {"id": "b", "soql": "SELECT FROM", "label": "invalid"},
    ]
    file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = runner.invoke(app, ["eval", "soql", str(file), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["cases"], body["parsed"], body["parse_rate"], body["invalid_rejected"]) == (
        2,
        1,
        1.0,
        1,
    )


def test_analyze_error_human_output_names_cause_and_frame() -> None:
    text = (
        "System.NullPointerException: Attempt to de-reference a null object\n"
        "Class.InvoiceService.total: line 42, column 1"
    )
    result = runner.invoke(app, ["analyze", "error", "-", "--limit", "1"], input=text)
    assert result.exit_code == 0, result.output
    assert "Class.InvoiceService.total: line 42" in result.stdout
    assert "Cause:" in result.stdout


def test_analyze_error_with_nothing_recognised_says_so() -> None:
    result = runner.invoke(app, ["analyze", "error", "-"], input="the weather is nice")
    assert result.exit_code == 0
    assert "No known Salesforce error" in result.stdout


FIXTURES = Path(__file__).parent / "logs" / "fixtures"


def test_analyze_log_json_and_eval_logs_on_our_fixtures() -> None:
    result = runner.invoke(
        app, ["analyze", "log", str(FIXTURES / "trigger_soql_loop_fatal.log"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["exceptions"][0]["type"] == "System.LimitException"
    evaluated = runner.invoke(app, ["eval", "logs", str(FIXTURES), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    body = json.loads(evaluated.stdout)
    assert body["facts"] > 0 and body["facts_matched"] == body["facts"]
    assert {"files", "per_file"} <= set(body)


def test_analyze_log_of_a_non_log_is_one_line_error(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("just some notes\n")
    result = runner.invoke(app, ["analyze", "log", str(file)])
    assert result.exit_code == 1
    assert "not an Apex debug log" in result.stderr
