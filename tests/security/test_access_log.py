"""Staff reading a customer's conversation is audited, once per person and conversation in
ten minutes; an integration's key or the customer reading it is not staff access."""

from __future__ import annotations

from sqlalchemy import select

from sfagent.db.engine import bind_tenant
from sfagent.security.models import AuditEntry
from sfagent.tenancy.models import StaffRole
from tests.conftest import Harness, TenantHandle
from tests.tenancy.test_auth import staff_headers


async def _views(harness: Harness, tenant: TenantHandle) -> list[tuple[str, str | None]]:
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        rows = await session.execute(
            select(AuditEntry.actor, AuditEntry.target).where(
                AuditEntry.organization_id == tenant.organization_id,
                AuditEntry.action == "conversation.viewed",
            )
        )
        return [(actor, target) for actor, target in rows.all()]


async def test_a_staff_read_is_audited_once_and_a_key_read_not_at_all(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    path = f"/api/v1/conversations/{conversation['id']}/messages"
    assert (await harness.client.get(path, headers=tenant.headers)).status_code == 200
    assert await _views(harness, tenant) == []

    agent = await staff_headers(harness, tenant, StaffRole.AGENT)
    for _ in range(3):
        assert (await harness.client.get(path, headers=agent)).status_code == 200
    views = await _views(harness, tenant)
    assert len(views) == 1
    assert views[0][0].startswith("staff:") and views[0][1] == f"conversation:{conversation['id']}"
