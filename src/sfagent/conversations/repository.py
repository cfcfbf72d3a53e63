"""All SQL for conversations, messages and lifecycle events; tenant scoping lives here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.lifecycle import ConversationStatus
from sfagent.conversations.models import (
    Conversation,
    ConversationEvent,
    DialogueTransition,
    Message,
)
from sfagent.pipeline.dialogue import DialogueState
from sfagent.tenancy.models import EndUser


class ConversationRepository:
    def __init__(
        self, session: AsyncSession, organization_id: str, *, end_user_id: str | None = None
    ) -> None:
        self.session = session
        self.organization_id = organization_id
        # Set for end-user callers: they see only their own conversations.
        self.end_user_id = end_user_id

    def scoped(self) -> Select[Conversation]:
        statement = select(Conversation).where(Conversation.organization_id == self.organization_id)
        if self.end_user_id is not None:
            statement = statement.where(Conversation.end_user_id == self.end_user_id)
        return statement

    async def get(self, conversation_id: str, *, for_update: bool = False) -> Conversation | None:
        statement = self.scoped().where(Conversation.id == conversation_id)
        if for_update:
            # Serialises turns within one conversation (PostgreSQL; SQLite's writer lock does).
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalars().first()

    async def select_page(
        self,
        *,
        statuses: Sequence[ConversationStatus] | None,
        channel: str | None,
        end_user_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Conversation]:
        statement = self.scoped()
        if statuses:
            statement = statement.where(Conversation.status.in_([s.value for s in statuses]))
        if channel:
            statement = statement.where(Conversation.channel == channel)
        if end_user_id:
            statement = statement.where(Conversation.end_user_id == end_user_id)
        if after is not None:
            created_at, conversation_id = after
            statement = statement.where(
                or_(
                    Conversation.created_at < created_at,
                    and_(Conversation.created_at == created_at, Conversation.id < conversation_id),
                )
            )
        statement = statement.order_by(
            Conversation.created_at.desc(), Conversation.id.desc()
        ).limit(limit)
        return (await self.session.execute(statement)).scalars().all()

    async def count_open(self, statuses: Sequence[ConversationStatus]) -> int:
        statement = select(func.count(Conversation.id)).where(
            Conversation.organization_id == self.organization_id,
            Conversation.status.in_([s.value for s in statuses]),
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def external_user_ids(self, end_user_ids: set[str]) -> dict[str, str]:
        if not end_user_ids:
            return {}
        statement = select(EndUser.id, EndUser.external_id).where(
            EndUser.organization_id == self.organization_id, EndUser.id.in_(end_user_ids)
        )
        return {row.id: row.external_id for row in await self.session.execute(statement)}

    async def mark_inactive_abandoned(
        self, *, statuses: Sequence[ConversationStatus], idle_before: datetime, now: datetime
    ) -> list[tuple[str, str, str]]:
        """Abandon idle conversations; return (id, previous status, previous dialogue state)
        of each one changed."""
        candidates = (
            await self.session.execute(
                select(Conversation.id, Conversation.status, Conversation.dialogue_state).where(
                    Conversation.organization_id == self.organization_id,
                    Conversation.status.in_([s.value for s in statuses]),
                    Conversation.last_activity_at < idle_before,
                )
            )
        ).all()
        changed: list[tuple[str, str, str]] = []
        for conversation_id, previous, dialogue_state in candidates:
            result = await self.session.execute(
                update(Conversation)
                .where(
                    Conversation.id == conversation_id,
                    Conversation.status == previous,
                    Conversation.last_activity_at < idle_before,
                )
                .values(
                    status=ConversationStatus.ABANDONED.value,
                    dialogue_state=DialogueState.ABANDONED.value,
                    updated_at=now,
                )
            )
            if getattr(result, "rowcount", 0):
                changed.append((conversation_id, previous, dialogue_state))
        return changed

    async def dialogue_transitions(self, conversation_id: str) -> list[DialogueTransition]:
        statement = (
            select(DialogueTransition)
            .where(
                DialogueTransition.organization_id == self.organization_id,
                DialogueTransition.conversation_id == conversation_id,
            )
            .order_by(DialogueTransition.created_at, DialogueTransition.step)
        )
        return list((await self.session.execute(statement)).scalars().all())

    async def delete_finished_before(
        self, *, statuses: Sequence[ConversationStatus], before: datetime
    ) -> int:
        """Delete finished conversations last active before the cutoff (messages cascade)."""
        result = await self.session.execute(
            delete(Conversation).where(
                Conversation.organization_id == self.organization_id,
                Conversation.status.in_([s.value for s in statuses]),
                Conversation.last_activity_at < before,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def add(self, item: Conversation | Message | ConversationEvent) -> None:
        self.session.add(item)


class MessageRepository:
    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self) -> Select[Message]:
        return select(Message).where(Message.organization_id == self.organization_id)

    async def select_page(
        self,
        conversation_id: str,
        *,
        after_sequence: int,
        limit: int,
        hidden_roles: Sequence[str] = (),
    ) -> Sequence[Message]:
        statement = (
            self.scoped()
            .where(Message.conversation_id == conversation_id, Message.sequence > after_sequence)
            .order_by(Message.sequence)
            .limit(limit)
        )
        if hidden_roles:
            statement = statement.where(Message.role.not_in(list(hidden_roles)))
        return (await self.session.execute(statement)).scalars().all()

    async def recent(self, conversation_id: str, *, limit: int) -> list[Message]:
        """The conversation's last `limit` messages, oldest first."""
        statement = (
            self.scoped()
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.sequence.desc())
            .limit(limit)
        )
        return list(reversed((await self.session.execute(statement)).scalars().all()))

    async def get(self, message_id: str) -> Message | None:
        message = await self.session.get(Message, message_id)
        if message is None or message.organization_id != self.organization_id:
            return None
        return message

    async def at_sequence(self, conversation_id: str, sequence: int) -> Message | None:
        statement = self.scoped().where(
            Message.conversation_id == conversation_id, Message.sequence == sequence
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    def add(self, message: Message) -> None:
        self.session.add(message)
