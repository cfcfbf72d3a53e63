"""The export document: an end user's rows as one JSON-safe dict, grouped by conversation.

Values are written as stored: message content is what the guard stage kept (already
redacted of PII), decrypted by the column types when encryption at rest is on.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sfagent.conversations.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    DialogueTransition,
    Message,
)
from sfagent.escalation.models import Escalation
from sfagent.salesforce.models import SalesforceCaseLink
from sfagent.tenancy.models import EndUser

FORMAT_VERSION = 1


class _OfConversation(Protocol):
    @property
    def conversation_id(self) -> str: ...


Row = TypeVar("Row", bound=_OfConversation)


@dataclass(slots=True)
class EndUserRecords:
    """Everything stored about one end user, read once and shared by export and erasure."""

    end_user: EndUser
    conversations: list[Conversation]
    messages: list[Message] = field(default_factory=list)
    events: list[ConversationEvent] = field(default_factory=list)
    transitions: list[DialogueTransition] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    case_links: list[SalesforceCaseLink] = field(default_factory=list)


def build_document(
    records: EndUserRecords, *, organization_id: str, exported_at: datetime
) -> dict[str, Any]:
    """The whole export: the profile, then each conversation with what hangs off it."""
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": exported_at.isoformat(),
        "organization_id": organization_id,
        "end_user": _profile(records.end_user),
        "conversations": _conversations(records),
    }


def _conversations(records: EndUserRecords) -> list[dict[str, Any]]:
    messages = _by_conversation(records.messages)
    events = _by_conversation(records.events)
    transitions = _by_conversation(records.transitions)
    attachments = _by_conversation(records.attachments)
    escalations = _by_conversation(records.escalations)
    cases = _by_conversation(records.case_links)
    return [
        {
            **_conversation(conversation),
            "messages": [_message(row) for row in messages[conversation.id]],
            "events": [_event(row) for row in events[conversation.id]],
            "dialogue_transitions": [_transition(row) for row in transitions[conversation.id]],
            "attachments": [_attachment(row) for row in attachments[conversation.id]],
            "escalations": [_escalation(row) for row in escalations[conversation.id]],
            "salesforce_case_ids": [link.case_id for link in cases[conversation.id]],
        }
        for conversation in records.conversations
    ]


def _by_conversation(rows: Iterable[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.conversation_id].append(row)
    return grouped


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _profile(end_user: EndUser) -> dict[str, Any]:
    return {
        "id": end_user.id,
        "external_id": end_user.external_id,
        "display_name": end_user.display_name,
        "email": end_user.email,
        "created_at": _iso(end_user.created_at),
        "last_seen_at": _iso(end_user.last_seen_at),
    }


def _conversation(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "status": conversation.status,
        "subject": conversation.subject,
        "language": conversation.language,
        "context": conversation.context,
        "message_count": conversation.message_count,
        "csat_score": conversation.csat_score,
        "dialogue_state": conversation.dialogue_state,
        "dialogue": conversation.dialogue,
        "created_at": _iso(conversation.created_at),
        "last_activity_at": _iso(conversation.last_activity_at),
        "resolved_at": _iso(conversation.resolved_at),
        "closed_at": _iso(conversation.closed_at),
    }


def _message(message: Message) -> dict[str, Any]:
    analysis = message.analysis or {}
    return {
        "id": message.id,
        "sequence": message.sequence,
        "role": message.role,
        "content": message.content,
        "created_at": _iso(message.created_at),
        "intent": message.intent,
        "confidence": message.confidence,
        "sentiment": message.sentiment,
        "emotion": message.emotion,
        "language": message.language,
        "entities": message.entities,
        # The thumbs up or down given to an assistant's reply, when there was one.
        "feedback": analysis.get("feedback"),
        "analysis": message.analysis,
    }


def _event(event: ConversationEvent) -> dict[str, Any]:
    return {
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": event.reason,
        "actor": event.actor,
        "created_at": _iso(event.created_at),
    }


def _transition(transition: DialogueTransition) -> dict[str, Any]:
    return {
        "message_sequence": transition.message_sequence,
        "step": transition.step,
        "from_state": transition.from_state,
        "to_state": transition.to_state,
        "reason": transition.reason,
        "created_at": _iso(transition.created_at),
    }


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "uploaded_by": attachment.uploaded_by,
        "created_at": _iso(attachment.created_at),
        "data_base64": base64.b64encode(attachment.data).decode("ascii"),
    }


def _escalation(escalation: Escalation) -> dict[str, Any]:
    return {
        "id": escalation.id,
        "status": escalation.status,
        "reason_code": escalation.reason_code,
        "reason": escalation.reason,
        "priority": escalation.priority,
        "queue": escalation.queue,
        "assigned_to": escalation.assigned_to,
        "summary": escalation.summary,
        "sla_due_at": _iso(escalation.sla_due_at),
        "sla_breached_at": _iso(escalation.sla_breached_at),
        "created_at": _iso(escalation.created_at),
        "closed_at": _iso(escalation.closed_at),
    }


def counts(records: EndUserRecords) -> dict[str, int]:
    """How much there was, for audit entries and reports (never the content itself)."""
    sizes: Sequence[tuple[str, Sequence[object]]] = (
        ("conversations", records.conversations),
        ("messages", records.messages),
        ("events", records.events),
        ("dialogue_transitions", records.transitions),
        ("attachments", records.attachments),
        ("escalations", records.escalations),
        ("salesforce_cases", records.case_links),
    )
    return {name: len(rows) for name, rows in sizes}
