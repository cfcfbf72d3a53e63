"""/ready follows the database: 503 while it is unreachable, 200 again once it is back.

The server talks to PostgreSQL through a TCP proxy in the test process. Stopping the
proxy refuses new connections and cuts the open ones, as a database outage or a network
partition would; starting it again on the same port is the database coming back. The
server process is never restarted.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import Stack
from tests.e2e.servers import (
    Server,
    create_tenant,
    flush_redis_prefix,
    postgres_env,
    running_server,
    unique,
    with_host_port,
)

pytestmark = pytest.mark.e2e

POLLS = 60  # x POLL_INTERVAL; each poll is also bounded by the server's 2 s database timeout
POLL_INTERVAL = 0.25
JOIN_TIMEOUT = 5.0


class TcpProxy:
    """Forward 127.0.0.1:port to an upstream address, one pair of threads per connection.

    stop() closes the listening socket (new connections are refused) and cuts every open
    connection; start() listens on the same port again.
    """

    def __init__(self, upstream: tuple[str, int], port: int = 0) -> None:
        self.upstream = upstream
        self.port = port
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self.accepted = 0

    def start(self) -> None:
        assert self._listener is None, "already running"
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", self.port))
        except OSError:
            listener.close()
            raise
        listener.listen(64)
        listener.settimeout(0.1)  # so the accept loop notices stop() promptly
        self.port = listener.getsockname()[1]
        self._stopping.clear()
        self._listener = listener
        self._spawn(self._accept_loop, listener)

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
            threads = list(self._threads)
            self._threads.clear()
        for connection in connections:
            _shutdown(connection)
        for thread in threads:
            thread.join(JOIN_TIMEOUT)
        for connection in connections:
            connection.close()

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed by stop()
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.upstream, timeout=JOIN_TIMEOUT)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._stopping.is_set():
                    client.close()
                    upstream.close()
                    return
                self._connections.update((client, upstream))
                self.accepted += 1
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            _shutdown(source)
            _shutdown(target)


def _shutdown(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def database_proxy(postgres_stack: Stack) -> Iterator[TcpProxy]:
    url = make_url(postgres_stack.settings.database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def redis_prefix(postgres_stack: Stack) -> Iterator[str]:
    prefix = f"{unique('sfagent-e2e-ready')}:"
    yield prefix
    assert postgres_stack.settings.redis_url
    flush_redis_prefix(postgres_stack.settings.redis_url, prefix)


def poll_ready(client: httpx.Client, status: int) -> httpx.Response:
    """GET /ready until it answers `status`, a bounded number of times."""
    response = client.get("/ready")
    for _ in range(POLLS - 1):
        if response.status_code == status:
            break
        time.sleep(POLL_INTERVAL)
        response = client.get("/ready")
    return response


def explain(response: httpx.Response, server: Server) -> str:
    return f"{response.status_code} {response.text}\n{server.describe()}"


def test_ready_follows_the_database_without_a_restart(
    postgres_stack: Stack, database_proxy: TcpProxy, redis_prefix: str, tmp_path: Path
) -> None:
    env = postgres_env(
        postgres_stack.settings,
        redis_prefix=redis_prefix,
        database_url=with_host_port(
            postgres_stack.settings.database_url, "127.0.0.1", database_proxy.port
        ),
        SFAGENT_DATABASE_TIMEOUT_SECONDS="2",
    )
    tenant = create_tenant(env, unique("Ready"), cwd=tmp_path)

    with (
        running_server(env, tmp_path) as server,
        httpx.Client(base_url=server.base_url, timeout=30.0) as client,
    ):
        # Up: ready, and the API answers.
        ready = client.get("/ready")
        assert ready.status_code == 200, explain(ready, server)
        assert ready.json()["checks"]["database"] == {"status": "ok"}
        listed = client.get("/api/v1/conversations", headers=tenant.headers)
        assert listed.status_code == 200, explain(listed, server)
        assert listed.json() == {"items": [], "next_cursor": None}, explain(listed, server)
        assert database_proxy.accepted > 0, "the server did not reach the database via the proxy"

        # Down: refuse new connections and cut the pooled ones.
        database_proxy.stop()
        down = poll_ready(client, 503)
        assert down.status_code == 503, explain(down, server)
        body = down.json()
        assert body["status"] == "unavailable", explain(down, server)
        assert body["checks"]["database"]["status"] == "error", explain(down, server)
        assert body["checks"]["database"]["error"], explain(down, server)
        assert body["checks"]["backplane"] == {"status": "ok"}, explain(down, server)

        for _ in range(3):  # every attempt, not just the first on a dead pooled connection
            failed = client.get("/api/v1/conversations", headers=tenant.headers)
            assert failed.status_code == 503, explain(failed, server)
            error = failed.json()
            assert set(error) == {"error", "details"}, explain(failed, server)
            assert isinstance(error["error"], str) and error["error"], explain(failed, server)
            assert "Retry-After" in failed.headers, explain(failed, server)

        # Back: the same port listens again; the same process recovers.
        database_proxy.start()
        up = poll_ready(client, 200)
        assert up.status_code == 200, explain(up, server)
        assert up.json()["checks"]["database"] == {"status": "ok"}
        again = client.get("/api/v1/conversations", headers=tenant.headers)
        assert again.status_code == 200, explain(again, server)
        assert again.json() == {"items": [], "next_cursor": None}, explain(again, server)
        assert server.process.poll() is None, server.describe()
