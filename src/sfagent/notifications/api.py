"""REST routes of notification channels, under /api/v1/admin/notification-channels."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sfagent.db.session import SessionDep
from sfagent.notifications import service
from sfagent.notifications.models import NotificationChannel
from sfagent.notifications.schemas import ChannelIn, ChannelList, ChannelOut, TestSent
from sfagent.tenancy.dependencies import NotificationsRead, NotificationsWrite, SettingsDep

router = APIRouter(prefix="/api/v1/admin/notification-channels", tags=["notifications"])


def channel_out(channel: NotificationChannel) -> ChannelOut:
    return ChannelOut(
        id=channel.id,
        name=channel.name,
        method=channel.method,
        target=channel.target,
        has_secret=bool(channel.secret),
        on_escalation=channel.on_escalation,
        enabled=channel.enabled,
        created_at=channel.created_at,
        updated_at=channel.updated_at,
    )


@router.get("", response_model=ChannelList)
async def list_channels(tenant: NotificationsRead, session: SessionDep) -> ChannelList:
    channels = await service.list_channels(session, tenant)
    return ChannelList(items=[channel_out(channel) for channel in channels])


@router.post("", status_code=201, response_model=ChannelOut)
async def create_channel(
    body: ChannelIn, tenant: NotificationsWrite, session: SessionDep, settings: SettingsDep
) -> ChannelOut:
    return channel_out(await service.create_channel(session, tenant, body, settings))


@router.put("/{channel_id}", response_model=ChannelOut)
async def replace_channel(
    channel_id: str, body: ChannelIn, tenant: NotificationsWrite, session: SessionDep
) -> ChannelOut:
    return channel_out(await service.replace_channel(session, tenant, channel_id, body))


@router.delete("/{channel_id}", status_code=204)
async def delete_channel(
    channel_id: str, tenant: NotificationsWrite, session: SessionDep
) -> Response:
    await service.delete_channel(session, tenant, channel_id)
    return Response(status_code=204)


@router.post("/{channel_id}/test", status_code=202, response_model=TestSent)
async def send_test(channel_id: str, tenant: NotificationsWrite, session: SessionDep) -> TestSent:
    """Queue a test notification; the worker delivers it (see the outbox for the outcome)."""
    return TestSent(job_id=await service.send_test(session, tenant, channel_id))
