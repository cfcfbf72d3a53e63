"""API models for escalations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sfagent.validation import InputModel


class EscalationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    status: str = Field(description="open, claimed, resolved or returned")
    reason_code: str = Field(
        description="user_request, security, outage, data_loss, billing, legal, complaint, "
        "rule, failed_clarifications, failed_fixes, negative_sentiment or low_confidence"
    )
    reason: str
    priority: str
    queue: str
    sla_due_at: datetime
    sla_breached_at: datetime | None
    assigned_to: str | None
    summary: dict[str, Any] = Field(
        description="problem, what was tried, diagnosis, errors, sentiment and its trend, slots"
    )
    created_at: datetime
    closed_at: datetime | None


class EscalationList(BaseModel):
    items: list[EscalationOut]


class ClaimIn(InputModel):
    take_over: bool = Field(
        default=False, description="Take it even when someone else has claimed it"
    )


class DeskMessageIn(InputModel):
    content: str = Field(min_length=1, max_length=20_000)
    internal: bool = Field(
        default=False, description="An internal note for staff; the customer never sees it"
    )


class TransferIn(InputModel):
    queue: str | None = Field(default=None, min_length=1, max_length=200)
    assignee: str | None = Field(
        default=None, min_length=1, max_length=120, description="e.g. staff:<id>"
    )


class DeskReasonIn(InputModel):
    reason: str | None = Field(default=None, max_length=300)
