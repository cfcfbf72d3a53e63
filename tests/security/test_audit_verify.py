"""`sfagent audit verify`: an intact chain passes; an edited, removed or reordered entry is
named, and the command exits 1."""

from __future__ import annotations

import anyio
import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from sfagent.cli import app as cli
from sfagent.db.engine import bind_tenant
from sfagent.security.audit_verify import verify_organization
from sfagent.security.models import AuditEntry
from sfagent.tenancy.models import Organization
from tests.conftest import Harness, TenantHandle

RULE = {
    "id": "R1",
    "name": "rule",
    "conditions": {"field": "intent", "operator": "exists", "value": True},
    "actions": [],
}


async def _write_a_few_entries(harness: Harness, tenant: TenantHandle) -> None:
    # Creating the organization wrote entries 1-2; each change below appends one.
    for number in range(3):
        created = await harness.client.post(
            "/api/v1/admin/rules", json={**RULE, "id": f"R{number}"}, headers=tenant.headers
        )
        assert created.status_code == 201, created.text


async def _verify(harness: Harness, tenant: TenantHandle) -> str | None:
    async with harness.app.state.sessionmaker() as session:
        report = await verify_organization(session, tenant.organization_id)
    return report.problem.describe() if report.problem else None


async def _tamper(harness: Harness, tenant: TenantHandle, statement: object) -> None:
    async with harness.app.state.sessionmaker() as session, session.begin():
        await bind_tenant(session, tenant.organization_id)
        await session.execute(statement)  # type: ignore[call-overload]


async def test_an_intact_chain_passes(harness: Harness, tenant: TenantHandle) -> None:
    await _write_a_few_entries(harness, tenant)
    assert await _verify(harness, tenant) is None


async def test_an_edited_entry_is_named(harness: Harness, tenant: TenantHandle) -> None:
    await _write_a_few_entries(harness, tenant)
    await _tamper(
        harness,
        tenant,
        update(AuditEntry)
        .where(AuditEntry.organization_id == tenant.organization_id, AuditEntry.sequence == 3)
        .values(actor="someone-else"),
    )
    problem = await _verify(harness, tenant)
    assert problem is not None and problem.startswith("entry 3") and "edited" in problem


async def test_a_removed_entry_is_named(harness: Harness, tenant: TenantHandle) -> None:
    await _write_a_few_entries(harness, tenant)
    await _tamper(
        harness,
        tenant,
        delete(AuditEntry).where(
            AuditEntry.organization_id == tenant.organization_id, AuditEntry.sequence == 2
        ),
    )
    assert await _verify(harness, tenant) == "entry 2 is missing (the next entry found is 3)"


async def test_removing_the_newest_entries_is_caught_by_the_sealed_head(
    harness: Harness, tenant: TenantHandle
) -> None:
    await _write_a_few_entries(harness, tenant)  # entries 1-5
    await _tamper(
        harness,
        tenant,
        delete(AuditEntry).where(
            AuditEntry.organization_id == tenant.organization_id, AuditEntry.sequence >= 4
        ),
    )
    assert await _verify(harness, tenant) == (
        "entry 4 is missing: the chain ends at entry 3 but its sealed head is entry 5 "
        "(the newest entries were removed)"
    )


async def test_rewriting_the_head_without_the_servers_secret_is_caught(
    harness: Harness, tenant: TenantHandle
) -> None:
    await _write_a_few_entries(harness, tenant)
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        third = (
            await session.execute(
                select(AuditEntry).where(
                    AuditEntry.organization_id == tenant.organization_id,
                    AuditEntry.sequence == 3,
                )
            )
        ).scalar_one()
    # Truncate to 3 entries and point the head at entry 3, as someone with database
    # access but without SFAGENT_SECRET_KEY could.
    await _tamper(
        harness,
        tenant,
        delete(AuditEntry).where(
            AuditEntry.organization_id == tenant.organization_id, AuditEntry.sequence > 3
        ),
    )
    await _tamper(
        harness,
        tenant,
        update(Organization)
        .where(Organization.id == tenant.organization_id)
        .values(audit_head_sequence=3, audit_head_hash=third.entry_hash),
    )
    problem = await _verify(harness, tenant)
    assert problem is not None and problem.startswith("entry 3") and "seal" in problem


async def test_an_entry_appended_outside_sfagent_is_caught(
    harness: Harness, tenant: TenantHandle
) -> None:
    await _write_a_few_entries(harness, tenant)
    await _tamper(
        harness,
        tenant,
        update(Organization)
        .where(Organization.id == tenant.organization_id)
        .values(audit_head_sequence=Organization.audit_head_sequence - 1),
    )
    problem = await _verify(harness, tenant)
    assert problem is not None and problem.startswith("entry 5") and "outside" in problem


async def test_reordered_entries_are_caught(harness: Harness, tenant: TenantHandle) -> None:
    await _write_a_few_entries(harness, tenant)
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        rows = (
            await session.execute(
                select(AuditEntry.id, AuditEntry.sequence).where(
                    AuditEntry.organization_id == tenant.organization_id,
                    AuditEntry.sequence.in_([3, 4]),
                )
            )
        ).all()
    ids = {sequence: entry_id for entry_id, sequence in rows}
    # Swap the two entries' places (through a free sequence number, as the pair is unique).
    for entry_id, sequence in ((ids[3], 1000), (ids[4], 3), (ids[3], 4)):
        await _tamper(
            harness,
            tenant,
            update(AuditEntry).where(AuditEntry.id == entry_id).values(sequence=sequence),
        )
    problem = await _verify(harness, tenant)
    assert problem is not None and problem.startswith("entry 3")


@pytest.mark.parametrize("tampered", [False, True])
async def test_the_command_exits_1_naming_the_entry(
    harness: Harness,
    tenant: TenantHandle,
    tampered: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _write_a_few_entries(harness, tenant)
    if tampered:
        await _tamper(
            harness,
            tenant,
            update(AuditEntry)
            .where(AuditEntry.organization_id == tenant.organization_id, AuditEntry.sequence == 4)
            .values(details={"version": 99}),
        )
    settings = harness.settings  # the CLI reads the same database as the app under test
    for name in (
        "database_url",
        "migration_database_url",
        "database_schema",
        "database_timeout_seconds",
    ):
        value = getattr(settings, name)
        if value:
            monkeypatch.setenv(f"SFAGENT_{name.upper()}", str(value))
    # The CLI runs its own event loop: in a thread, as from a shell.
    result = await anyio.to_thread.run_sync(
        CliRunner().invoke, cli, ["audit", "verify", "--org", tenant.slug]
    )
    if tampered:
        assert result.exit_code == 1
        assert "entry 4" in result.output and "edited" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert "intact" in result.output


async def test_the_admin_endpoint_reads_and_checks_the_chain(
    harness: Harness, tenant: TenantHandle
) -> None:
    await _write_a_few_entries(harness, tenant)
    page = await harness.client.get("/api/v1/admin/audit?limit=2", headers=tenant.headers)
    assert page.status_code == 200, page.text
    first = page.json()
    assert [item["sequence"] for item in first["items"]] == [1, 2]
    rest = await harness.client.get(
        f"/api/v1/admin/audit?after={first['next_after']}", headers=tenant.headers
    )
    actions = [item["action"] for item in rest.json()["items"]]
    assert actions.count("rules.rule.created") == 3
    verified = await harness.client.get("/api/v1/admin/audit/verify", headers=tenant.headers)
    assert verified.json() == {"intact": True, "entries": 5, "problem": None}


async def test_an_out_of_range_cursor_is_422_not_a_server_error(
    harness: Harness, tenant: TenantHandle
) -> None:
    response = await harness.client.get(
        "/api/v1/admin/audit?after=88502595612725", headers=tenant.headers
    )
    assert response.status_code == 422
