"""Checking an organization's audit chain: every entry in sequence from 1, each naming the
hash of the one before it, each hash matching its content. An edited entry changes its
hash; a removed or reordered one breaks the sequence or the link. Removing the newest
entries leaves an intact but shorter chain: the organization's sealed head catches that."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.engine import bind_tenant
from sfagent.security.audit import GENESIS_HASH, entry_hash
from sfagent.security.audit_seal import head_seal, seal_key_of
from sfagent.security.models import AuditEntry
from sfagent.tenancy.models import Organization

BATCH = 1000


@dataclass(frozen=True, slots=True)
class ChainProblem:
    sequence: int
    entry_id: str | None
    problem: str

    def describe(self) -> str:
        entry = f" (id {self.entry_id})" if self.entry_id else ""
        return f"entry {self.sequence}{entry} {self.problem}"


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    problem: ChainProblem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


class ChainChecker:
    """Feed entries in sequence order; the first problem is kept."""

    def __init__(self) -> None:
        self.expected = 1
        self.previous = GENESIS_HASH
        self.problem: ChainProblem | None = None

    def check_head(self, organization: Organization, key: bytes | None) -> None:
        """Compare the chain's end with the head sealed when the last entry was written."""
        if self.problem is not None or organization.audit_head_sequence is None:
            return  # no head yet: the chain predates sealing, the next entry records one
        last = self.expected - 1
        head = organization.audit_head_sequence
        if head > last:
            self.problem = ChainProblem(
                last + 1,
                None,
                f"is missing: the chain ends at entry {last} but its sealed head is entry {head} "
                "(the newest entries were removed)",
            )
        elif head < last:
            self.problem = ChainProblem(
                head + 1, None, "was added after the sealed head (written outside sfagent)"
            )
        elif organization.audit_head_hash != self.previous:
            self.problem = ChainProblem(last, None, "does not match the sealed head")
        elif key is not None and organization.audit_head_seal != head_seal(
            key, organization.id, head, self.previous
        ):
            self.problem = ChainProblem(
                last,
                None,
                "is the head, but its seal does not match (the head was rewritten, or "
                "SFAGENT_SECRET_KEY changed since it was sealed)",
            )

    def check(self, entry: AuditEntry) -> None:
        if self.problem is not None:
            return
        if entry.sequence != self.expected:
            what = "is missing" if entry.sequence > self.expected else "appears twice"
            self.problem = ChainProblem(
                self.expected, None, f"{what} (the next entry found is {entry.sequence})"
            )
            return
        if entry.previous_hash != self.previous:
            self.problem = ChainProblem(
                entry.sequence,
                entry.id,
                "does not follow the entry before it (one was removed, reordered or edited)",
            )
            return
        recomputed = entry_hash(
            previous_hash=entry.previous_hash,
            sequence=entry.sequence,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            details=entry.details,
            created_at=entry.created_at,
        )
        if recomputed != entry.entry_hash:
            self.problem = ChainProblem(entry.sequence, entry.id, "was edited after it was written")
            return
        self.previous = entry.entry_hash
        self.expected += 1


def check_chain(entries: Iterable[AuditEntry]) -> ChainReport:
    checker = ChainChecker()
    count = 0
    for entry in entries:
        count += 1
        checker.check(entry)
    return ChainReport(count, checker.problem)


async def verify_organization(session: AsyncSession, organization_id: str) -> ChainReport:
    """Walk the organization's whole chain in batches, then check its sealed head."""
    await bind_tenant(session, organization_id)
    checker = ChainChecker()
    count = await _walk(session, organization_id, checker)
    organization = await session.get(Organization, organization_id)
    if organization is not None:
        checker.check_head(organization, seal_key_of(session))
    return ChainReport(count, checker.problem)


async def _walk(session: AsyncSession, organization_id: str, checker: ChainChecker) -> int:
    count, after = 0, 0
    while True:
        statement = (
            select(AuditEntry)
            .where(AuditEntry.organization_id == organization_id, AuditEntry.sequence > after)
            .order_by(AuditEntry.sequence)
            .limit(BATCH)
        )
        batch = (await session.execute(statement)).scalars().all()
        for entry in batch:
            checker.check(entry)
        count += len(batch)
        if len(batch) < BATCH or checker.problem is not None:
            return count
        after = batch[-1].sequence
