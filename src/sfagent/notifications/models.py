"""Where a tenant's notifications go."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sfagent.db.base import Base, IdPrimaryKey, Timestamps
from sfagent.db.encrypted import EncryptedText


class NotificationChannel(IdPrimaryKey, Timestamps, Base):
    """A named recipient reached one way: the `recipient` and `method` of a rule's notify
    action, or a subscriber to escalations."""

    __tablename__ = "notification_channels"
    __table_args__ = (UniqueConstraint("organization_id", "name", "method"),)

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(16))  # email | webhook | slack
    target: Mapped[str] = mapped_column(
        EncryptedText("notification_channels.target")
    )  # addresses, or the URL
    secret: Mapped[str | None] = mapped_column(
        EncryptedText("notification_channels.secret")
    )  # signs webhook bodies
    on_escalation: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
