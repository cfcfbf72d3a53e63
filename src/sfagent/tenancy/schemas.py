"""API models for tenancy: the caller, API keys, staff login."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sfagent.config import TierLimits
from sfagent.tenancy.context import DEFAULT_API_KEY_SCOPES
from sfagent.validation import InputModel


class PrincipalOut(BaseModel):
    kind: str
    id: str
    scopes: list[str]
    role: str | None


class WhoAmI(BaseModel):
    organization_id: str
    slug: str
    tier: str
    limits: TierLimits
    principal: PrincipalOut


class ApiKeyCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(
        default_factory=lambda: [scope.value for scope in DEFAULT_API_KEY_SCOPES],
        max_length=20,
    )
    requests_per_minute: int | None = Field(default=None, gt=0, le=1_000_000)


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The full key. Shown only in this response.")


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class StaffLogin(InputModel):
    organization: str = Field(min_length=1, max_length=80, description="Organization slug or id")
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
