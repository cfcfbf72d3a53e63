"""Real `sfagent` processes for end-to-end tests: servers, CLI calls, environments.

Every server runs from a private working directory (so no .env or ./var is shared), logs
to a file there, and is always terminated when its context manager exits. Waits are
bounded by a number of polls; nothing here asserts on elapsed time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from sfagent.config import Settings

SFAGENT = Path(sys.executable).parent / "sfagent"
# x POLL_INTERVAL: how long a server may take to answer /health. Generous: on a loaded
# 2-core runner two workers each importing the app took over 30 s; a server that never
# starts still fails, just later.
STARTUP_POLLS = 1200
POLL_INTERVAL = 0.1
# The first server on a fresh machine trains the shipped intent model before it is ready.
MODEL_POLLS = 1200
BIND_ATTEMPTS = 3  # a port picked by binding 0 can be taken by someone else before we use it
CLI_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def sfagent_env(settings: Mapping[str, str]) -> dict[str, str]:
    """The current environment without any SFAGENT_* variable, plus the given ones."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SFAGENT_")}
    env.update(settings)
    env.setdefault("SFAGENT_ENVIRONMENT", "test")
    env.setdefault("SFAGENT_WORKER_ENABLED", "0")
    env.setdefault("SFAGENT_LOG_JSON", "1")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def sqlite_env(database: Path, **extra: str) -> dict[str, str]:
    """Settings for an embedded SQLite file and the in-memory backplane."""
    return sfagent_env({"SFAGENT_DATABASE_URL": f"sqlite+aiosqlite:///{database}", **extra})


def postgres_env(
    settings: Settings, *, redis_prefix: str, database_url: str | None = None, **extra: str
) -> dict[str, str]:
    """Settings for the test PostgreSQL schema (app role, migration role) and Redis."""
    assert settings.database_schema and settings.migration_database_url and settings.redis_url
    return sfagent_env(
        {
            "SFAGENT_DATABASE_URL": database_url or settings.database_url,
            "SFAGENT_MIGRATION_DATABASE_URL": settings.migration_database_url,
            "SFAGENT_DATABASE_SCHEMA": settings.database_schema,
            "SFAGENT_REDIS_URL": settings.redis_url,
            "SFAGENT_REDIS_PREFIX": redis_prefix,
            **extra,
        }
    )


def with_host_port(url: str, host: str, port: int) -> str:
    """The database URL pointed at another host and port (e.g. a proxy)."""
    return make_url(url).set(host=host, port=port).render_as_string(hide_password=False)


def run_cli(
    env: Mapping[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `sfagent ARGS` and fail with its output when it does not exit 0."""
    result = subprocess.run(
        [str(SFAGENT), *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"`sfagent {' '.join(args)}` exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


@dataclass(frozen=True)
class CreatedTenant:
    organization_id: str
    slug: str
    tier: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


def create_tenant(env: Mapping[str, str], name: str, *, cwd: Path | None = None) -> CreatedTenant:
    """`sfagent tenant create NAME --json` with the servers' environment."""
    result = run_cli(env, "tenant", "create", name, "--json", cwd=cwd)
    lines = result.stdout.strip().splitlines()
    assert lines, f"no output from tenant create; stderr:\n{result.stderr}"
    created: dict[str, Any] = json.loads(lines[-1])
    return CreatedTenant(
        organization_id=created["organization_id"],
        slug=created["slug"],
        tier=created["tier"],
        api_key=created["api_key"],
    )


@dataclass
class Server:
    """A running `sfagent serve` process."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def describe(self) -> str:
        """The server's log, for assertion messages."""
        return f"--- server on port {self.port} (log {self.log_path}) ---\n{self.logs()[-6000:]}"


class ServerFailedToStart(RuntimeError):
    pass


@contextmanager
def running_server(
    env: Mapping[str, str],
    workdir: Path,
    *,
    port: int | None = None,
    migrate: bool = False,
    name: str = "server",
    workers: int = 1,
) -> Iterator[Server]:
    """Start `sfagent serve` on 127.0.0.1, wait until /health answers, always stop it.

    Without a port, a free one is picked (and picked again if another process takes it
    before the server binds it).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    attempts = 1 if port is not None else BIND_ATTEMPTS
    last_error: ServerFailedToStart | None = None
    for attempt in range(attempts):
        chosen = port if port is not None else free_port()
        log_path = workdir / f"{name}-{chosen}-{attempt}.log"
        command = [str(SFAGENT), "serve", "--host", "127.0.0.1", "--port", str(chosen)]
        if not migrate:
            command.append("--no-migrate")
        if workers > 1:
            command += ["--workers", str(workers)]
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command,
                env=dict(env),
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(chosen, process, log_path)
        try:
            _wait_until_healthy(server)
        except ServerFailedToStart as exc:
            _stop(process)
            last_error = exc
            if "address already in use" in server.logs().lower():
                continue
            raise
        except BaseException:
            _stop(process)
            raise
        try:
            yield server
        finally:
            _stop(process)
        return
    assert last_error is not None
    raise last_error


def _wait_until_healthy(server: Server) -> None:
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        for _ in range(STARTUP_POLLS):
            if server.process.poll() is not None:
                raise ServerFailedToStart(
                    f"sfagent serve exited with {server.process.returncode} before it was "
                    f"healthy\n{server.describe()}"
                )
            try:
                response = client.get("/health")
            except httpx.TransportError:
                response = None
            # Healthy, and still running: it is our process that answered, not a squatter.
            if (
                response is not None
                and response.status_code == 200
                and server.process.poll() is None
            ):
                _wait_until_models_loaded(client, server)
                return
            time.sleep(POLL_INTERVAL)
    raise ServerFailedToStart(
        f"sfagent serve did not answer /health after {STARTUP_POLLS} polls\n{server.describe()}"
    )


def _wait_until_models_loaded(client: httpx.Client, server: Server) -> None:
    """Poll /ready until its models check is ok (the database may be down on purpose)."""
    for _ in range(MODEL_POLLS):
        checks = client.get("/ready", timeout=10.0).json()["checks"]
        if checks["models"]["status"] == "ok":
            return
        time.sleep(POLL_INTERVAL)
    raise ServerFailedToStart(
        f"sfagent serve did not load its models after {MODEL_POLLS} polls\n{server.describe()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=STOP_TIMEOUT)


def flush_redis_prefix(url: str, prefix: str) -> int:
    """Delete every key under a private Redis prefix; returns how many were deleted."""
    from redis import Redis

    client = Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()
