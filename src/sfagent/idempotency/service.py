"""Idempotent execution: the first result for a key is stored and returned to repeats."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.base import utcnow
from sfagent.errors import Conflict, ValidationFailed
from sfagent.idempotency.models import IdempotencyRecord
from sfagent.idempotency.repository import IdempotencyRepository
from sfagent.tenancy.context import Tenant

MAX_KEY_LENGTH = 255
PENDING = 0


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    key: str
    method: str
    path: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class IdempotentResult:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def validate_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            "Idempotency-Key", f"must be 1-{MAX_KEY_LENGTH} printable characters"
        )
    return key


async def run_idempotently(
    session: AsyncSession,
    *,
    tenant: Tenant,
    request: IdempotentRequest,
    status_code: int,
    ttl: timedelta,
    produce: Callable[[], Awaitable[dict[str, Any]]],
) -> IdempotentResult:
    """Run produce once per key; a repeat gets the stored result, a different body gets 409."""
    repository = IdempotencyRepository(session, tenant.organization_id)
    principal_id = tenant.principal.label
    now = utcnow()
    existing = await repository.find(principal_id, request.key, now)
    if existing is not None:
        return _replay(existing, request)
    await repository.delete_expired_for(principal_id, request.key, now)
    record = IdempotencyRecord(
        organization_id=tenant.organization_id,
        principal_id=principal_id,
        key=request.key,
        method=request.method,
        path=request.path,
        request_hash=request.request_hash,
        status_code=PENDING,
        response_body={},
        expires_at=now + ttl,
    )
    repository.add(record)
    try:
        # Claim the key before doing the work: a concurrent twin blocks here until we commit.
        await session.flush()
    except IntegrityError:
        await session.rollback()
        winner = await repository.find(principal_id, request.key, utcnow())
        if winner is None:
            raise Conflict("a request with this Idempotency-Key is in progress; retry") from None
        return _replay(winner, request)
    body = await produce()
    record.status_code = status_code
    record.response_body = body
    await session.flush()
    return IdempotentResult(status_code=status_code, body=body, replayed=False)


def _replay(record: IdempotencyRecord, request: IdempotentRequest) -> IdempotentResult:
    same_target = record.method == request.method and record.path == request.path
    if not same_target or record.request_hash != request.request_hash:
        raise Conflict(
            "Idempotency-Key was already used with a different request; use a new key",
            details={"idempotency_key": request.key},
        )
    if record.status_code == PENDING:
        raise Conflict("a request with this Idempotency-Key is in progress; retry")
    return IdempotentResult(
        status_code=record.status_code, body=dict(record.response_body), replayed=True
    )
