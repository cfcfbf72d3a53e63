"""A tenant's Salesforce connection and the Case each escalated conversation became."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sfagent.db.base import Base, IdPrimaryKey, Timestamps
from sfagent.db.encrypted import EncryptedText


class SalesforceConnection(IdPrimaryKey, Timestamps, Base):
    """How to reach the tenant's org: OAuth JWT bearer or client credentials of a connected app."""

    __tablename__ = "salesforce_connections"
    __table_args__ = (UniqueConstraint("organization_id"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    auth_flow: Mapped[str] = mapped_column(String(32))  # jwt_bearer | client_credentials
    login_url: Mapped[str] = mapped_column(String(300))  # https://login.salesforce.com or My Domain
    consumer_key: Mapped[str] = mapped_column(String(300))
    username: Mapped[str | None] = mapped_column(String(300))  # jwt_bearer: the integration user
    # Secrets, never returned by the API. Stored as given until field encryption arrives.
    private_key: Mapped[str | None] = mapped_column(
        EncryptedText("salesforce_connections.private_key")
    )  # jwt_bearer: PEM
    client_secret: Mapped[str | None] = mapped_column(
        EncryptedText("salesforce_connections.client_secret")
    )  # client_credentials
    api_version: Mapped[str] = mapped_column(String(8), default="59.0")
    case_external_id_field: Mapped[str] = mapped_column(String(80))
    case_origin: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The newest Case change already read back (SystemModstamp), for status polling.
    cases_watermark: Mapped[datetime | None]


class SalesforceCaseLink(IdPrimaryKey, Timestamps, Base):
    """The Case a conversation became, and how much of its transcript is on it."""

    __tablename__ = "salesforce_case_links"
    __table_args__ = (UniqueConstraint("organization_id", "conversation_id"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(String(18))
    synced_sequence: Mapped[int] = mapped_column(Integer, default=0)
    last_synced_at: Mapped[datetime | None]
