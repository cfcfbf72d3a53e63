"""GDPR/CCPA for one end user: export everything held about them; erase it while keeping
anonymous counts; run the retention purge on demand. Each is audited with ids and counts,
never with the personal data itself."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.lifecycle import OPEN_STATUSES, ConversationStatus
from sfagent.conversations.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    DialogueTransition,
    Message,
)
from sfagent.conversations.service import delete_expired_conversations
from sfagent.conversations.transitions import transition
from sfagent.db.base import utcnow
from sfagent.errors import NotFound
from sfagent.escalation.models import Escalation, EscalationStatus
from sfagent.escalation.service import close_for_conversation
from sfagent.escalation.summary import HandoffSummary
from sfagent.privacy.document import EndUserRecords, build_document, counts
from sfagent.privacy.repository import PrivacyRepository
from sfagent.salesforce.models import SalesforceCaseLink
from sfagent.salesforce.service import CASE_SYNC_JOB
from sfagent.security.audit import audit_change
from sfagent.tenancy.context import PrincipalKind, Tenant
from sfagent.tenancy.models import EndUser

EXPORT_ACTION = "privacy.export"
ERASE_ACTION = "privacy.erase"
ERASED = "[erased]"
ERASED_ACTOR = f"{PrincipalKind.END_USER.value}:erased"
ERASED_REASON = "the end user's data was erased"
# What survives in a message's analysis: what the assistant did and how it was rated, and
# the classification numbers analytics count. Everything that quotes or describes the
# customer's words (entities, slots, diagnostics, multi-intent spans, sources) goes.
KEPT_ANALYSIS = ("action", "reply_type", "response_confidence", "feedback", "stage_timings_ms")
KEPT_NLU = (
    "intent",
    "confidence",
    "in_scope",
    "category",
    "group",
    "subcategory",
    "priority",
    "auto_resolvable",
)
# Lifecycle reasons these actors write are fixed phrases; any other actor may have typed one.
SYSTEM_ACTORS = ("system:", "pipeline")


class EndUserNotFound(NotFound):
    def __init__(self, external_id: str) -> None:
        super().__init__(f"end user {external_id!r} not found")


@dataclass(frozen=True, slots=True)
class ErasureReport:
    end_user_id: str
    conversations: int
    conversations_closed: int
    messages: int
    attachments: int
    events: int
    escalations: int
    outbox_jobs_cancelled: int
    idempotency_records: int
    # The Cases already in the tenant's Salesforce org: sfagent does not delete records
    # there; the operator erases them in Salesforce (or keeps them under a legal hold).
    salesforce_case_ids: list[str]

    def audit_details(self) -> dict[str, Any]:
        details = asdict(self)
        details["salesforce_cases"] = len(details.pop("salesforce_case_ids"))
        return details


@dataclass(frozen=True, slots=True)
class RetentionRun:
    deleted: int
    cutoff: datetime
    retention_days: int


async def export_end_user(
    session: AsyncSession, tenant: Tenant, external_id: str
) -> dict[str, Any]:
    """Everything stored about the end user as one JSON-safe document (404 when unknown)."""
    repository = PrivacyRepository(session, tenant.organization_id)
    end_user = await _require(repository, external_id)
    records = await _read_all(repository, end_user)
    document = build_document(records, organization_id=tenant.organization_id, exported_at=utcnow())
    details = {"end_user_id": end_user.id, **counts(records)}
    await audit_change(session, tenant, EXPORT_ACTION, end_user.id, details)
    return document


async def erase_end_user(session: AsyncSession, tenant: Tenant, external_id: str) -> ErasureReport:
    """Remove the end user's content and identity, keep their conversations as anonymous
    rows (status, channel, times, counts, ratings), and report how much was erased."""
    repository = PrivacyRepository(session, tenant.organization_id)
    end_user = await _require(repository, external_id, for_update=True)
    # What requests the end user made themselves are stored under (idempotency, events).
    own_label = f"{PrincipalKind.END_USER.value}:{external_id}"
    # Scrubbed before closing: the closing event's own reason is a fixed phrase to keep.
    events = await repository.children(ConversationEvent, end_user.id)
    await _erase_typed_reasons(repository, end_user.id, events, own_label)
    conversations = await repository.conversations_of(end_user.id)
    closed = await _close_open(session, tenant, conversations)
    messages = await repository.children(Message, end_user.id)
    for message in messages:
        _erase_message(message)
    for conversation in conversations:
        _erase_conversation(conversation)
    escalations = await repository.children(Escalation, end_user.id)
    for escalation in escalations:
        escalation.summary = _erased_summary(escalation.summary)
        escalation.updated_at = utcnow()
    conversation_ids = {conversation.id for conversation in conversations}
    # A pending Case sync would read the erased transcript and post "[erased]" comments
    # (or a replay would, once dead): cancel it. Other jobs carry ids and fixed phrases only.
    cancelled = await repository.delete_undelivered_jobs(CASE_SYNC_JOB, conversation_ids)
    resources = conversation_ids | {escalation.id for escalation in escalations}
    replays = await repository.delete_idempotency_records(own_label, resources)
    cases = await repository.children(SalesforceCaseLink, end_user.id)
    report = ErasureReport(
        end_user_id=end_user.id,
        conversations=len(conversations),
        conversations_closed=closed,
        messages=len(messages),
        attachments=await repository.delete_attachments(end_user.id),
        events=len(events),
        escalations=len(escalations),
        outbox_jobs_cancelled=cancelled,
        idempotency_records=replays,
        salesforce_case_ids=[link.case_id for link in cases],
    )
    _anonymise(end_user)
    await session.flush()
    await audit_change(session, tenant, ERASE_ACTION, end_user.id, report.audit_details())
    return report


async def run_retention(session: AsyncSession, tenant: Tenant) -> RetentionRun:
    """Delete the organization's finished conversations past its retention period now, as
    the scheduled purge does (audited when anything was deleted)."""
    now = utcnow()
    days = tenant.limits.retention_days
    deleted = await delete_expired_conversations(
        session,
        organization_id=tenant.organization_id,
        retention=timedelta(days=days),
        actor=tenant.principal.label,
        now=now,
    )
    return RetentionRun(deleted=deleted, cutoff=now - timedelta(days=days), retention_days=days)


async def _require(
    repository: PrivacyRepository, external_id: str, *, for_update: bool = False
) -> EndUser:
    end_user = await repository.find_end_user(external_id, for_update=for_update)
    if end_user is None:
        raise EndUserNotFound(external_id)
    return end_user


async def _read_all(repository: PrivacyRepository, end_user: EndUser) -> EndUserRecords:
    user_id = end_user.id
    return EndUserRecords(
        end_user=end_user,
        conversations=await repository.conversations_of(user_id),
        messages=await repository.children(
            Message, user_id, Message.conversation_id, Message.sequence
        ),
        events=await repository.children(ConversationEvent, user_id),
        transitions=await repository.children(
            DialogueTransition, user_id, DialogueTransition.created_at, DialogueTransition.step
        ),
        attachments=await repository.children(Attachment, user_id),
        escalations=await repository.children(Escalation, user_id),
        case_links=await repository.children(SalesforceCaseLink, user_id),
    )


async def _close_open(
    session: AsyncSession, tenant: Tenant, conversations: list[Conversation]
) -> int:
    """Close the still-open ones: nothing more can be added to an anonymised conversation,
    and an erased hand-off leaves the people's queue (resolved, as closing one does)."""
    closed = 0
    for conversation in conversations:
        status = ConversationStatus(conversation.status)
        if status not in OPEN_STATUSES:
            continue
        transition(
            session,
            conversation,
            ConversationStatus.CLOSED,
            reason=ERASED_REASON,
            actor=tenant.principal.label,
        )
        if status is ConversationStatus.ESCALATED:
            await close_for_conversation(
                session, tenant.organization_id, conversation.id, EscalationStatus.RESOLVED
            )
        closed += 1
    await session.flush()
    return closed


async def _erase_typed_reasons(
    repository: PrivacyRepository,
    end_user_id: str,
    events: list[ConversationEvent],
    own_label: str,
) -> None:
    """Erase lifecycle reasons a person may have typed (closing "because John said..."),
    on the event and on the dialogue move the same change recorded; name no end user."""
    typed = {
        (event.conversation_id, event.reason)
        for event in events
        if not event.actor.startswith(SYSTEM_ACTORS)
    }
    for event in events:
        if (event.conversation_id, event.reason) in typed:
            event.reason = ERASED
        if event.actor == own_label:
            event.actor = ERASED_ACTOR
    for move in await repository.children(DialogueTransition, end_user_id):
        if (move.conversation_id, move.reason) in typed:
            move.reason = ERASED


def _erase_message(message: Message) -> None:
    message.content = ERASED
    message.entities = None
    message.analysis = _kept_analysis(message.analysis)


def _kept_analysis(analysis: dict[str, Any] | None) -> dict[str, Any] | None:
    if analysis is None:
        return None
    kept = {name: analysis[name] for name in KEPT_ANALYSIS if name in analysis}
    nlu = analysis.get("nlu")
    if isinstance(nlu, dict):
        kept["nlu"] = {name: nlu[name] for name in KEPT_NLU if name in nlu}
    return {**kept, "erased": True}


def _erase_conversation(conversation: Conversation) -> None:
    conversation.subject = None
    conversation.context = {}
    conversation.dialogue = None
    conversation.updated_at = utcnow()


def _erased_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary still of HandoffSummary's shape (the console and Case sync read it), with
    only the hand-off reason (a fixed phrase) and the sentiment numbers left."""
    return HandoffSummary(
        reason=str(summary.get("reason", "")),
        problem=ERASED,
        sentiment=[float(value) for value in summary.get("sentiment", [])],
        sentiment_trend=str(summary.get("sentiment_trend", "steady")),
    ).to_json()


def _anonymise(end_user: EndUser) -> None:
    # A fresh id frees the external one: the same person may start again as a new user.
    end_user.external_id = f"erased:{uuid.uuid4().hex}"
    end_user.display_name = None
    end_user.email = None
    end_user.last_seen_at = None
    end_user.updated_at = utcnow()
