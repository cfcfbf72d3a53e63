"""`sfagent kb`: file and Salesforce imports, reindex and search against a SQLite database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from sfagent import cli
from sfagent.kb.cli import KbCliDependencies, kb_app
from tests.knowledge.salesforce_standin import INSTANCE_URL, SalesforceStandIn, standin_session

FIXTURES = Path(__file__).parents[1] / "knowledge" / "fixtures"
FIXTURE_IDS = {
    "apex-test-coverage",
    "flow-element-limit",
    "invoice-pdf-blank",
    "mass-transfer-records",
    "page",
    "plain-note",
    "reset-locked-user",
    "sharing-recalc-tips",
    "soql-101-basics",
}

runner = CliRunner()
app = typer.Typer()
app.add_typer(kb_app, name="kb")


def kb(*args: str, obj: Any = None) -> Result:
    return runner.invoke(app, ["kb", *args], obj=obj)


def kb_json(*args: str, code: int = 0) -> Any:
    result = kb(*args, "--json")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "kb-cli.db"
    monkeypatch.setenv("SFAGENT_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def org(database: Path) -> str:
    assert runner.invoke(cli.app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(cli.app, ["tenant", "create", "Acme", "--json"])
    assert created.exit_code == 0, created.output
    slug: str = json.loads(created.stdout)["slug"]
    return slug


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    copy = tmp_path / "articles"
    shutil.copytree(FIXTURES, copy)
    return copy


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_ingest_creates_articles_and_reports_problems_with_exit_1(org: str, articles: Path) -> None:
    report = kb_json("ingest", str(articles), "--org", org, code=1)

    assert set(report["created"]) == FIXTURE_IDS
    assert report["updated"] == report["unchanged"] == report["skipped"] == []
    assert report["dry_run"] is False
    problems = [problem["text"] for problem in report["problems"]]
    assert len(problems) == 5
    assert f"{articles / 'export.csv'}: row 3: id: 'Bad Id' is not a lowercase slug" in " ".join(
        problems
    )
    assert any("nested/latin1-notes.md: line 3: not UTF-8" in text for text in problems)


def test_reingest_is_unchanged_and_an_edited_file_is_an_update(org: str, articles: Path) -> None:
    kb_json("ingest", str(articles), "--org", org, code=1)

    again = kb_json("ingest", str(articles), "--org", org, code=1)
    assert set(again["unchanged"]) == FIXTURE_IDS
    assert again["created"] == again["updated"] == []

    note = articles / "plain-note.md"
    note.write_text(note.read_text() + "\nThe export keeps the report's filters.\n")
    edited = kb_json("ingest", str(articles), "--org", org, code=1)
    assert edited["updated"] == ["plain-note"]
    assert set(edited["unchanged"]) == FIXTURE_IDS - {"plain-note"}


def test_clean_folder_imports_with_exit_0_and_a_summary_table(org: str, tmp_path: Path) -> None:
    folder = tmp_path / "clean"
    folder.mkdir()
    (folder / "echidna-sync.md").write_text("# Echidna sync\n\nRestart the echidna agent.\n")

    result = kb("ingest", str(folder), "--org", org, "--category", "api_integration")

    assert result.exit_code == 0, result.output
    assert "created" in result.stdout and "echidna-sync" in result.stdout
    assert result.stderr == ""
    hits = kb_json("search", "echidna agent", "--org", org)
    assert hits[0]["slug"] == "echidna-sync"
    assert hits[0]["origin"] == "tenant"


def test_dry_run_writes_nothing(org: str, articles: Path) -> None:
    dry = kb_json("ingest", str(articles), "--org", org, "--dry-run", code=1)
    assert dry["dry_run"] is True
    assert set(dry["created"]) == FIXTURE_IDS

    real = kb_json("ingest", str(articles), "--org", org, code=1)
    assert set(real["created"]) == FIXTURE_IDS  # the dry run stored none of them


def test_batches_of_the_configured_size_import_everything(
    org: str, articles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SFAGENT_KB_INGEST_MAX_ARTICLES", "2")

    report = kb_json("ingest", str(articles), "--org", org, code=1)

    assert set(report["created"]) == FIXTURE_IDS


def test_unknown_org_is_one_line(org: str, articles: Path) -> None:
    result = kb("ingest", str(articles), "--org", "ghost")
    assert one_line_error(result) == "error: organization 'ghost' not found"


def test_missing_path_is_one_line(org: str, tmp_path: Path) -> None:
    result = kb("ingest", str(tmp_path / "nowhere"), "--org", org)
    assert one_line_error(result) == f"error: {tmp_path / 'nowhere'}: no such file or folder"


def test_unmigrated_database_says_what_to_run(database: Path, articles: Path) -> None:
    result = kb("ingest", str(articles), "--org", "acme")
    assert one_line_error(result) == (
        "error: the database schema is not up to date: run `sfagent db upgrade`"
    )


def test_path_and_salesforce_together_is_one_line(org: str, articles: Path) -> None:
    result = kb("ingest", str(articles), "--salesforce", "--org", org)
    assert one_line_error(result) == "error: give either PATH or --salesforce (exactly one)"


def test_reindex_bumps_the_revision(org: str, articles: Path) -> None:
    imported = kb_json("ingest", str(articles), "--org", org, code=1)

    (row,) = kb_json("reindex", "--org", org)

    assert row["organization"] == org
    assert row["revision"] > imported["revision"]
    assert row["own"] == len(FIXTURE_IDS)
    assert row["articles"] > row["own"]  # the defaults it did not override are indexed too
    assert row["build_ms"] >= 0
    (again,) = kb_json("reindex", "--all")
    assert again["revision"] == row["revision"] + 1


def test_reindex_needs_org_or_all(org: str) -> None:
    assert one_line_error(kb("reindex")) == "error: give either --org ORG or --all (exactly one)"


def test_search_finds_an_ingested_article(org: str, articles: Path) -> None:
    kb("ingest", str(articles), "--org", org)

    hits = kb_json("search", "unlock a locked-out user", "--org", org, "-k", "3")

    assert hits[0]["slug"] == "reset-locked-user"
    assert hits[0]["origin"] == "tenant"
    assert len(hits) <= 3
    table = kb("search", "unlock a locked-out user", "--org", org)
    assert table.exit_code == 0 and "reset-locked-user" in table.stdout


def test_salesforce_import_reads_credentials_from_the_environment(
    org: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin = SalesforceStandIn()
    standin.add_article("Koala-Cache", "Koala cache is stale", body="<p>Flush the koala cache.</p>")
    monkeypatch.setenv("SFAGENT_SALESFORCE_INSTANCE_URL", INSTANCE_URL)
    monkeypatch.setenv("SFAGENT_SALESFORCE_ACCESS_TOKEN", "standin-token")
    transport = KbCliDependencies(http_session=standin_session(standin))

    first = kb("ingest", "--salesforce", "--org", org, "--json", obj=transport)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["created"] == ["sf-koala-cache"]
    assert report["watermarks"]["published"] == standin.now.isoformat()

    second = kb("ingest", "--salesforce", "--org", org, "--json", obj=transport)
    assert json.loads(second.stdout)["created"] == []  # incremental: nothing changed since


def test_salesforce_import_without_credentials_is_one_line(org: str) -> None:
    result = kb("ingest", "--salesforce", "--org", org)
    assert one_line_error(result).startswith("error: no Salesforce credentials")
