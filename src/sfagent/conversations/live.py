"""A conversation, live over a WebSocket: `/api/v1/conversations/{id}/live`.

Browsers cannot set headers on a WebSocket, so the credential may come as `?access_token=`
(an end-user JWT or a staff token) as well as in the usual headers. Frames are JSON:

    server → client   {"type": "ready", "conversation_id", "last_sequence"}
                      {"type": "message", "message": {...MessageOut}}
                      {"type": "typing", "active": true|false}
                      {"type": "status", "status", "dialogue_state", "csat_score"}  (on change)
                      {"type": "error", "status": 422, "error": "...", "details": {...}}
                      {"type": "pong"}
    client → server   {"type": "message", "content": "..."}   (runs the whole pipeline)
                      {"type": "ping"}

Delivery is by sequence: whatever wakes the connection (a backplane event from any process,
its own message, a periodic resync) sends the messages after the last one this socket sent,
in order. A client that reconnects with `?after=<last sequence it saw>` gets exactly what it
missed: nothing lost, nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from sfagent.conversations import service
from sfagent.conversations.schemas import CONTENT_CEILING, MessageCreate, MessageOut
from sfagent.conversations.tasks import conversation_channel
from sfagent.db.engine import bind_tenant
from sfagent.db.pagination import encode_cursor
from sfagent.errors import SfagentError, ValidationFailed
from sfagent.tenancy.context import Scope, Tenant
from sfagent.tenancy.dependencies import (
    authenticate_credentials,
    client_address,
    require_scope,
)

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])
log = structlog.get_logger(__name__)

# A missed backplane event (say, published while the subscription was being set up) is
# picked up by this periodic resync at the latest.
RESYNC_SECONDS = 10.0
REPLAY_PAGE = 100
MAX_SEQUENCE = 2**31 - 1
# Close codes: 4000 + the HTTP status the same failure gets over REST.
CLOSE_BASE = 4000


@router.websocket("/{conversation_id}/live")
async def live(
    websocket: WebSocket,
    conversation_id: str,
    after: int = 0,
    access_token: str | None = None,
) -> None:
    # Accepted before the checks: a browser cannot read a refused handshake's status, but it
    # can read a close code and reason.
    await websocket.accept()
    try:
        tenant = await _authenticate(websocket, access_token)
        await _check_visible(websocket, tenant, conversation_id)
    except SfagentError as exc:
        await websocket.close(code=CLOSE_BASE + exc.status_code, reason=exc.message[:120])
        return
    # Sequences are 32-bit: a larger `after` means "nothing yet", not a database error.
    connection = LiveConnection(
        websocket, tenant, conversation_id, min(max(after, 0), MAX_SEQUENCE)
    )
    with contextlib.suppress(WebSocketDisconnect):
        await connection.run()


async def _authenticate(websocket: WebSocket, access_token: str | None) -> Tenant:
    state = websocket.app.state
    authorization = websocket.headers.get("authorization")
    if access_token:
        authorization = f"Bearer {access_token}"
    async with state.read_sessionmaker() as session:
        tenant = await authenticate_credentials(
            websocket.app,
            session,
            state.settings,
            api_key=websocket.headers.get("x-api-key"),
            authorization=authorization,
            address=client_address(websocket),
        )
    require_scope(tenant, Scope.CONVERSATIONS_READ)
    return tenant


async def _check_visible(websocket: WebSocket, tenant: Tenant, conversation_id: str) -> None:
    async with websocket.app.state.read_sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        await service.get_conversation(session, tenant=tenant, conversation_id=conversation_id)


CLEANUP_SECONDS = 5.0


class LiveConnection:
    def __init__(
        self, websocket: WebSocket, tenant: Tenant, conversation_id: str, after: int
    ) -> None:
        self.websocket = websocket
        self.state = websocket.app.state
        self.tenant = tenant
        self.conversation_id = conversation_id
        self.last_sequence = after
        self.last_status: dict[str, Any] | None = None
        self._send_lock = asyncio.Lock()
        self.channel = conversation_channel(tenant.organization_id, conversation_id)

    async def run(self) -> None:
        await self.send({"type": "ready", "conversation_id": self.conversation_id})
        await self.catch_up()
        background = [
            asyncio.create_task(self._listen(), name="live-listen"),
            asyncio.create_task(self._resync(), name="live-resync"),
        ]
        try:
            await self._receive()  # until the client goes away
        finally:
            for task in background:
                task.cancel()
            # Bounded: a subscription cancelled while it is still connecting can take long
            # to unwind (redis-py), and the handler must not wait on it.
            await asyncio.wait(background, timeout=CLEANUP_SECONDS)

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_text(json.dumps(frame, default=str))

    async def catch_up(self) -> None:
        """Send every message after the last one sent, oldest first; then the conversation's
        status when it changed (resolved by a person, say)."""
        async with self._send_lock:
            while True:
                messages, status = await self._messages_after(self.last_sequence)
                for message in messages:
                    frame = {"type": "message", "message": message.model_dump(mode="json")}
                    await self.websocket.send_text(json.dumps(frame))
                    self.last_sequence = message.sequence
                if len(messages) < REPLAY_PAGE:
                    break
            if status != self.last_status:
                self.last_status = status
                await self.websocket.send_text(json.dumps({"type": "status", **status}))

    async def _messages_after(self, sequence: int) -> tuple[list[MessageOut], dict[str, Any]]:
        async with self.state.read_sessionmaker() as session:
            await bind_tenant(session, self.tenant.organization_id)
            page = await service.list_messages(
                session,
                tenant=self.tenant,
                conversation_id=self.conversation_id,
                cursor=encode_cursor([sequence]) if sequence else None,
                limit=REPLAY_PAGE,
            )
            view = await service.get_conversation(
                session, tenant=self.tenant, conversation_id=self.conversation_id
            )
        conversation = view.conversation
        status = {
            "status": conversation.status,
            "dialogue_state": conversation.dialogue_state,
            "csat_score": conversation.csat_score,
        }
        return [MessageOut.model_validate(message) for message in page.items], status

    async def _listen(self) -> None:
        async for _event in self.state.backplane.subscribe(self.channel):
            await self.catch_up()

    async def _resync(self) -> None:
        while True:
            await asyncio.sleep(RESYNC_SECONDS)
            await self.catch_up()

    async def _receive(self) -> None:
        while True:
            raw = await self.websocket.receive_text()
            try:
                await self._handle(raw)
            except SfagentError as exc:
                await self.send(
                    {
                        "type": "error",
                        "status": exc.status_code,
                        "error": exc.message,
                        "details": exc.details,
                    }
                )

    async def _handle(self, raw: str) -> None:
        if len(raw) > CONTENT_CEILING * 2:
            raise ValidationFailed("frame", f"is {len(raw)} characters; the limit is far lower")
        try:
            frame = json.loads(raw)
        except ValueError as exc:
            raise ValidationFailed("frame", "must be a JSON object") from exc
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "ping":
            await self.send({"type": "pong"})
            return
        if kind != "message":
            raise ValidationFailed("type", "must be 'message' or 'ping'")
        try:
            body = MessageCreate.model_validate({"content": frame.get("content")})
        except ValidationError as exc:
            raise ValidationFailed("content", "must be a non-empty string") from exc
        await self._post(body.content)

    async def _post(self, content: str) -> None:
        require_scope(self.tenant, Scope.CONVERSATIONS_WRITE)
        await self.state.rate_limiter.enforce(self.tenant)
        await self.send({"type": "typing", "active": True})
        try:
            await self._run_turn(content)
        finally:
            await self.send({"type": "typing", "active": False})
        await self.catch_up()
        # Other tabs, the agent console and other processes learn of the turn.
        await self.state.backplane.publish(
            self.channel, json.dumps({"type": "message.created", "by": "customer"})
        )

    async def _run_turn(self, content: str) -> None:
        lock = self.state.sqlite_write_lock
        async with lock or contextlib.nullcontext(), self.state.sessionmaker() as session:
            await bind_tenant(session, self.tenant.organization_id)
            try:
                await service.post_message(
                    session,
                    tenant=self.tenant,
                    conversation_id=self.conversation_id,
                    content=content,
                    nlu=self.state.nlu,
                    knowledge=self.state.knowledge,
                    llm=self.state.llm,
                )
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
