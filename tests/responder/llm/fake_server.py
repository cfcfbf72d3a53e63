"""A scripted LLM server on 127.0.0.1 speaking the OpenAI and Anthropic wire formats.

Plain asyncio, one request per connection (`Connection: close`), so the test controls every
byte: JSON answers, SSE streams, error statuses with headers, and hangs longer than the
client's timeout. Every request is recorded, so a test can prove a call never went out.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"
DEFAULT_TEXT = "Use Database.update(records, false) to keep the valid rows [kb-1]."
_HANG_SECONDS = 30.0
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}


@dataclass(frozen=True)
class Reply:
    """One scripted answer; `hang` sleeps before answering, `stall` after the first delta."""

    status: int = 200
    text: str = DEFAULT_TEXT
    headers: dict[str, str] = field(default_factory=dict)
    prompt_tokens: int = 42
    completion_tokens: int = 17
    hang: bool = False
    stall: bool = False


def error(status: int, **headers: str) -> Reply:
    return Reply(status=status, headers={k.replace("_", "-"): v for k, v in headers.items()})


HANG = Reply(hang=True)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeLLMServer:
    """Answers from per-path scripts; when a script runs out, answers 200 with DEFAULT_TEXT."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, path: str, *replies: Reply) -> None:
        self._scripts[path].extend(replies)

    def count(self, path: str) -> int:
        return sum(1 for request in self.requests if request.path == path)

    def last(self, path: str) -> RecordedRequest:
        return [request for request in self.requests if request.path == path][-1]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        # Hanging handlers would outlive the test; they are ours to cancel.
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            request = await _read_request(reader)
            self.requests.append(request)
            script = self._scripts[request.path]
            reply = script.popleft() if script else Reply()
            await self._answer(writer, request, reply)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up (its timeout); nothing left to answer
        finally:
            self._handlers.discard(task)
            writer.close()

    async def _answer(
        self, writer: asyncio.StreamWriter, request: RecordedRequest, reply: Reply
    ) -> None:
        if reply.hang:
            await asyncio.sleep(_HANG_SECONDS)
        anthropic = request.path == ANTHROPIC_PATH
        if reply.status != 200:
            body = _anthropic_error(reply) if anthropic else _openai_error(reply)
            await _send_json(writer, reply.status, body, reply.headers)
        elif not request.body.get("stream"):
            model = str(request.body.get("model"))
            body = (
                _anthropic_message(model, reply) if anthropic else _openai_completion(model, reply)
            )
            await _send_json(writer, 200, body, reply.headers)
        else:
            model = str(request.body.get("model"))
            events = _anthropic_events(model, reply) if anthropic else _openai_chunks(model, reply)
            # Stall right after the first text delta (Anthropic sends two events before it).
            stall_after = (2 if anthropic else 1) if reply.stall else None
            await _send_stream(writer, events, stall_after=stall_after)


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest:
    request_line = (await reader.readline()).decode()
    headers: dict[str, str] = {}
    while (line := (await reader.readline()).decode().strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    raw = await reader.readexactly(int(headers.get("content-length", "0")))
    path = request_line.split(" ")[1].split("?")[0]
    return RecordedRequest(path, headers, json.loads(raw) if raw else {})


async def _send_json(
    writer: asyncio.StreamWriter, status: int, body: dict[str, Any], headers: dict[str, str]
) -> None:
    payload = json.dumps(body).encode()
    head = _head(status, {"content-type": "application/json", **headers})
    writer.write(head + f"content-length: {len(payload)}\r\n\r\n".encode() + payload)
    await writer.drain()


async def _send_stream(
    writer: asyncio.StreamWriter, events: list[str], *, stall_after: int | None
) -> None:
    # No content-length: the body ends when the connection closes.
    writer.write(_head(200, {"content-type": "text/event-stream"}) + b"\r\n")
    for number, event in enumerate(events):
        writer.write(event.encode())
        await writer.drain()
        if number == stall_after:
            await asyncio.sleep(_HANG_SECONDS)


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", "connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n").encode()


def _pieces(text: str) -> list[str]:
    return re.findall(r"\S+\s*", text)


def _openai_completion(model: str, reply: Reply) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text},
                "finish_reason": "stop",
            }
        ],
        "usage": _openai_usage(reply),
    }


def _openai_usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }


def _openai_chunks(model: str, reply: Reply) -> list[str]:
    def chunk(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> str:
        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": choices,
            "usage": usage,
        }
        return f"data: {json.dumps(body)}\n\n"

    events = [chunk([{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}])]
    events += [
        chunk([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
        for piece in _pieces(reply.text)
    ]
    events.append(chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    events.append(chunk([], _openai_usage(reply)))
    return [*events, "data: [DONE]\n\n"]


def _openai_error(reply: Reply) -> dict[str, Any]:
    return {"error": {"message": f"scripted {reply.status}", "type": "server_error"}}


def _anthropic_message(model: str, reply: Reply) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": reply.text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": reply.prompt_tokens, "output_tokens": reply.completion_tokens},
    }


def _anthropic_events(model: str, reply: Reply) -> list[str]:
    def event(name: str, body: dict[str, Any]) -> str:
        return f"event: {name}\ndata: {json.dumps({'type': name, **body})}\n\n"

    start = {**_anthropic_message(model, reply), "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": reply.prompt_tokens, "output_tokens": 1}
    events = [
        event("message_start", {"message": start}),
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
    ]
    events += [
        event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": piece}})
        for piece in _pieces(reply.text)
    ]
    events += [
        event("content_block_stop", {"index": 0}),
        event(
            "message_delta",
            {
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": reply.completion_tokens},
            },
        ),
        event("message_stop", {}),
    ]
    return events


def _anthropic_error(reply: Reply) -> dict[str, Any]:
    kind = "rate_limit_error" if reply.status == 429 else "api_error"
    return {"type": "error", "error": {"type": kind, "message": f"scripted {reply.status}"}}
