"""The CLI: tenants, keys, migrations, config, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sfagent import cli

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SFAGENT_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli.app, list(args))
    return result.exit_code, result.output


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    monkeypatch.setattr("sys.argv", ["sfagent", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    return int(exited.value.code or 0), capsys.readouterr().err


def test_tenant_and_key_lifecycle(database: Path) -> None:
    assert invoke("db", "upgrade")[0] == 0
    code, output = invoke("tenant", "create", "Acme Corp", "--json")
    assert code == 0
    created = json.loads(output)
    assert set(created) >= {"organization_id", "api_key"}
    assert created["api_key"].startswith("sfa_")

    code, output = invoke("key", "create", "--org", "acme-corp", "--name", "ci", "--json")
    assert code == 0
    key = json.loads(output)
    code, output = invoke("key", "list", "--org", "acme-corp", "--json")
    listed = json.loads(output)
    assert {row["prefix"] for row in listed} == {created["api_key"][:16], key["prefix"]}
    assert "api_key" not in output and created["api_key"] not in output

    assert invoke("key", "revoke", key["prefix"])[0] == 0
    active = json.loads(invoke("key", "list", "--org", "acme-corp", "--json")[1])
    assert key["prefix"] not in {row["prefix"] for row in active}
    everything = json.loads(invoke("key", "list", "--org", "acme-corp", "--all", "--json")[1])
    assert key["prefix"] in {row["prefix"] for row in everything}


def test_db_downgrade_and_upgrade(database: Path) -> None:
    assert invoke("db", "upgrade")[0] == 0
    code, output = invoke("db", "downgrade", "base")
    assert code == 0 and "base" in output
    assert invoke("db", "upgrade")[0] == 0
    current = invoke("db", "current")[1].split()
    assert current[0] == "database:" and current[2] == "head:"
    assert current[1] == current[3] != "base"  # back at the newest migration


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFAGENT_SECRET_KEY", "x" * 48)
    code, output = invoke("config", "show", "--json")
    assert code == 0
    shown = json.loads(output)
    assert shown["secret_key"] == "********"
    assert "x" * 48 not in output


def test_commands_before_migration_say_what_to_run(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_main(monkeypatch, capsys, "tenant", "list")
    assert code == 1
    assert err.strip() == "error: the database schema is not up to date: run `sfagent db upgrade`"


def test_bad_setting_is_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SFAGENT_DATABASE_URL", "mysql://nope")
    code, err = run_main(monkeypatch, capsys, "config", "show")
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "SFAGENT_DATABASE_URL" in err
    assert "Traceback" not in err


def test_unknown_org_is_one_line_error(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke("db", "upgrade")[0] == 0
    code, err = run_main(monkeypatch, capsys, "key", "list", "--org", "ghost")
    assert code == 1
    assert err.strip() == "error: organization 'ghost' not found"
