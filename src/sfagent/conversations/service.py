"""Conversations: create, read, list, post a message through the pipeline, resolve, close."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.lifecycle import (
    FINISHED_STATUSES,
    OPEN_STATUSES,
    SWEEPABLE_STATUSES,
    ConversationStatus,
    accepts_messages,
)
from sfagent.conversations.models import (
    Conversation,
    ConversationEvent,
    DialogueTransition,
    Message,
)
from sfagent.conversations.repository import ConversationRepository, MessageRepository
from sfagent.conversations.transitions import transition
from sfagent.db.base import utcnow
from sfagent.db.pagination import decode_sequence_cursor, decode_time_cursor, encode_cursor
from sfagent.errors import Conflict, NotFound, RateLimited
from sfagent.escalation.models import EscalationStatus
from sfagent.escalation.service import close_for_conversation
from sfagent.kb.service import record_reply_feedback
from sfagent.kb.store import KnowledgeStore
from sfagent.llm_usage.runtime import LlmRuntime
from sfagent.pipeline.dialogue import DialogueMemory, DialogueState, memory_of
from sfagent.pipeline.nlu_runtime import NluRuntime
from sfagent.pipeline.runner import run_pipeline
from sfagent.pipeline.turn import PipelineContext, Turn
from sfagent.security.audit import record_audit
from sfagent.security.pii_service import protect_document, protect_text
from sfagent.tenancy.context import Tenant
from sfagent.tenancy.models import EndUser
from sfagent.tenancy.repository import EndUserRepository

STAFF_NOTE_ROLE = "note"
GREETING = (
    "Hello! Tell us what you need help with. You can paste error messages, "
    "Apex code, SOQL queries or debug logs."
)
MAX_PAGE_SIZE = 100
SUBJECT_MAX_CHARS = 300  # the column's width; redaction markers may lengthen a subject
T = TypeVar("T")


class ConversationNotFound(NotFound):
    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"conversation {conversation_id!r} not found")


class ConversationClosed(Conflict):
    def __init__(self) -> None:
        super().__init__("conversation is closed; start a new conversation")


class ConcurrentConversationLimit(RateLimited):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"this organization already has {limit} open conversations, its limit; "
            "resolve or close some first",
            details={"limit": limit, "retry_after": 60},
            headers={"Retry-After": "60"},
        )


@dataclass(frozen=True, slots=True)
class ConversationView:
    conversation: Conversation
    user_id: str | None  # the end user's external id
    greeting: Message | None = None


@dataclass(frozen=True, slots=True)
class DialogueView:
    memory: DialogueMemory
    csat_score: int | None
    transitions: list[DialogueTransition]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


async def _end_user_scope(session: AsyncSession, tenant: Tenant) -> str | None:
    """For end-user callers, their row id (they only see their own); None for others."""
    if not tenant.is_end_user:
        return None
    external_id = tenant.principal.external_user_id or tenant.principal.id
    end_user = await EndUserRepository(session, tenant.organization_id).find_by_external_id(
        external_id
    )
    # An end user with no row yet owns nothing: scope to an id no row can have.
    return end_user.id if end_user else "-"


async def visible_conversations(session: AsyncSession, tenant: Tenant) -> ConversationRepository:
    """The conversations the caller may see: its organization's, or an end user's own."""
    return ConversationRepository(
        session, tenant.organization_id, end_user_id=await _end_user_scope(session, tenant)
    )


async def _ensure_end_user(session: AsyncSession, tenant: Tenant, external_id: str) -> EndUser:
    users = EndUserRepository(session, tenant.organization_id)
    end_user = await users.find_by_external_id(external_id)
    if end_user is None:
        end_user = EndUser(organization_id=tenant.organization_id, external_id=external_id)
        users.add(end_user)
    end_user.last_seen_at = utcnow()
    await session.flush()
    return end_user


async def create_conversation(
    session: AsyncSession,
    *,
    tenant: Tenant,
    channel: str,
    user_id: str | None,
    subject: str | None,
    context: dict[str, Any],
) -> ConversationView:
    """Open a conversation with a greeting; 429 past the tenant's concurrent limit."""
    repository = ConversationRepository(session, tenant.organization_id)
    limit = tenant.limits.concurrent_conversations
    if await repository.count_open(sorted(OPEN_STATUSES)) >= limit:
        raise ConcurrentConversationLimit(limit)
    if tenant.is_end_user:
        user_id = tenant.principal.external_user_id
    end_user = await _ensure_end_user(session, tenant, user_id) if user_id else None
    # What the customer's app sends is guarded like a message before it is stored.
    if subject:
        protected = await protect_text(session, tenant.organization_id, subject)
        subject = protected.text[:SUBJECT_MAX_CHARS]
    context = await protect_document(session, tenant.organization_id, context)
    now = utcnow()
    conversation = Conversation(
        organization_id=tenant.organization_id,
        end_user_id=end_user.id if end_user else None,
        channel=channel,
        status=ConversationStatus.ACTIVE.value,
        subject=subject,
        context=context,
        message_count=1,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    repository.add(conversation)
    await session.flush()
    repository.add(
        ConversationEvent(
            organization_id=tenant.organization_id,
            conversation_id=conversation.id,
            from_status=None,
            to_status=ConversationStatus.ACTIVE.value,
            reason="opened",
            actor=tenant.principal.label,
            created_at=now,
        )
    )
    greeting = Message(
        organization_id=tenant.organization_id,
        conversation_id=conversation.id,
        sequence=1,
        role="assistant",
        content=GREETING,
        created_at=now,
        model_used="none",
    )
    repository.add(greeting)
    await session.flush()
    return ConversationView(conversation, user_id, greeting)


async def get_conversation(
    session: AsyncSession, *, tenant: Tenant, conversation_id: str
) -> ConversationView:
    """One conversation of the tenant (and of the end user, for end-user callers)."""
    repository = await visible_conversations(session, tenant)
    conversation = await repository.get(conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    users = await repository.external_user_ids(
        {conversation.end_user_id} if conversation.end_user_id else set()
    )
    return ConversationView(conversation, users.get(conversation.end_user_id or ""))


async def list_conversations(
    session: AsyncSession,
    *,
    tenant: Tenant,
    statuses: Sequence[ConversationStatus] | None = None,
    channel: str | None = None,
    user_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ConversationView]:
    """Newest first, keyset-paginated; filters by status, channel and end user."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    repository = await visible_conversations(session, tenant)
    end_user_id: str | None = None
    if user_id:
        end_user = await EndUserRepository(session, tenant.organization_id).find_by_external_id(
            user_id
        )
        if end_user is None:
            return Page([], None)
        end_user_id = end_user.id
    after = decode_time_cursor(cursor) if cursor else None
    rows = list(
        await repository.select_page(
            statuses=statuses,
            channel=channel,
            end_user_id=end_user_id,
            after=after,
            limit=limit + 1,
        )
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    users = await repository.external_user_ids({r.end_user_id for r in rows if r.end_user_id})
    views = [ConversationView(row, users.get(row.end_user_id or "")) for row in rows]
    next_cursor = (
        encode_cursor([rows[-1].created_at.isoformat(), rows[-1].id]) if has_more else None
    )
    return Page(views, next_cursor)


async def post_message(
    session: AsyncSession,
    *,
    tenant: Tenant,
    conversation_id: str,
    content: str,
    nlu: NluRuntime | None = None,
    knowledge: KnowledgeStore | None = None,
    llm: LlmRuntime | None = None,
) -> tuple[Turn, ConversationStatus]:
    """Run the user's message through the pipeline; return the turn and the new state."""
    repository = await visible_conversations(session, tenant)
    conversation = await repository.get(conversation_id, for_update=True)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    if not accepts_messages(ConversationStatus(conversation.status)):
        raise ConversationClosed()
    turn = Turn(content=content, channel=conversation.channel)
    ctx = PipelineContext(
        session=session,
        tenant=tenant,
        conversation=conversation,
        max_message_length=tenant.limits.max_message_length,
        nlu=nlu,
        knowledge=knowledge,
        llm=llm,
    )
    await run_pipeline(turn, ctx)
    return turn, ConversationStatus(conversation.status)


async def list_messages(
    session: AsyncSession,
    *,
    tenant: Tenant,
    conversation_id: str,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Message]:
    """Messages oldest first, keyset-paginated by sequence."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    if await (await visible_conversations(session, tenant)).get(conversation_id) is None:
        raise ConversationNotFound(conversation_id)
    after_sequence = decode_sequence_cursor(cursor) if cursor else 0
    rows = list(
        await MessageRepository(session, tenant.organization_id).select_page(
            conversation_id,
            after_sequence=after_sequence,
            limit=limit + 1,
            # Customers never see staff's internal notes.
            hidden_roles=(STAFF_NOTE_ROLE,) if tenant.is_end_user else (),
        )
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor([rows[-1].sequence]) if has_more else None)


class NotAReply(Conflict):
    def __init__(self) -> None:
        super().__init__("only the assistant's replies can be rated helpful or not")


async def rate_conversation(
    session: AsyncSession, *, tenant: Tenant, conversation_id: str, score: int
) -> ConversationView:
    """Store the customer's 1-5 rating (the last one given counts)."""
    repository = await visible_conversations(session, tenant)
    conversation = await repository.get(conversation_id, for_update=True)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    conversation.csat_score = score
    conversation.updated_at = utcnow()
    await session.flush()
    return await get_conversation(session, tenant=tenant, conversation_id=conversation_id)


async def reply_feedback(
    session: AsyncSession, *, tenant: Tenant, message_id: str, helpful: bool
) -> None:
    """Thumbs up or down on one of the assistant's replies; the first vote also counts for
    the articles the reply cited (a changed mind updates the reply only)."""
    messages = MessageRepository(session, tenant.organization_id)
    reply = await messages.get(message_id)
    # The caller must see the conversation (an end user only their own).
    if (
        reply is None
        or await (await visible_conversations(session, tenant)).get(reply.conversation_id) is None
    ):
        raise NotFound(f"message {message_id} not found")
    conversation_id = reply.conversation_id
    if reply.role != "assistant":
        raise NotAReply()
    first_vote = "feedback" not in (reply.analysis or {})
    reply.analysis = {**(reply.analysis or {}), "feedback": "helpful" if helpful else "unhelpful"}
    if first_vote:
        asked = await messages.at_sequence(conversation_id, reply.sequence - 1)
        cited = (asked.analysis or {}).get("citations", []) if asked is not None else []
        slugs = [citation["article_id"] for citation in cited if "article_id" in citation]
        await record_reply_feedback(session, tenant.organization_id, slugs, helpful=helpful)
    await session.flush()


async def get_dialogue(
    session: AsyncSession, *, tenant: Tenant, conversation_id: str
) -> DialogueView:
    """The conversation's dialogue memory and every dialogue move, oldest first."""
    repository = await visible_conversations(session, tenant)
    conversation = await repository.get(conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    memory = memory_of(
        conversation.dialogue, conversation.context or {}, conversation.dialogue_state
    )
    transitions = await repository.dialogue_transitions(conversation_id)
    return DialogueView(memory, conversation.csat_score, transitions)


async def change_status(
    session: AsyncSession,
    *,
    tenant: Tenant,
    conversation_id: str,
    target: ConversationStatus,
    reason: str | None,
) -> ConversationView:
    """Resolve or close on the caller's request; 409 when the lifecycle forbids it."""
    repository = await visible_conversations(session, tenant)
    conversation = await repository.get(conversation_id, for_update=True)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    previous = ConversationStatus(conversation.status)
    transition(
        session,
        conversation,
        target,
        reason=reason or f"{target.value} by {tenant.principal.kind.value}",
        actor=tenant.principal.label,
    )
    if previous is ConversationStatus.ESCALATED:
        closed = (
            EscalationStatus.RETURNED
            if target is ConversationStatus.ACTIVE
            else EscalationStatus.RESOLVED
        )
        await close_for_conversation(session, tenant.organization_id, conversation_id, closed)
    await session.flush()
    return await get_conversation(session, tenant=tenant, conversation_id=conversation_id)


async def abandon_idle_conversations(
    session: AsyncSession, *, organization_id: str, idle_for: timedelta
) -> int:
    """Mark the organization's active/waiting conversations idle past timeout as abandoned."""
    now = utcnow()
    repository = ConversationRepository(session, organization_id)
    changed = await repository.mark_inactive_abandoned(
        statuses=sorted(SWEEPABLE_STATUSES), idle_before=now - idle_for, now=now
    )
    minutes = int(idle_for.total_seconds() // 60)
    for conversation_id, previous, dialogue_state in changed:
        session.add(
            DialogueTransition(
                organization_id=organization_id,
                conversation_id=conversation_id,
                from_state=dialogue_state,
                to_state=DialogueState.ABANDONED.value,
                reason=f"no activity for {minutes} minutes",
                created_at=now,
            )
        )
        repository.add(
            ConversationEvent(
                organization_id=organization_id,
                conversation_id=conversation_id,
                from_status=previous,
                to_status=ConversationStatus.ABANDONED.value,
                reason=f"no activity for {minutes} minutes",
                actor="system:sweeper",
                created_at=now,
            )
        )
    await session.flush()
    return len(changed)


RETENTION_PURGE_ACTION = "privacy.retention_purge"
RETENTION_ACTOR = "system:retention"


async def delete_expired_conversations(
    session: AsyncSession,
    *,
    organization_id: str,
    retention: timedelta,
    actor: str = RETENTION_ACTOR,
    now: datetime | None = None,
) -> int:
    """Delete the organization's finished conversations older than its retention period;
    audit the purge when it deleted anything."""
    cutoff = (now or utcnow()) - retention
    repository = ConversationRepository(session, organization_id)
    deleted = await repository.delete_finished_before(
        statuses=sorted(FINISHED_STATUSES), before=cutoff
    )
    if deleted:
        # Deletion is what retention promises customers: the audit log is the proof it ran.
        details = {"deleted": deleted, "cutoff": cutoff.isoformat(), "days": retention.days}
        await record_audit(
            session,
            organization_id=organization_id,
            actor=actor,
            action=RETENTION_PURGE_ACTION,
            target="conversations",
            details=details,
        )
    return deleted
