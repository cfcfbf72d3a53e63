"""Imports every table so Base.metadata is complete (for Alembic and tests)."""

from sfagent.admin_rules.models import BusinessRule, BusinessRuleVersion
from sfagent.conversations.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    DialogueTransition,
    Message,
)
from sfagent.db.base import Base
from sfagent.escalation.models import Escalation
from sfagent.idempotency.models import IdempotencyRecord
from sfagent.kb.models import KbArticle, KbArticleStats, KbArticleVersion, KbCorpusState
from sfagent.llm_usage.models import LlmUsage
from sfagent.notifications.models import NotificationChannel
from sfagent.outbox.models import OutboxJob
from sfagent.salesforce.models import SalesforceCaseLink, SalesforceConnection
from sfagent.security.models import AuditEntry, PiiToken, SecurityEvent
from sfagent.tenancy.models import ApiKey, EndUser, Organization, StaffUser

__all__ = [
    "ApiKey",
    "Attachment",
    "AuditEntry",
    "Base",
    "BusinessRule",
    "BusinessRuleVersion",
    "Conversation",
    "ConversationEvent",
    "DialogueTransition",
    "EndUser",
    "Escalation",
    "IdempotencyRecord",
    "KbArticle",
    "KbArticleStats",
    "KbArticleVersion",
    "KbCorpusState",
    "LlmUsage",
    "Message",
    "NotificationChannel",
    "Organization",
    "OutboxJob",
    "PiiToken",
    "SalesforceCaseLink",
    "SalesforceConnection",
    "SecurityEvent",
    "StaffUser",
]
