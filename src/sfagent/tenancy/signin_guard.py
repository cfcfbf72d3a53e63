"""Every sign-in (API key, bearer token, staff password) passes here: refused while its
address or credential is locked out, and each failure counted — and audited in the
organization when the credential named a real key or account."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.errors import CredentialRejected, Unauthorized
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
            await _audit_rejection(session, error, attempt, locked)
        raise


def _presented(error: Unauthorized) -> bool:
    return not error.message.startswith("missing credentials")


async def _audit_rejection(
    session: AsyncSession, error: CredentialRejected, attempt: Attempt, locked: str | None
) -> None:
    # Committed here: the request's transaction would otherwise roll back with the 401. It
    # holds only the failed lookup, and a second session could not write beside it (SQLite).
    await record_audit(
        session,
        organization_id=error.organization_id,
        actor=error.actor,
        action="auth.locked_out" if locked else "auth.rejected",
        details={"reason": error.message, "address": attempt.address, "locked": locked},
    )
    await session.commit()
