"""Append to the per-organization, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.base import utcnow
from sfagent.db.engine import bind_tenant
from sfagent.security.audit_seal import head_seal, seal_key_of
from sfagent.security.models import AuditEntry
from sfagent.tenancy.models import Organization

if TYPE_CHECKING:
    from sfagent.tenancy.context import Tenant

GENESIS_HASH = "0" * 64


def entry_hash(
    *,
    previous_hash: str,
    sequence: int,
    actor: str,
    action: str,
    target: str | None,
    details: dict[str, Any],
    created_at: datetime,
) -> str:
    canonical = json.dumps(
        {
            "previous_hash": previous_hash,
            "sequence": sequence,
            "actor": actor,
            "action": action,
            "target": target,
            "details": details,
            "created_at": created_at.isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def audit_change(
    session: AsyncSession,
    tenant: Tenant,
    action: str,
    target: str | None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record a change the calling principal made in its organization."""
    return await record_audit(
        session,
        organization_id=tenant.organization_id,
        actor=tenant.principal.label,
        action=action,
        target=target,
        details=details,
    )


async def record_audit(
    session: AsyncSession,
    *,
    organization_id: str,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry chained to the organization's previous one."""
    # Audit rows are tenant rows: write them as that tenant (PostgreSQL row-level security).
    await bind_tenant(session, organization_id)
    # Lock the organization row so concurrent appends cannot take the same sequence.
    organization = (
        await session.execute(
            select(Organization).where(Organization.id == organization_id).with_for_update()
        )
    ).scalar_one()
    last = (
        await session.execute(
            select(AuditEntry)
            .where(AuditEntry.organization_id == organization_id)
            .order_by(AuditEntry.sequence.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    sequence = (last.sequence + 1) if last else 1
    previous = last.entry_hash if last else GENESIS_HASH
    created_at = utcnow().replace(microsecond=0)
    payload = details or {}
    entry = AuditEntry(
        organization_id=organization_id,
        sequence=sequence,
        actor=actor,
        action=action,
        target=target,
        details=payload,
        created_at=created_at,
        previous_hash=previous,
        entry_hash=entry_hash(
            previous_hash=previous,
            sequence=sequence,
            actor=actor,
            action=action,
            target=target,
            details=payload,
            created_at=created_at,
        ),
    )
    session.add(entry)
    _move_head(session, organization, entry)
    await session.flush()
    return entry


def _move_head(session: AsyncSession, organization: Organization, entry: AuditEntry) -> None:
    """Keep the newest entry's sequence and hash on the organization, sealed with a key the
    database does not hold: deleting the newest entries leaves a head that points past the
    chain's end, and rewriting the head needs the server's secret."""
    organization.audit_head_sequence = entry.sequence
    organization.audit_head_hash = entry.entry_hash
    key = seal_key_of(session)
    organization.audit_head_seal = (
        head_seal(key, organization.id, entry.sequence, entry.entry_hash) if key else None
    )
