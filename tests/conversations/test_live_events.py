"""A REST-posted turn tells the conversation's live sockets to catch up, after it commits."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from sfagent.conversations.tasks import conversation_channel
from tests.conftest import Harness, TenantHandle

PROBE = json.dumps({"type": "probe"})
PROBES = 200  # x PROBE_WAIT: how long a subscription may take to register (not a speed test)
PROBE_WAIT = 0.05


@contextlib.asynccontextmanager
async def listening(backplane: Any, channel: str) -> AsyncIterator[asyncio.Queue[str]]:
    """Events of `channel`, from the moment the subscription is known to be registered."""
    received: asyncio.Queue[str] = asyncio.Queue()

    async def read() -> None:
        async for event in backplane.subscribe(channel):
            await received.put(event)

    reader = asyncio.create_task(read())
    try:
        for _ in range(PROBES):
            await backplane.publish(channel, PROBE)
            with contextlib.suppress(TimeoutError):
                if await asyncio.wait_for(received.get(), PROBE_WAIT) == PROBE:
                    break
        while not received.empty():  # late probes
            received.get_nowait()
        yield received
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def next_event(received: asyncio.Queue[str]) -> dict[str, Any]:
    while True:
        event = await asyncio.wait_for(received.get(), timeout=30)
        if event != PROBE:
            decoded: dict[str, Any] = json.loads(event)
            return decoded


async def test_a_posted_turn_is_announced_on_the_conversation_channel(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    channel = conversation_channel(tenant.organization_id, conversation)
    async with listening(harness.app.state.backplane, channel) as received:
        await harness.say(tenant, "How do I create a report?", conversation)
        assert await next_event(received) == {"type": "message.created", "by": "api"}


async def test_a_refused_turn_announces_nothing(harness: Harness, tenant: TenantHandle) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    channel = conversation_channel(tenant.organization_id, conversation)
    backplane = harness.app.state.backplane
    async with listening(backplane, channel) as received:
        response = await harness.client.post(
            f"/api/v1/conversations/{conversation}/messages",
            json={"content": "   "},
            headers=tenant.headers,
        )
        assert response.status_code == 422
        # The app is done with the request, background work included: a marker published
        # now must come first, or the refused turn announced something.
        await backplane.publish(channel, json.dumps({"type": "marker"}))
        assert await next_event(received) == {"type": "marker"}
