"""Rate-limit counters are shared across server processes through Redis, and only then.

Two real `sfagent serve` processes answer alternating requests made with one API key.
On the Redis backplane they share one counter, so the tier's limit holds for the
deployment as a whole; on the in-memory backplane each process counts on its own, so the
deployment lets through the limit once per process. That difference is why a deployment
running more than one process needs SFAGENT_REDIS_URL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

LIMIT = 10
WINDOW_SECONDS = 60  # the default SFAGENT_RATE_LIMIT_WINDOW_SECONDS
REQUESTS_PER_SERVER = 13  # more than LIMIT, so each process alone could exceed it
# The free tier's limit, one field changed through the nested env delimiter.
LIMIT_ENV = {"SFAGENT_TIERS__FREE__REQUESTS_PER_MINUTE": str(LIMIT)}
# A burst started this close to the end of a fixed window could straddle two windows.
WINDOW_MARGIN_SECONDS = 5.0


@dataclass(frozen=True)
class Reply:
    server: int  # which process answered: 0 or 1
    status: int
    headers: httpx.Headers
    body: dict[str, Any]

    def header_int(self, name: str) -> int:
        return int(self.headers[name])


@pytest.fixture
def redis_prefix(postgres_stack: Stack) -> Iterator[str]:
    """A private Redis key prefix, deleted after the test."""
    prefix = f"{unique('sfagent-e2e-rl')}:"
    yield prefix
    assert postgres_stack.settings.redis_url
    flush_redis_prefix(postgres_stack.settings.redis_url, prefix)


def wait_for_a_fresh_window() -> None:
    """Sleep into the next fixed window when this one is about to end (not an assertion)."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < WINDOW_MARGIN_SECONDS:
        time.sleep(left + 0.25)


def alternate_requests(servers: list[Server], headers: dict[str, str], total: int) -> list[Reply]:
    """GET /api/v1/me `total` times, one after another, alternating between the servers."""
    replies: list[Reply] = []
    with ExitStack() as exits:
        clients = [
            exits.enter_context(httpx.Client(base_url=server.base_url, timeout=30.0))
            for server in servers
        ]
        wait_for_a_fresh_window()
        for index in range(total):
            which = index % len(clients)
            response = clients[which].get("/api/v1/me", headers=headers)
            replies.append(Reply(which, response.status_code, response.headers, response.json()))
    return replies


def describe(replies: list[Reply], servers: list[Server]) -> str:
    lines = [
        f"#{i} server={r.server} status={r.status} "
        f"remaining={r.headers.get('X-RateLimit-Remaining')} "
        f"reset={r.headers.get('X-RateLimit-Reset')} body={json.dumps(r.body)[:200]}"
        for i, r in enumerate(replies)
    ]
    return "\n".join([*lines, *(server.describe() for server in servers)])


def assert_one_window(replies: list[Reply], context: str) -> int:
    """Every reply counted in the same fixed window; returns the window's end (epoch s)."""
    resets = {reply.header_int("X-RateLimit-Reset") for reply in replies}
    assert len(resets) == 1, f"the burst straddled windows {sorted(resets)}\n{context}"
    reset = resets.pop()
    assert reset % WINDOW_SECONDS == 0, context
    return reset


def assert_limited(reply: Reply, context: str) -> None:
    """A 429 that tells the caller the limit, that none is left and when to retry."""
    assert reply.status == 429, context
    assert set(reply.body) == {"error", "details"}, context
    assert isinstance(reply.body["error"], str) and reply.body["error"], context
    details = reply.body["details"]
    retry_after = details["retry_after"]
    assert isinstance(retry_after, int) and 1 <= retry_after <= WINDOW_SECONDS, context
    assert details["limit"] == LIMIT, context
    assert reply.headers["Retry-After"] == str(retry_after), context
    assert reply.headers["X-RateLimit-Limit"] == str(LIMIT), context
    assert reply.headers["X-RateLimit-Remaining"] == "0", context
    assert "X-RateLimit-Reset" in reply.headers, context


def test_redis_backplane_shares_the_limit_across_two_processes(
    postgres_stack: Stack, redis_prefix: str, tmp_path: Path
) -> None:
    env = postgres_env(
        postgres_stack.settings,
        redis_prefix=redis_prefix,
        **LIMIT_ENV,
    )
    tenant = create_tenant(env, unique("Shared Limit"), cwd=tmp_path)
    total = 2 * REQUESTS_PER_SERVER

    with (
        running_server(env, tmp_path, name="a") as first,
        running_server(env, tmp_path, name="b") as second,
    ):
        servers = [first, second]
        replies = alternate_requests(servers, tenant.headers, total)
        context = describe(replies, servers)

        # Sequential requests: the first LIMIT succeed whichever process answers, then 429s.
        statuses = [reply.status for reply in replies]
        assert statuses == [200] * LIMIT + [429] * (total - LIMIT), context
        allowed = replies[:LIMIT]
        assert {reply.server for reply in allowed} == {0, 1}, context
        assert all(reply.headers["X-RateLimit-Limit"] == str(LIMIT) for reply in allowed), context
        # One counter: the remaining allowance falls by one per request, across processes.
        remaining = [reply.header_int("X-RateLimit-Remaining") for reply in allowed]
        assert remaining == list(range(LIMIT - 1, -1, -1)), context
        for reply in replies[LIMIT:]:
            assert_limited(reply, context)
        # Both processes answered 429s too: neither kept a private allowance.
        assert {reply.server for reply in replies[LIMIT:]} == {0, 1}, context
        window_end = assert_one_window(replies, context)

    # The shared counter lives in Redis under the private prefix and saw every request.
    key_id = allowed[0].body["principal"]["id"]
    window_index = window_end // WINDOW_SECONDS - 1
    from redis import Redis

    assert postgres_stack.settings.redis_url
    redis = Redis.from_url(postgres_stack.settings.redis_url, decode_responses=True)
    try:
        counted = redis.get(f"{redis_prefix}rl:key:{key_id}:{window_index}")
        org_counted = redis.get(f"{redis_prefix}rl:org:{tenant.organization_id}:{window_index}")
    finally:
        redis.close()
    assert counted == str(total), context
    assert org_counted == str(total), context


def test_memory_backplane_counts_per_process(tmp_path: Path) -> None:
    """The control: without Redis each process has its own counter."""
    env = sqlite_env(tmp_path / "sfagent.db", **LIMIT_ENV)
    assert "SFAGENT_REDIS_URL" not in env
    run_cli(env, "db", "upgrade", cwd=tmp_path)
    tenant = create_tenant(env, unique("Split Limit"), cwd=tmp_path)
    total = 2 * REQUESTS_PER_SERVER

    with (
        running_server(env, tmp_path, name="a") as first,
        running_server(env, tmp_path, name="b") as second,
    ):
        servers = [first, second]
        replies = alternate_requests(servers, tenant.headers, total)
        context = describe(replies, servers)

        succeeded = [reply for reply in replies if reply.status == 200]
        assert len(succeeded) > LIMIT, context
        for which in (0, 1):
            own = [reply for reply in replies if reply.server == which]
            statuses = [reply.status for reply in own]
            # Each process lets the full limit through on its own...
            assert statuses == [200] * LIMIT + [429] * (len(own) - LIMIT), context
            # ...counting down from its own private allowance.
            remaining = [reply.header_int("X-RateLimit-Remaining") for reply in own[:LIMIT]]
            assert remaining == list(range(LIMIT - 1, -1, -1)), context
            for reply in own[LIMIT:]:
                assert_limited(reply, context)
        assert len(succeeded) == 2 * LIMIT, context
        assert_one_window(replies, context)
