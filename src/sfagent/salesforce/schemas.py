"""API models for a tenant's Salesforce connection."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from sfagent.validation import InputModel

_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*__c$")
_VERSION = re.compile(r"^\d{2,3}\.0$")


class ConnectionIn(InputModel):
    auth_flow: Literal["jwt_bearer", "client_credentials"]
    login_url: str = Field(
        max_length=300,
        description="https://login.salesforce.com, https://test.salesforce.com or your My Domain",
    )
    consumer_key: str = Field(min_length=1, max_length=300)
    username: str | None = Field(default=None, max_length=300)
    private_key: str | None = Field(default=None, max_length=20_000, description="PEM (jwt_bearer)")
    client_secret: str | None = Field(default=None, max_length=300)
    api_version: str = "59.0"
    case_external_id_field: str = Field(
        default="Sfagent_Conversation_Id__c",
        description="A Case text field marked External ID (unique): upserts use it",
    )
    case_origin: str = Field(default="Web", min_length=1, max_length=40)
    enabled: bool = True

    @field_validator("login_url")
    @classmethod
    def _https(cls, url: str) -> str:
        if not url.startswith("https://"):
            raise ValueError("must be an https:// URL")
        return url.rstrip("/")

    @field_validator("case_external_id_field")
    @classmethod
    def _custom_field(cls, name: str) -> str:
        if not _API_NAME.match(name):
            raise ValueError("must be a custom field's API name, e.g. Sfagent_Conversation_Id__c")
        return name

    @field_validator("api_version")
    @classmethod
    def _version(cls, version: str) -> str:
        if not _VERSION.match(version):
            raise ValueError("must look like 59.0")
        return version

    @model_validator(mode="after")
    def _credentials_for_the_flow(self) -> ConnectionIn:
        if self.auth_flow == "jwt_bearer" and not (self.username and self.private_key):
            raise ValueError("jwt_bearer needs username and private_key")
        if self.auth_flow == "client_credentials" and not self.client_secret:
            raise ValueError("client_credentials needs client_secret")
        return self


class ConnectionOut(BaseModel):
    auth_flow: str
    login_url: str
    consumer_key: str
    username: str | None
    has_private_key: bool
    has_client_secret: bool
    api_version: str
    case_external_id_field: str
    case_origin: str
    enabled: bool
    updated_at: datetime
