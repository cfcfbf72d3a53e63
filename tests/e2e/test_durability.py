"""A message acknowledged with 2xx is durably stored: it survives the server being killed."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Stack
from tests.e2e.servers import (
    Server,
    create_tenant,
    flush_redis_prefix,
    postgres_env,
    run_cli,
    running_server,
    sqlite_env,
    unique,
)

pytestmark = pytest.mark.e2e

MESSAGES = 30
KILL_AFTER = 12  # acknowledgements seen before the hard kill; the rest are in flight


@pytest.fixture(params=["sqlite", "postgres"])
def server_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        env = sqlite_env(tmp_path / "durable.db")
        run_cli(env, "db", "upgrade", cwd=tmp_path)
        yield env
        return
    stack: Stack = request.getfixturevalue("postgres_stack")
    prefix = f"sfagent-e2e-{uuid.uuid4().hex[:8]}:"
    try:
        yield postgres_env(stack.settings, redis_prefix=prefix)
    finally:
        assert stack.settings.redis_url is not None
        flush_redis_prefix(stack.settings.redis_url, prefix)


async def _post_until_kill(
    server: Server, headers: dict[str, str], conversations: list[str]
) -> set[str]:
    """Post concurrently; SIGKILL the server once KILL_AFTER replies arrived."""
    acknowledged: set[str] = set()
    killed = asyncio.Event()

    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:

        async def post(index: int) -> None:
            url = f"/api/v1/conversations/{conversations[index % len(conversations)]}/messages"
            try:
                response = await client.post(
                    url, json={"content": f"message {index}"}, headers=headers
                )
            except httpx.TransportError:
                return  # in flight when the server died: never acknowledged
            if response.status_code == 200:
                acknowledged.add(response.json()["user_message_id"])
                if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    os.killpg(server.process.pid, signal.SIGKILL)

        await asyncio.gather(*(post(index) for index in range(MESSAGES)))
    return acknowledged


def test_acknowledged_messages_survive_a_hard_kill(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    tenant = create_tenant(server_env, unique("Durable"), cwd=tmp_path)
    with running_server(server_env, tmp_path, name="first") as server:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            conversations = [
                client.post("/api/v1/conversations", json={}, headers=tenant.headers).json()["id"]
                for _ in range(5)
            ]
        acknowledged = asyncio.run(_post_until_kill(server, tenant.headers, conversations))
        server.process.wait(timeout=30)
    assert len(acknowledged) >= KILL_AFTER

    with running_server(server_env, tmp_path, name="second") as restarted:
        stored: set[str] = set()
        with httpx.Client(base_url=restarted.base_url, timeout=30) as client:
            for conversation_id in conversations:
                page = client.get(
                    f"/api/v1/conversations/{conversation_id}/messages",
                    params={"limit": 100},
                    headers=tenant.headers,
                ).json()
                stored |= {m["id"] for m in page["items"] if m["role"] == "user"}
    assert acknowledged <= stored, f"lost after a 2xx: {sorted(acknowledged - stored)}"
