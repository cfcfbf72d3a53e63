"""All SQL of the privacy domain: everything the database holds about one end user.
Tenant scoping lives in `scoped`; every read of a tenant table starts there."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    DialogueTransition,
    Message,
)
from sfagent.escalation.models import Escalation
from sfagent.idempotency.models import IdempotencyRecord
from sfagent.outbox.models import JobStatus, OutboxJob
from sfagent.salesforce.models import SalesforceCaseLink
from sfagent.tenancy.models import EndUser

# Every tenant table this domain reads; each has a non-null organization_id.
TenantRow = TypeVar(
    "TenantRow",
    EndUser,
    Conversation,
    Message,
    ConversationEvent,
    DialogueTransition,
    Attachment,
    Escalation,
    SalesforceCaseLink,
    IdempotencyRecord,
)
# Rows of a conversation's child tables, read in one shape.
ConversationChild = TypeVar(
    "ConversationChild",
    Message,
    ConversationEvent,
    DialogueTransition,
    Attachment,
    Escalation,
    SalesforceCaseLink,
)


class PrivacyRepository:
    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self, model: type[TenantRow]) -> Select[TenantRow]:
        return select(model).where(model.organization_id == self.organization_id)

    async def find_end_user(self, external_id: str, *, for_update: bool = False) -> EndUser | None:
        statement = self.scoped(EndUser).where(EndUser.external_id == external_id)
        if for_update:
            # Two erasures of one user at once: the second waits, then finds no such id.
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalars().first()

    async def conversations_of(self, end_user_id: str) -> list[Conversation]:
        statement = (
            self.scoped(Conversation)
            .where(Conversation.end_user_id == end_user_id)
            .order_by(Conversation.created_at, Conversation.id)
        )
        return list((await self.session.execute(statement)).scalars().all())

    async def children(
        self, model: type[ConversationChild], end_user_id: str, *order: Any
    ) -> list[ConversationChild]:
        """Rows of one child table belonging to the end user's conversations, in `order`
        (oldest first by default)."""
        statement = (
            self.scoped(model)
            .where(model.conversation_id.in_(self._conversation_ids(end_user_id)))
            .order_by(*(order or (model.created_at, model.id)))
        )
        return list((await self.session.execute(statement)).scalars().all())

    async def delete_attachments(self, end_user_id: str) -> int:
        result = await self.session.execute(
            delete(Attachment).where(
                Attachment.organization_id == self.organization_id,
                Attachment.conversation_id.in_(self._conversation_ids(end_user_id)),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_undelivered_jobs(self, name: str, conversation_ids: Collection[str]) -> int:
        """Delete the organization's jobs called `name` about these conversations that have
        not finished (pending, running or dead, so a replay cannot send them either)."""
        candidates = await self.session.execute(
            select(OutboxJob.id, OutboxJob.payload).where(
                OutboxJob.organization_id == self.organization_id,
                OutboxJob.name == name,
                OutboxJob.status != JobStatus.DONE.value,
            )
        )
        # Matched in Python: the payload's JSON operators differ between SQLite and
        # PostgreSQL, and a tenant has few unfinished jobs of one kind.
        doomed = [job_id for job_id, payload in candidates if _names(payload, conversation_ids)]
        if doomed:
            await self.session.execute(delete(OutboxJob).where(OutboxJob.id.in_(doomed)))
        return len(doomed)

    async def delete_idempotency_records(
        self, principal_id: str, resource_ids: Collection[str]
    ) -> int:
        """Delete stored responses the end user received, or whose path names one of their
        conversations or escalations (a stored reply holds what was said)."""
        path = IdempotencyRecord.path
        rows = await self.session.execute(
            select(IdempotencyRecord.id, IdempotencyRecord.principal_id, path)
            .where(IdempotencyRecord.organization_id == self.organization_id)
            .where(
                (IdempotencyRecord.principal_id == principal_id)
                | path.contains("/conversations/")
                | path.contains("/escalations/")
            )
        )
        doomed = [
            record_id
            for record_id, owner, stored_path in rows
            if owner == principal_id or not set(stored_path.split("/")).isdisjoint(resource_ids)
        ]
        if doomed:
            await self.session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(doomed))
            )
        return len(doomed)

    def _conversation_ids(self, end_user_id: str) -> Select[str]:
        return select(Conversation.id).where(
            Conversation.organization_id == self.organization_id,
            Conversation.end_user_id == end_user_id,
        )


def _names(payload: Any, conversation_ids: Collection[str]) -> bool:
    return isinstance(payload, dict) and payload.get("conversation_id") in conversation_ids
