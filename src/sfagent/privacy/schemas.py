"""API models of the privacy routes (the export document itself is free-form JSON)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ErasureOut(BaseModel):
    end_user_id: str = Field(description="The anonymised end user's internal id")
    conversations: int = Field(description="Conversations kept as anonymous rows")
    conversations_closed: int = Field(description="Of those, the open ones now closed")
    messages: int = Field(description="Messages whose content was erased")
    attachments: int = Field(description="Attachments deleted")
    events: int
    escalations: int
    outbox_jobs_cancelled: int = Field(description="Unsent Salesforce Case syncs cancelled")
    idempotency_records: int = Field(description="Stored responses deleted")
    salesforce_case_ids: list[str] = Field(
        description="Cases already in Salesforce: erase them there if they must go too"
    )


class RetentionOut(BaseModel):
    deleted: int = Field(description="Finished conversations deleted")
    cutoff: datetime = Field(description="Those last active before this were deleted")
    retention_days: int
