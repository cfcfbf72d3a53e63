"""Conversations live over a WebSocket, against real server processes: a customer chats, a
person's reply arrives live (internal notes never do), a reconnect gets exactly what was
missed, and with Redis a reply posted on one process reaches a socket on another."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import Stack
from tests.e2e.servers import (
    CreatedTenant,
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

# How long one frame may take: the agent's reply travels through the outbox worker (polling
# every second) and the backplane. A bound on waiting, not an assertion on speed.
FRAME_WAIT_SECONDS = 30.0


def end_user_token(env: dict[str, str], tenant: CreatedTenant, user: str, cwd: Path) -> str:
    result = run_cli(env, "token", "end-user", "--org", tenant.slug, "--user", user, cwd=cwd)
    return result.stdout.strip().splitlines()[-1]


def ws_url(server: Server, conversation: str, token: str, after: int = 0) -> str:
    base = server.base_url.replace("http://", "ws://")
    return f"{base}/api/v1/conversations/{conversation}/live?access_token={token}&after={after}"


def frames_until(socket: ClientConnection, done: Any) -> list[dict[str, Any]]:
    """Frames received until `done(frame)` is true (each within FRAME_WAIT_SECONDS)."""
    frames = []
    while True:
        frame = json.loads(socket.recv(timeout=FRAME_WAIT_SECONDS))
        frames.append(frame)
        if done(frame):
            return frames


def message_frames(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [frame["message"] for frame in frames if frame["type"] == "message"]


def is_message_with_role(role: str) -> Any:
    return lambda frame: frame["type"] == "message" and frame["message"]["role"] == role


def escalation_of(client: httpx.Client, tenant: CreatedTenant) -> str:
    items = client.get("/api/v1/escalations", headers=tenant.headers).json()["items"]
    assert len(items) == 1, items
    return str(items[0]["id"])


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    env = sqlite_env(tmp_path / "live.db")
    with running_server(env, tmp_path, migrate=True) as server:
        yield server, env


def test_customer_chats_live_and_a_person_replies(
    sqlite_server: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    server, env = sqlite_server
    tenant = create_tenant(env, unique("Live"), cwd=tmp_path)
    token = end_user_token(env, tenant, "alice", tmp_path)
    customer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        conversation = client.post("/api/v1/conversations", json={}, headers=customer).json()["id"]
        with connect(ws_url(server, conversation, token)) as socket:
            opening = frames_until(socket, is_message_with_role("assistant"))
            assert opening[0] == {"type": "ready", "conversation_id": conversation}
            socket.send(json.dumps({"type": "message", "content": "I want to talk to a person"}))
            turn = frames_until(socket, is_message_with_role("assistant"))
            assert {"type": "typing", "active": True} in turn
            roles = [(m["sequence"], m["role"]) for m in message_frames(turn)]
            assert roles == [(2, "user"), (3, "assistant")]
            assert "person" in message_frames(turn)[-1]["content"]

            escalation = escalation_of(client, tenant)
            base = f"/api/v1/escalations/{escalation}/messages"
            note = {"content": "VIP customer", "internal": True}
            assert client.post(base, json=note, headers=tenant.headers).status_code == 201
            reply = {"content": "Hi Alice, Sam here. Looking at it now."}
            assert client.post(base, json=reply, headers=tenant.headers).status_code == 201
            live = frames_until(socket, is_message_with_role("agent"))
            assert [m["role"] for m in message_frames(live)] == ["agent"]
            assert message_frames(live)[0]["content"] == reply["content"]

            socket.send("not json")
            error = frames_until(socket, lambda frame: frame["type"] == "error")
            assert error[-1]["status"] == 422 and "JSON" in error[-1]["error"]

        # Back after a drop, having seen up to sequence 2: exactly what was missed.
        with connect(ws_url(server, conversation, token, after=2)) as socket:
            again = frames_until(socket, is_message_with_role("agent"))
            assert [m["sequence"] for m in message_frames(again)] == [3, 5]


def test_refused_sockets_are_closed_with_the_http_status_and_why(
    sqlite_server: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    server, env = sqlite_server
    tenant = create_tenant(env, unique("Live"), cwd=tmp_path)
    stranger = create_tenant(env, unique("Other"), cwd=tmp_path)
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        created = client.post("/api/v1/conversations", json={}, headers=tenant.headers)
        conversation = created.json()["id"]
    cases = [
        ("not-a-token", 4401),
        (end_user_token(env, stranger, "eve", tmp_path), 4404),  # another tenant's conversation
    ]
    for token, code in cases:
        with (
            connect(ws_url(server, conversation, token)) as socket,
            pytest.raises(ConnectionClosed) as closed,
        ):
            socket.recv(timeout=FRAME_WAIT_SECONDS)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == code and closed.value.rcvd.reason


@pytest.fixture
def redis_prefix(postgres_stack: Stack) -> Iterator[str]:
    prefix = f"{unique('sfagent-e2e-live')}:"
    yield prefix
    assert postgres_stack.settings.redis_url
    flush_redis_prefix(postgres_stack.settings.redis_url, prefix)


def test_a_reply_posted_on_one_process_reaches_a_socket_on_another(
    postgres_stack: Stack, redis_prefix: str, tmp_path: Path
) -> None:
    env = postgres_env(postgres_stack.settings, redis_prefix=redis_prefix)
    tenant = create_tenant(env, unique("Live Fan-out"), cwd=tmp_path)
    token = end_user_token(env, tenant, "bob", tmp_path)
    with (
        running_server(env, tmp_path, name="a") as first,
        running_server(env, tmp_path, name="b") as second,
        httpx.Client(base_url=first.base_url, timeout=30) as on_first,
    ):
        customer = {"Authorization": f"Bearer {token}"}
        created = on_first.post("/api/v1/conversations", json={}, headers=customer)
        conversation = created.json()["id"]
        with connect(ws_url(second, conversation, token)) as socket:
            frames_until(socket, is_message_with_role("assistant"))  # the greeting
            escalate = {"content": "I want to talk to a real person"}
            posted = on_first.post(
                f"/api/v1/conversations/{conversation}/messages", json=escalate, headers=customer
            )
            assert posted.status_code == 200, posted.text
            escalation = escalation_of(on_first, tenant)
            reply = {"content": "Hello Bob, a person here."}
            sent = on_first.post(
                f"/api/v1/escalations/{escalation}/messages", json=reply, headers=tenant.headers
            )
            assert sent.status_code == 201, sent.text
            live = frames_until(socket, is_message_with_role("agent"))
            assert message_frames(live)[-1]["content"] == reply["content"]
            # The customer's REST turn arrived too, in order, before the agent's reply.
            assert [m["role"] for m in message_frames(live)] == ["user", "assistant", "agent"]
