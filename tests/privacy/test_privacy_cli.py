"""`sfagent privacy`: export, erase and purge from the command line, against the database
the app under test uses (SQLite, and PostgreSQL under row-level security)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import anyio
import pytest
import typer
from typer.testing import CliRunner, Result

from sfagent.privacy.cli import privacy_app
from tests.conftest import Harness, TenantHandle
from tests.privacy.conftest import (
    ALICE,
    ALICE_WORDS,
    BOB_WORD,
    age,
    audit_entries,
    build_story,
    post_ok,
)

cli = typer.Typer()
cli.add_typer(privacy_app, name="privacy")


@pytest.fixture(autouse=True)
def same_database(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads its settings from the environment: point it at the app's database."""
    for name in (
        "database_url",
        "migration_database_url",
        "database_schema",
        "database_timeout_seconds",
    ):
        value = getattr(harness.settings, name)
        if value:
            monkeypatch.setenv(f"SFAGENT_{name.upper()}", str(value))


async def privacy(*args: str, answer: str | None = None) -> Result:
    # The CLI runs its own event loop: in a thread, as from a shell.
    def invoke() -> Result:
        return CliRunner().invoke(cli, ["privacy", *args], input=answer)

    return await anyio.to_thread.run_sync(invoke)


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


async def test_export_prints_the_document(harness: Harness, tenant: TenantHandle) -> None:
    story = await build_story(harness, tenant)
    result = await privacy("export", "--org", tenant.slug, "--user", ALICE)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    assert {c["id"] for c in document["conversations"]} == set(story.alice_conversations)
    assert all(word in result.stdout for word in ALICE_WORDS) and BOB_WORD not in result.stdout
    [entry] = await audit_entries(harness, tenant, "privacy.export")
    assert entry.actor.startswith("staff:cli:")


async def test_export_writes_a_private_file(
    harness: Harness, tenant: TenantHandle, tmp_path: Path
) -> None:
    await build_story(harness, tenant)
    out = tmp_path / "alice.json"
    result = await privacy("export", "--org", tenant.slug, "--user", ALICE, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["end_user"]["external_id"] == ALICE
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


async def test_erase_with_yes_erases_and_reports(harness: Harness, tenant: TenantHandle) -> None:
    story = await build_story(harness, tenant)
    result = await privacy("erase", "--org", tenant.slug, "--user", ALICE, "--yes")
    assert result.exit_code == 0, result.output
    assert "2 conversation(s)" in result.stdout and "500Zanzibar0000AAA" in result.stdout
    messages = await harness.client.get(
        f"/api/v1/conversations/{story.escalated}/messages", headers=tenant.headers
    )
    assert {message["content"] for message in messages.json()["items"]} == {"[erased]"}
    [entry] = await audit_entries(harness, tenant, "privacy.erase")
    assert entry.actor.startswith("staff:cli:") and "alice" not in json.dumps(entry.details)
    again = await privacy("export", "--org", tenant.slug, "--user", ALICE)
    assert one_line_error(again) == f"error: end user {ALICE!r} not found"


async def test_erase_asks_first_and_a_no_changes_nothing(
    harness: Harness, tenant: TenantHandle
) -> None:
    await build_story(harness, tenant)
    refused = await privacy("erase", "--org", tenant.slug, "--user", ALICE, answer="n\n")
    assert refused.exit_code == 1 and "cannot be undone" in refused.output
    assert await audit_entries(harness, tenant, "privacy.erase") == []
    accepted = await privacy("erase", "--org", tenant.slug, "--user", ALICE, answer="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert len(await audit_entries(harness, tenant, "privacy.erase")) == 1


async def _old_closed_conversation(harness: Harness, tenant: TenantHandle) -> str:
    conversation = await harness.create_conversation(tenant)
    await post_ok(harness, f"/api/v1/conversations/{conversation['id']}/close", tenant.headers)
    conversation_id: str = conversation["id"]
    # Past every tier's retention period.
    await age(harness, tenant, conversation_id, days=3000)
    return conversation_id


async def test_purge_one_organization(harness: Harness, tenant: TenantHandle) -> None:
    other = await harness.create_tenant()
    mine = await _old_closed_conversation(harness, tenant)
    theirs = await _old_closed_conversation(harness, other)
    result = await privacy("purge", "--org", tenant.slug)
    assert result.exit_code == 0, result.output
    assert f"{tenant.slug}: deleted 1 conversation(s)" in result.stdout
    gone = await harness.client.get(f"/api/v1/conversations/{mine}", headers=tenant.headers)
    kept = await harness.client.get(f"/api/v1/conversations/{theirs}", headers=other.headers)
    assert (gone.status_code, kept.status_code) == (404, 200)
    [entry] = await audit_entries(harness, tenant, "privacy.retention_purge")
    assert entry.actor.startswith("staff:cli:") and entry.details["deleted"] == 1


async def test_purge_every_organization(harness: Harness, tenant: TenantHandle) -> None:
    other = await harness.create_tenant()
    for handle in (tenant, other):
        await _old_closed_conversation(harness, handle)
    result = await privacy("purge", "--quiet")
    assert result.exit_code == 0, result.output
    for handle in (tenant, other):
        assert f"{handle.slug}: deleted 1 conversation(s)" in result.stdout
    assert len(await audit_entries(harness, other, "privacy.retention_purge")) == 1


@pytest.mark.parametrize("command", ["export", "erase", "purge"])
async def test_an_unknown_organization_is_one_line(harness: Harness, command: str) -> None:
    args = ["--org", "no-such-org"] + ([] if command == "purge" else ["--user", ALICE, "--yes"])
    if command == "export":
        args.remove("--yes")
    line = one_line_error(await privacy(command, *args))
    assert line.startswith("error:") and "no-such-org" in line


async def test_an_unknown_user_is_one_line(harness: Harness, tenant: TenantHandle) -> None:
    line = one_line_error(await privacy("erase", "--org", tenant.slug, "--user", "nobody", "-y"))
    assert line == "error: end user 'nobody' not found"


async def test_an_overlong_user_is_one_line(harness: Harness, tenant: TenantHandle) -> None:
    line = one_line_error(await privacy("export", "--org", tenant.slug, "--user", "x" * 201))
    assert line == "error: --user: must be 1-200 characters"
