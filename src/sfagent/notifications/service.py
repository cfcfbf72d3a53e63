"""Notification channels (CRUD, audited) and raising notifications: each one an outbox job
written in the caller's transaction, delivered by a worker with retries."""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.config import Settings
from sfagent.db.base import utcnow
from sfagent.errors import Conflict, NotFound
from sfagent.notifications.messages import NotificationEvent
from sfagent.notifications.models import NotificationChannel
from sfagent.notifications.repository import ChannelRepository
from sfagent.notifications.schemas import ChannelIn
from sfagent.outbox.service import enqueue
from sfagent.rules.actions import NotifyAction
from sfagent.security.audit import audit_change
from sfagent.tenancy.context import Tenant

DELIVER_JOB = "notifications.deliver"
log = structlog.get_logger(__name__)


class ChannelNotFound(NotFound):
    def __init__(self, channel_id: str) -> None:
        super().__init__(f"notification channel {channel_id} not found")


async def list_channels(session: AsyncSession, tenant: Tenant) -> list[NotificationChannel]:
    return await ChannelRepository(session, tenant.organization_id).all()


async def create_channel(
    session: AsyncSession, tenant: Tenant, data: ChannelIn, settings: Settings
) -> NotificationChannel:
    repository = ChannelRepository(session, tenant.organization_id)
    limit = settings.notification_channels_max_per_tenant
    if await repository.count() >= limit:
        raise Conflict(f"this organization already has {limit} notification channels")
    await _refuse_duplicate(repository, data, None)
    channel = NotificationChannel(organization_id=tenant.organization_id)
    _apply(channel, data)
    session.add(channel)
    await _flush(session, data)
    await _audit(session, tenant, "notification_channel.created", channel)
    return channel


async def replace_channel(
    session: AsyncSession, tenant: Tenant, channel_id: str, data: ChannelIn
) -> NotificationChannel:
    repository = ChannelRepository(session, tenant.organization_id)
    channel = await _get(repository, channel_id)
    await _refuse_duplicate(repository, data, channel.id)
    keep_secret = data.secret is None and data.method == channel.method == "webhook"
    secret = channel.secret
    _apply(channel, data)
    if keep_secret:
        channel.secret = secret  # a read channel sent back whole keeps its secret
    channel.updated_at = utcnow()
    await _flush(session, data)
    await _audit(session, tenant, "notification_channel.replaced", channel)
    return channel


async def delete_channel(session: AsyncSession, tenant: Tenant, channel_id: str) -> None:
    repository = ChannelRepository(session, tenant.organization_id)
    channel = await _get(repository, channel_id)
    await session.delete(channel)
    await _audit(session, tenant, "notification_channel.deleted", channel)
    await session.flush()


async def send_test(session: AsyncSession, tenant: Tenant, channel_id: str) -> str:
    """Queue a test notification to the channel; return the job id."""
    channel = await _get(ChannelRepository(session, tenant.organization_id), channel_id)
    event = NotificationEvent(
        kind="test",
        organization_id=tenant.organization_id,
        title=f"Test notification for {channel.name} ({channel.method})",
        reason=f"sent by {tenant.principal.label}",
        occurred_at=utcnow().isoformat(),
    )
    job = await _enqueue(session, channel, event)
    return job


async def notify_escalation(
    session: AsyncSession, organization_id: str, event: NotificationEvent
) -> int:
    """Queue the escalation for every enabled channel subscribed to escalations."""
    repository = ChannelRepository(session, organization_id)
    channels = await repository.escalation_subscribers()
    for channel in channels:
        await _enqueue(session, channel, event)
    return len(channels)


async def notify_recipients(
    session: AsyncSession,
    organization_id: str,
    actions: Iterable[NotifyAction],
    event: NotificationEvent,
) -> list[str]:
    """Queue a notification per rule notify action; return the recipients no enabled channel
    matches (recorded on the turn, so an admin sees the rule points nowhere)."""
    repository = ChannelRepository(session, organization_id)
    missing = []
    for action in actions:
        channel = await repository.find(action.recipient, action.method)
        if channel is None or not channel.enabled:
            missing.append(f"{action.recipient} ({action.method})")
            continue
        await _enqueue(session, channel, event)
    if missing:
        log.warning("notifications.unmatched", organization_id=organization_id, missing=missing)
    return missing


async def _enqueue(
    session: AsyncSession, channel: NotificationChannel, event: NotificationEvent
) -> str:
    job = await enqueue(
        session,
        name=DELIVER_JOB,
        payload={"channel_id": channel.id, "event": event.to_json()},
        organization_id=channel.organization_id,
    )
    return job.id


async def _get(repository: ChannelRepository, channel_id: str) -> NotificationChannel:
    channel = await repository.get(channel_id)
    if channel is None:
        raise ChannelNotFound(channel_id)
    return channel


async def _refuse_duplicate(
    repository: ChannelRepository, data: ChannelIn, own_id: str | None
) -> None:
    existing = await repository.find(data.name, data.method)
    if existing is not None and existing.id != own_id:
        raise Conflict(f"a {data.method} channel named {data.name!r} already exists")


def _apply(channel: NotificationChannel, data: ChannelIn) -> None:
    channel.name = data.name
    channel.method = data.method
    channel.target = data.target
    channel.secret = data.secret
    channel.on_escalation = data.on_escalation
    channel.enabled = data.enabled


async def _flush(session: AsyncSession, data: ChannelIn) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same name and method
        raise Conflict(f"a {data.method} channel named {data.name!r} already exists") from exc


async def _audit(
    session: AsyncSession, tenant: Tenant, action: str, channel: NotificationChannel
) -> None:
    details = {"name": channel.name, "method": channel.method}
    await audit_change(session, tenant, action, channel.id, details)
