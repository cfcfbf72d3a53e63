"""HTTP benchmark: a trivial endpoint against a full message turn, on a real server process.

Starts `sfagent serve` on a free 127.0.0.1 port (a fresh temporary SQLite database by
default, or the PostgreSQL/Redis given on the command line, isolated in a private schema
and key prefix that are removed afterwards), creates a tenant with `sfagent tenant create`,
then drives GET /health and POST /api/v1/conversations/{id}/messages with the same
httpx client, concurrency and request count, and prints throughput and latency for each
and their ratio. See bench/README.md.

    .venv/bin/python bench/http_bench.py [--workers N] [--database-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import httpx
from rich.console import Console
from rich.table import Table

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
HOST = "127.0.0.1"
MAX_REQUESTS = 100_000
MAX_WARMUP = 10_000
MAX_CONCURRENCY = 512
MAX_WORKERS = 16
MAX_CONVERSATIONS = 1_000
STARTUP_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 20.0
CLI_TIMEOUT_SECONDS = 120.0
MESSAGE_TEXT = (
    "Request {index}: my Apex trigger on Opportunity fails with "
    "System.LimitException: Too many SOQL queries: 101 during a bulk data load."
)

out = Console(width=None if sys.stdout.isatty() else 200)
progress = Console(stderr=True, soft_wrap=True)


class BenchError(Exception):
    """A setup failure: reported as one line, exit status 2."""


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    workers: int
    concurrency: int
    requests: int
    warmup: int
    conversations: int
    timeout: float
    database_url: str | None
    redis_url: str | None
    rls_role: bool
    tier: str | None
    client: str
    server_env: dict[str, str]
    as_json: bool


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def _server_setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("SFAGENT_"):
        raise argparse.ArgumentTypeError("expected SFAGENT_NAME=VALUE")
    return name, value


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="bench/http_bench.py",
        description="Benchmark GET /health against POST .../messages on a real sfagent server.",
    )
    parser.add_argument("--workers", type=_bounded(1, MAX_WORKERS), default=1)
    parser.add_argument("--concurrency", type=_bounded(1, MAX_CONCURRENCY), default=32)
    parser.add_argument("--requests", type=_bounded(1, MAX_REQUESTS), default=2000)
    parser.add_argument("--warmup", type=_bounded(0, MAX_WARMUP), default=100)
    parser.add_argument(
        "--conversations",
        type=_bounded(1, MAX_CONVERSATIONS),
        default=50,
        help="Conversations the message requests are spread over, round robin (default 50; "
        "the free tier allows 50 open ones, use --tier for more).",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="Per-request seconds.")
    parser.add_argument(
        "--database-url",
        help="postgresql+asyncpg://user@127.0.0.1:5432/db (a private schema is created and "
        "dropped) or sqlite+aiosqlite:///path. Default: a fresh temporary SQLite file.",
    )
    parser.add_argument("--redis-url", help="redis://127.0.0.1:6379/0 (a private key prefix).")
    parser.add_argument(
        "--rls-role",
        action="store_true",
        help="PostgreSQL only: serve as a private NOBYPASSRLS role (as in production), "
        "migrating as the URL's user.",
    )
    parser.add_argument("--tier", choices=["free", "standard", "enterprise"])
    parser.add_argument(
        "--client",
        choices=["httpx", "raw"],
        default="httpx",
        help="httpx: one shared httpx.AsyncClient (default). raw: a minimal asyncio "
        "HTTP/1.1 client, one connection per lane, to see past the client's own cost.",
    )
    parser.add_argument(
        "--server-env",
        type=_server_setting,
        action="append",
        default=[],
        metavar="SFAGENT_NAME=VALUE",
        help="Extra server setting (repeatable), e.g. SFAGENT_DATABASE_POOL_SIZE=20.",
    )
    parser.add_argument("--json", dest="as_json", action="store_true", help="Print JSON.")
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.timeout > 300:
        parser.error("--timeout must be in (0, 300]")
    for url in (args.database_url, args.redis_url):
        if url and not _is_local(url):
            parser.error(f"only local services are benchmarked (127.0.0.1): {_mask(url)}")
    if args.database_url and not args.database_url.startswith(
        ("sqlite+aiosqlite://", "postgresql+asyncpg://")
    ):
        parser.error("--database-url must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    if args.rls_role and not _is_postgres(args.database_url):
        parser.error("--rls-role needs a PostgreSQL --database-url")
    return Options(
        workers=args.workers,
        concurrency=args.concurrency,
        requests=args.requests,
        warmup=args.warmup,
        conversations=args.conversations,
        timeout=args.timeout,
        database_url=args.database_url,
        redis_url=args.redis_url,
        rls_role=args.rls_role,
        tier=args.tier,
        client=args.client,
        server_env=dict(args.server_env),
        as_json=args.as_json,
    )


def _is_postgres(url: str | None) -> bool:
    return bool(url) and str(url).startswith("postgresql")


def _is_local(url: str) -> bool:
    if url.startswith(("sqlite", "unix://")):
        return True
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


def _mask(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":********@", 1)


# --- the environment the server runs in -----------------------------------------------------


@dataclass
class Stack:
    """Where the server's state lives, and how to remove it afterwards."""

    workdir: Path
    env: dict[str, str]
    database: str
    backplane: str
    admin_url: str | None = None
    schema: str | None = None
    role: str | None = None
    redis_url: str | None = None
    redis_prefix: str | None = None
    cleanup_notes: list[str] = field(default_factory=list)


def build_stack(options: Options, workdir: Path, run_id: str) -> Stack:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SFAGENT_") and name != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        {
            "SFAGENT_RATE_LIMIT_DISABLED": "1",
            "SFAGENT_LOG_LEVEL": "WARNING",
            "SFAGENT_LOG_JSON": "1",
        }
    )
    if options.workers > 1:
        # `serve` empties and creates this directory itself; keep it out of the project.
        env["PROMETHEUS_MULTIPROC_DIR"] = str(workdir / "prometheus")
    stack = Stack(workdir=workdir, env=env, database="", backplane="memory (in-process)")
    url = options.database_url
    if url is None or url.startswith("sqlite"):
        url = url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        env["SFAGENT_DATABASE_URL"] = url
        stack.database = "sqlite (temporary file)" if options.database_url is None else url
    else:
        _prepare_postgres(stack, url, options.rls_role, run_id)
    if options.redis_url:
        stack.redis_url = options.redis_url
        stack.redis_prefix = f"sfagent-bench-{run_id}:"
        env["SFAGENT_REDIS_URL"] = options.redis_url
        env["SFAGENT_REDIS_PREFIX"] = stack.redis_prefix
        stack.backplane = f"redis {_mask(options.redis_url)} (prefix {stack.redis_prefix})"
    env.update(options.server_env)
    return stack


def _prepare_postgres(stack: Stack, url: str, rls_role: bool, run_id: str) -> None:
    from sqlalchemy.engine import make_url

    schema = f"sfagent_bench_{run_id}"
    stack.admin_url = url
    stack.schema = schema
    app_url = url
    if rls_role:
        stack.role = f"sfagent_bench_app_{run_id}"
        app_url = make_url(url).set(username=stack.role).render_as_string(hide_password=False)
        stack.env["SFAGENT_MIGRATION_DATABASE_URL"] = url
    stack.env["SFAGENT_DATABASE_URL"] = app_url
    stack.env["SFAGENT_DATABASE_SCHEMA"] = schema


def create_private_objects(stack: Stack) -> None:
    """Create the PostgreSQL schema (and role) the server will use; no-op on SQLite."""
    from sqlalchemy.engine import make_url

    if stack.admin_url is None or stack.schema is None:
        return
    statements = [f"CREATE SCHEMA {stack.schema}"]
    if stack.role:
        statements.append(f"CREATE ROLE {stack.role} LOGIN NOSUPERUSER NOBYPASSRLS")
    try:
        version = asyncio.run(_postgres_admin(stack.admin_url, statements))
    except Exception as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise BenchError(f"PostgreSQL at {_mask(stack.admin_url)}: {reason}") from exc
    parsed = make_url(stack.admin_url)
    who = f"role {stack.role} (RLS bound)" if stack.role else f"user {parsed.username}"
    stack.database = (
        f"postgresql {version} {parsed.host}:{parsed.port or 5432}/{parsed.database} "
        f"schema {stack.schema}, {who}"
    )


async def _postgres_admin(url: str, statements: list[str]) -> str:
    """Run statements in autocommit mode; return the server version."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
            version = await connection.scalar(text("SHOW server_version"))
            return str(version).split()[0]
    finally:
        await engine.dispose()


def grant_to_role(stack: Stack) -> None:
    if stack.role is None or stack.admin_url is None or stack.schema is None:
        return
    asyncio.run(
        _postgres_admin(
            stack.admin_url,
            [
                f"GRANT USAGE ON SCHEMA {stack.schema} TO {stack.role}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {stack.schema} "
                f"TO {stack.role}",
            ],
        )
    )


def teardown_stack(stack: Stack) -> None:
    """Drop the private schema and role and delete the private Redis keys."""
    if stack.admin_url and stack.schema:
        statements = [f"DROP SCHEMA IF EXISTS {stack.schema} CASCADE"]
        if stack.role:
            statements.append(f"DROP ROLE IF EXISTS {stack.role}")
        try:
            asyncio.run(_postgres_admin(stack.admin_url, statements))
            stack.cleanup_notes.append(f"dropped schema {stack.schema}")
        except Exception as exc:  # report, never hide, a leftover
            stack.cleanup_notes.append(f"FAILED to drop schema {stack.schema}: {exc}")
    if stack.redis_url and stack.redis_prefix:
        try:
            deleted = asyncio.run(_delete_redis_prefix(stack.redis_url, stack.redis_prefix))
            stack.cleanup_notes.append(f"deleted {deleted} redis key(s) {stack.redis_prefix}*")
        except Exception as exc:
            stack.cleanup_notes.append(f"FAILED to delete redis keys {stack.redis_prefix}*: {exc}")


async def _delete_redis_prefix(url: str, prefix: str) -> int:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await redis.delete(*keys)
        return len(keys)
    finally:
        await redis.aclose()


# --- the server process ---------------------------------------------------------------------


def sfagent_executable() -> str:
    beside = Path(sys.executable).parent / "sfagent"
    if beside.exists():
        return str(beside)
    found = shutil.which("sfagent")
    if found is None:
        raise BenchError("the sfagent command was not found (install the project: make install)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def run_cli(stack: Stack, *args: str) -> str:
    """Run an sfagent command with the server's environment; return its stdout."""
    completed = subprocess.run(
        [sfagent_executable(), *args],
        cwd=stack.workdir,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        raise BenchError(f"sfagent {' '.join(args)} failed: {detail[-1] if detail else '?'}")
    return completed.stdout


class Server:
    """`sfagent serve` in its own process group, its output in a log file."""

    def __init__(self, stack: Stack, workers: int) -> None:
        self.stack = stack
        self.workers = workers
        self.port = free_port()
        self.log_path = stack.workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        command = [
            sfagent_executable(),
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.stack.workdir,
                env=self.stack.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        with httpx.Client(base_url=self.base_url, trust_env=False, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise BenchError(
                        f"the server exited with status {self.process.returncode}:\n"
                        + self.log_tail()
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get("/health").status_code == 200:
                        return
                time.sleep(0.2)
        raise BenchError(
            f"the server did not answer /health within {STARTUP_TIMEOUT_SECONDS:.0f}s:\n"
            + self.log_tail()
        )

    def stop(self) -> int | None:
        """SIGTERM (uvicorn shuts down gracefully), then SIGKILL our process group."""
        process = self.process
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            return process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class ProcessCpu:
    parent: int
    command: str
    seconds: float  # user + system


def cpu_snapshot() -> dict[int, ProcessCpu]:
    """Every process's CPU seconds so far (Linux /proc); empty elsewhere."""
    proc = Path("/proc")
    if not proc.is_dir():
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    snapshot: dict[int, ProcessCpu] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        snapshot[int(entry.name)] = ProcessCpu(
            parent=int(fields[1]),
            command=command,
            seconds=(int(fields[11]) + int(fields[12])) / tick,
        )
    return snapshot


def cpu_used(before: dict[int, ProcessCpu], after: dict[int, ProcessCpu], pids: set[int]) -> float:
    return sum(
        after[pid].seconds - (before[pid].seconds if pid in before else 0.0)
        for pid in pids
        if pid in after
    )


def process_tree(snapshot: dict[int, ProcessCpu], root: int) -> set[int]:
    tree = {root} if root in snapshot else set()
    grew = bool(tree)
    while grew:
        added = {pid for pid, info in snapshot.items() if info.parent in tree and pid not in tree}
        tree |= added
        grew = bool(added)
    return tree


def summarise_server_log(text: str) -> dict[str, Any]:
    """Count warning/error log events (JSON lines) and stray tracebacks in the server output."""
    events: Counter[str] = Counter()
    tracebacks = 0
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Traceback"):
            tracebacks += 1
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        level = str(record.get("level", "")).lower()
        if level in ("warning", "error", "critical", "exception"):
            events[f"{level}: {record.get('event', '?')}"] += 1
    return {"events": dict(events.most_common()), "tracebacks": tracebacks}


# --- the load -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestSpec:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def encode(self, port: int) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {HOST}:{port}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body is not None:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (self.body or b"")


Sender = Callable[[RequestSpec], Awaitable[int]]  # sends one request, returns its status


class HttpxClient:
    """One shared httpx.AsyncClient: HTTP/1.1, keep-alive, a pool of `concurrency`."""

    name = "httpx"

    def __init__(self, base_url: str, concurrency: int, timeout: float) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            http1=True,
            http2=False,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            timeout=httpx.Timeout(timeout),
            trust_env=False,
        )

    @property
    def description(self) -> str:
        return f"httpx {httpx.__version__} AsyncClient (one, shared), HTTP/1.1 keep-alive"

    def lane(self) -> Sender:
        return self._send

    async def _send(self, request: RequestSpec) -> int:
        response = await self.client.request(
            request.method, request.path, headers=dict(request.headers), content=request.body
        )
        return response.status_code

    async def aclose(self) -> None:
        await self.client.aclose()


class RawConnection:
    """One HTTP/1.1 keep-alive connection on asyncio streams: a near-zero-cost reference."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, request: RequestSpec) -> int:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(request)
        except BaseException:
            self.close()
            raise

    async def _exchange(self, request: RequestSpec) -> int:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self.port)
        reader = self._reader
        self._writer.write(request.encode(self.port))
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
        else:
            await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class RawClient:
    """One RawConnection per lane."""

    name = "raw"
    description = "raw asyncio streams, one HTTP/1.1 keep-alive connection per lane"

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.connections: list[RawConnection] = []

    def lane(self) -> Sender:
        connection = RawConnection(self.port, self.timeout)
        self.connections.append(connection)
        return connection.send

    async def aclose(self) -> None:
        for connection in self.connections:
            connection.close()


TRANSPORT_ERRORS = (httpx.HTTPError, OSError, EOFError, ValueError, asyncio.LimitOverrunError)


@dataclass
class PhaseResult:
    name: str
    requests: int
    errors: int
    error_kinds: dict[str, int]
    seconds: float
    throughput: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cores: float  # CPU of this (load-generating) process / wall time
    server_cores: float | None  # CPU of the server's processes / wall time
    database_cores: float | None  # CPU of the machine's PostgreSQL processes / wall time
    other_cores: float | None  # the rest of the machine (Redis, other jobs)
    server_cpu_ms_per_request: float | None


async def drive(
    senders: list[Sender], build: Callable[[int], RequestSpec], total: int
) -> tuple[list[float], Counter[str], float]:
    """Send `total` requests over the lanes, one in flight per lane; latencies in seconds."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    indices: Iterator[int] = iter(range(total))

    async def lane(send: Sender) -> None:
        for index in indices:
            request = build(index)
            started = time.perf_counter()
            try:
                status = await send(request)
                if not 200 <= status < 300:
                    errors[f"HTTP {status}"] += 1
            except TRANSPORT_ERRORS as exc:
                errors[type(exc).__name__] += 1
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(lane(send) for send in senders[:total]))
    return latencies, errors, time.perf_counter() - started


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


async def measure(
    name: str,
    senders: list[Sender],
    build: Callable[[int], RequestSpec],
    options: Options,
    server: Server,
    measure_database: bool,
) -> PhaseResult:
    if options.warmup:
        progress.print(f"  {name}: warm-up, {options.warmup} requests")
        _, warm_errors, _ = await drive(senders, build, options.warmup)
        if warm_errors:
            progress.print(f"  [yellow]{name}: warm-up errors {dict(warm_errors)}[/]")
    progress.print(f"  {name}: {options.requests} requests, concurrency {options.concurrency}")
    machine_before = machine_busy_seconds()
    processes_before = cpu_snapshot()
    client_before = time.process_time()
    latencies, errors, seconds = await drive(senders, build, options.requests)
    client_cpu = time.process_time() - client_before
    processes_after = cpu_snapshot()
    machine_after = machine_busy_seconds()
    server_cpu = database_cpu = other_cpu = None
    if processes_after and server.process is not None:
        server_pids = process_tree(processes_after, server.process.pid)
        server_cpu = cpu_used(processes_before, processes_after, server_pids)
        if measure_database:
            postgres = {p for p, i in processes_after.items() if i.command == "postgres"}
            database_cpu = cpu_used(processes_before, processes_after, postgres)
    if machine_before is not None and machine_after is not None and server_cpu is not None:
        other_cpu = max(
            0.0, machine_after - machine_before - client_cpu - server_cpu - (database_cpu or 0.0)
        )
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else []

    def cut(percent: int) -> float:
        return (cuts[percent - 1] if cuts else latencies[0]) * 1000

    return PhaseResult(
        name=name,
        requests=len(latencies),
        errors=sum(errors.values()),
        error_kinds=dict(errors.most_common()),
        seconds=seconds,
        throughput=len(latencies) / seconds,
        p50_ms=cut(50),
        p90_ms=cut(90),
        p99_ms=cut(99),
        max_ms=max(latencies) * 1000,
        client_cores=client_cpu / seconds,
        server_cores=None if server_cpu is None else server_cpu / seconds,
        database_cores=None if database_cpu is None else database_cpu / seconds,
        other_cores=None if other_cpu is None else other_cpu / seconds,
        server_cpu_ms_per_request=(
            None if server_cpu is None else server_cpu / len(latencies) * 1000
        ),
    )


async def run_load(
    options: Options, server: Server, api_key: str
) -> tuple[PhaseResult, PhaseResult, str]:
    async with httpx.AsyncClient(
        base_url=server.base_url, trust_env=False, timeout=httpx.Timeout(options.timeout)
    ) as setup:
        progress.print(f"creating {options.conversations} conversations")
        conversation_ids = await create_conversations(setup, api_key, options)

    message_headers = (("X-API-Key", api_key), ("Content-Type", "application/json"))

    def health(_index: int) -> RequestSpec:
        return RequestSpec("GET", "/health")

    def message(index: int) -> RequestSpec:
        conversation_id = conversation_ids[index % len(conversation_ids)]
        body = json.dumps({"content": MESSAGE_TEXT.format(index=index)}).encode()
        return RequestSpec(
            "POST", f"/api/v1/conversations/{conversation_id}/messages", message_headers, body
        )

    client: HttpxClient | RawClient = (
        RawClient(server.port, options.timeout)
        if options.client == "raw"
        else HttpxClient(server.base_url, options.concurrency, options.timeout)
    )
    try:
        senders = [client.lane() for _ in range(options.concurrency)]
        postgres = _is_postgres(options.database_url)
        trivial = await measure("GET /health", senders, health, options, server, postgres)
        messages = await measure("POST .../messages", senders, message, options, server, postgres)
    finally:
        await client.aclose()
    return trivial, messages, client.description


async def create_conversations(
    client: httpx.AsyncClient, api_key: str, options: Options
) -> list[str]:
    gate = asyncio.Semaphore(options.concurrency)

    async def create(index: int) -> str:
        async with gate:
            try:
                response = await client.post(
                    "/api/v1/conversations",
                    json={"channel": "api", "subject": f"bench {index}"},
                    headers={"X-API-Key": api_key},
                )
            except httpx.HTTPError as exc:
                raise BenchError(f"creating conversation {index} failed: {exc!r}") from exc
        if response.status_code != 201:
            raise BenchError(
                f"creating conversation {index} failed: HTTP {response.status_code} "
                f"{response.text[:300]}"
            )
        conversation_id: str = response.json()["id"]
        return conversation_id

    return list(await asyncio.gather(*(create(i) for i in range(options.conversations))))


# --- reporting ------------------------------------------------------------------------------

CLIENT_BOUND_CORES = 0.7


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine_facts(options: Options, stack: Stack, version: str) -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "cpu_model": model or platform.processor() or "unknown",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(terse=True),
        "sfagent": version,
        "database": stack.database,
        "backplane": stack.backplane,
        "workers": options.workers,
        "concurrency": options.concurrency,
        "requests": options.requests,
        "warmup": options.warmup,
        "conversations": options.conversations,
        "server_env": options.server_env,
    }


def ratios(trivial: PhaseResult, messages: PhaseResult) -> dict[str, float | None]:
    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    return {
        "throughput": ratio(messages.throughput, trivial.throughput),
        "p50": ratio(messages.p50_ms, trivial.p50_ms),
        "p90": ratio(messages.p90_ms, trivial.p90_ms),
        "p99": ratio(messages.p99_ms, trivial.p99_ms),
        "server_cpu_per_request": ratio(
            messages.server_cpu_ms_per_request, trivial.server_cpu_ms_per_request
        ),
    }


def _number(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def print_report(report: dict[str, Any]) -> None:
    results = [PhaseResult(**r) for r in report["results"]]
    facts = report["machine"]
    table = Table(
        title=(
            f"sfagent HTTP benchmark: {facts['workers']} worker(s), concurrency "
            f"{facts['concurrency']}, {facts['requests']} requests after {facts['warmup']} "
            f"warm-up, client {report['client']}"
        )
    )
    table.add_column("endpoint")
    for heading in (
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "client cores",
        "server cores",
        "db cores",
        "other cores",
        "server CPU ms/req",
    ):
        table.add_column(heading, justify="right")
    for r in results:
        table.add_row(
            r.name,
            str(r.requests),
            f"[red]{r.errors}[/]" if r.errors else "0",
            f"{r.throughput:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p90_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.max_ms:.2f}",
            _number(r.client_cores, ".2f"),
            _number(r.server_cores, ".2f"),
            _number(r.database_cores, ".2f"),
            _number(r.other_cores, ".2f"),
            _number(r.server_cpu_ms_per_request, ".2f"),
        )
    ratio = report["ratios"]
    table.add_section()
    table.add_row(
        "ratio messages / health",
        "",
        "",
        _number(ratio["throughput"], ".3f") + "x",
        _number(ratio["p50"], ".1f") + "x",
        _number(ratio["p90"], ".1f") + "x",
        _number(ratio["p99"], ".1f") + "x",
        "",
        "",
        "",
        "",
        "",
        _number(ratio["server_cpu_per_request"], ".1f") + "x",
    )
    out.print(table)
    out.print(
        "[dim]cores = CPU seconds / wall seconds during the measured phase: client = this "
        "process, server = sfagent's processes, db = all PostgreSQL processes, other = the "
        "rest of the machine (SQLite runs inside the server; Redis and other jobs are in "
        "other).[/]"
    )
    for r in results:
        if r.client_cores >= CLIENT_BOUND_CORES:
            out.print(
                f"[yellow]note:[/] the client used {r.client_cores:.2f} of a core on {r.name}: "
                "that row is likely limited by the load generator, not the server "
                "(compare --client raw)."
            )
        if r.errors:
            kinds = ", ".join(f"{kind} x{count}" for kind, count in r.error_kinds.items())
            out.print(f"[red]{r.name} errors:[/] {kinds}")

    facts_table = Table(title="machine and setup", show_header=False)
    facts_table.add_column("fact")
    facts_table.add_column("value")
    for name, value in facts.items():
        if name == "server_env" and not value:
            continue
        facts_table.add_row(name, str(value))
    facts_table.add_row("client", report["client"])
    facts_table.add_row(
        "load average", f"{report['load_average_start']} (start), {report['load_average_end']}"
    )
    log = report["server_log"]
    events = ", ".join(f"{event} x{count}" for event, count in log["events"].items())
    facts_table.add_row("server log", events or "no warnings or errors")
    if log["tracebacks"]:
        facts_table.add_row("server tracebacks", str(log["tracebacks"]))
    facts_table.add_row("server exit", _describe_exit(report["server_exit"]))
    facts_table.add_row("cleanup", "; ".join(report["cleanup"]) or "temporary directory removed")
    out.print(facts_table)


def _describe_exit(status: int | None) -> str:
    if status is None:
        return "not started"
    if status < 0:
        return f"{signal.Signals(-status).name} after graceful shutdown (uvicorn re-raises it)"
    return f"status {status}"


# --- main -----------------------------------------------------------------------------------


def _raise_interrupt(_signum: int, _frame: object) -> NoReturn:
    raise KeyboardInterrupt


def run(options: Options) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:10]
    with tempfile.TemporaryDirectory(prefix="sfagent-bench-") as directory:
        workdir = Path(directory)
        stack = build_stack(options, workdir, run_id)
        server: Server | None = None
        try:
            progress.print("preparing the database")
            create_private_objects(stack)
            if stack.role:
                # Migrate as the owner, then let the RLS-bound role use the tables.
                run_cli(stack, "db", "upgrade")
                grant_to_role(stack)
            server = Server(stack, options.workers)
            progress.print(
                f"starting sfagent serve --port {server.port} --workers {options.workers}"
            )
            server.start()
            tenant_args = ["tenant", "create", "bench", "--json"]
            if options.tier:
                tenant_args += ["--tier", options.tier]
            tenant = json.loads(run_cli(stack, *tenant_args).strip().splitlines()[-1])
            version = httpx.get(f"{server.base_url}/health", trust_env=False).json()["version"]
            load_start = load_average()
            trivial, messages, client = asyncio.run(run_load(options, server, tenant["api_key"]))
            load_end = load_average()
        except BenchError as exc:
            if server is not None and server.process is not None:
                raise BenchError(f"{exc}\nserver output (tail):\n{server.log_tail()}") from exc
            raise
        finally:
            try:
                exit_status = server.stop() if server else None
                log_text = server.log_path.read_text(errors="replace") if server else ""
            finally:
                teardown_stack(stack)
    return {
        "machine": machine_facts(options, stack, version),
        "results": [asdict(trivial), asdict(messages)],
        "ratios": ratios(trivial, messages),
        "client": client,
        "load_average_start": load_start,
        "load_average_end": load_end,
        "server_log": summarise_server_log(log_text),
        "server_exit": exit_status,
        "cleanup": stack.cleanup_notes,
    }


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        report = run(options)
    except BenchError as exc:
        progress.print(f"[red]error:[/] {exc}")
        return 2
    except KeyboardInterrupt:
        progress.print("[yellow]interrupted; the server was stopped and its data removed[/]")
        return 130
    if options.as_json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    failed = sum(r["errors"] for r in report["results"])
    if failed:
        progress.print(f"[red]{failed} request(s) failed: the figures are not a clean run[/]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
