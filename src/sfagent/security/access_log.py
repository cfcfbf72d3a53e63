"""Staff reading a customer's conversation is audited: once per person, conversation and
ten minutes (a console that re-reads does not flood the log), written after the response
by a writer session so a read request never takes the database's write lock."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from fastapi import BackgroundTasks

from sfagent.security.audit import record_audit
from sfagent.tenancy.context import PrincipalKind, Tenant

ACCESS_WINDOW_SECONDS = 600


async def note_staff_access(
    app_state: Any, background: BackgroundTasks, tenant: Tenant, target: str
) -> None:
    if tenant.principal.kind is not PrincipalKind.STAFF:
        return  # the customer reading their own conversation, or an integration's key
    key = f"access:{tenant.principal.id}:{target}"
    window = await app_state.backplane.hit(key, ACCESS_WINDOW_SECONDS, time.time())
    if window.count == 1:
        background.add_task(
            audit_beside,
            app_state,
            organization_id=tenant.organization_id,
            actor=tenant.principal.label,
            action="conversation.viewed",
            target=target,
        )


async def audit_beside(app_state: Any, **entry: Any) -> None:
    """Append an audit entry in its own write transaction, queued behind this process's
    other writers (SQLite's lock), for requests whose own transaction only reads."""
    lock = app_state.sqlite_write_lock or contextlib.nullcontext()
    async with lock, app_state.sessionmaker() as session, session.begin():
        await record_audit(session, **entry)
