"""The outbox job that delivers one notification through one channel."""

from __future__ import annotations

from typing import Any

import structlog

from sfagent.db.engine import bind_tenant
from sfagent.notifications.delivery import DeliveryFailed, Destination, deliver
from sfagent.notifications.messages import NotificationEvent
from sfagent.notifications.repository import ChannelRepository
from sfagent.notifications.service import DELIVER_JOB
from sfagent.outbox.registry import JobContext, JobHandler, PermanentJobError

log = structlog.get_logger(__name__)


async def deliver_notification(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send it; a refusal dead-letters the job, unreachable receivers are retried."""
    if ctx.organization_id is None or "channel_id" not in payload or "event" not in payload:
        raise PermanentJobError("notification job lacks organization, channel or event")
    async with ctx.sessionmaker() as session, session.begin():
        await bind_tenant(session, ctx.organization_id)
        repository = ChannelRepository(session, ctx.organization_id)
        channel = await repository.get(str(payload["channel_id"]))
        if channel is None or not channel.enabled:
            # Deleted or switched off after the job was queued: the admin's latest word wins.
            log.info("notifications.skipped", channel_id=payload["channel_id"])
            return
        destination = Destination(channel.method, channel.target, channel.secret)
    event = NotificationEvent.from_json(dict(payload["event"]))
    try:
        await deliver(destination, event, ctx.settings)
    except DeliveryFailed as exc:
        raise PermanentJobError(str(exc)) from exc


HANDLERS: dict[str, JobHandler] = {DELIVER_JOB: deliver_notification}
