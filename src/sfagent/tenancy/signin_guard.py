"""Every sign-in (API key, bearer token, staff password) passes here: refused while its
address or credential is locked out, and each failure counted — and audited in the
organization when the credential named a real key or account."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.errors import CredentialRejected, Unauthorized
from sfagent.security.access_log import audit_beside
from sfagent.security.audit import record_audit
from sfagent.security.lockout import Attempt, AuthLockout

T = TypeVar("T")


async def guarded_sign_in(
    app_state: Any,
    session: AsyncSession,
    attempt: Attempt,
    authenticate: Callable[[], Awaitable[T]],
) -> T:
    lockout: AuthLockout = app_state.auth_lockout
    await lockout.check(attempt)
    try:
        return await authenticate()
    except Unauthorized as error:
        # Nothing presented is not a guess; only presented credentials count.
        locked = await lockout.failed(attempt) if attempt.credential or _presented(error) else None
        if isinstance(error, CredentialRejected):
            await _audit_rejection(app_state, session, error, attempt, locked)
        raise


def _presented(error: Unauthorized) -> bool:
    return not error.message.startswith("missing credentials")


async def _audit_rejection(
    app_state: Any,
    session: AsyncSession,
    error: CredentialRejected,
    attempt: Attempt,
    locked: str | None,
) -> None:
    """Committed now: the request's transaction rolls back with the 401."""
    entry: dict[str, Any] = {
        "organization_id": error.organization_id,
        "actor": error.actor,
        "action": "auth.locked_out" if locked else "auth.rejected",
        "details": {"reason": error.message, "address": attempt.address, "locked": locked},
    }
    if _is_writer(session):
        # It holds SQLite's write lock (a POST): write here, as a second writer would wait.
        await record_audit(session, **entry)
        await session.commit()
    else:
        # A read transaction may not be able to upgrade (SQLite): write beside it instead.
        await audit_beside(app_state, **entry)


def _is_writer(session: AsyncSession) -> bool:
    return session.get_bind().get_execution_options().get("sqlite_begin") == "IMMEDIATE"
