"""API models for notification channels."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from sfagent.validation import InputModel

Method = Literal["email", "webhook", "slack"]
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
MAX_RECIPIENTS = 20


class ChannelIn(InputModel):
    name: str = Field(
        min_length=1,
        max_length=200,
        description="The recipient name rules use in a notify action, e.g. support_manager",
    )
    method: Method
    target: str = Field(
        min_length=1,
        max_length=2000,
        description="Email addresses (comma-separated), or the webhook / Slack URL",
    )
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="Webhooks only: the HMAC-SHA256 signing secret (at least 16 characters)",
    )
    on_escalation: bool = Field(
        default=False, description="Also notify this channel of every escalation"
    )
    enabled: bool = True

    @model_validator(mode="after")
    def _target_fits_method(self) -> ChannelIn:
        if self.method == "email":
            addresses = [part.strip() for part in self.target.split(",")]
            bad = [address for address in addresses if not _EMAIL.match(address)]
            if bad or len(addresses) > MAX_RECIPIENTS:
                raise ValueError(
                    f"target must be 1 to {MAX_RECIPIENTS} comma-separated email addresses"
                    + (f"; not an address: {bad[0]!r}" if bad else "")
                )
        elif not self.target.startswith(("https://", "http://")):
            raise ValueError("target must be an http(s) URL for a webhook or Slack channel")
        if self.secret is not None and self.method != "webhook":
            raise ValueError("secret applies to webhook channels only")
        return self


class ChannelOut(BaseModel):
    id: str
    name: str
    method: Method
    target: str
    has_secret: bool = Field(description="The secret itself is never shown again")
    on_escalation: bool
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ChannelList(BaseModel):
    items: list[ChannelOut]


class TestSent(BaseModel):
    job_id: str = Field(description="The outbox job that delivers the test notification")
