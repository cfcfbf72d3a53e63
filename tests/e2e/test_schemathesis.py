"""Property-based fuzzing of every operation in the live OpenAPI schema: never a 5xx.

A real `sfagent serve` process publishes /openapi.json; schemathesis reads it from there
and sends generated requests (valid and invalid ones) to every operation, authenticated
with a tenant's API key. Whatever it sends, the server must answer with a 2xx/4xx, never a
server error. A failure prints the operation, the response and a curl command that
reproduces it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.schemas import BaseSchema

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

Operation = APIOperation[Any, Any, Any, Any]

MAX_EXAMPLES = 25  # per operation and generation mode; derandomized, so every run is the same
# The "module.ExceptionType: message" line of a logged traceback.
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception)\b.*: ")
REQUEST_TIMEOUT = 30  # seconds; only so that a hung request fails instead of hanging


@dataclass(frozen=True)
class LiveApi:
    backend: str
    server: Server
    tenant: CreatedTenant


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    """A server on SQLite + memory or PostgreSQL + Redis, rate limits off, and a tenant."""
    workdir = tmp_path_factory.mktemp(f"schemathesis-{request.param}")
    redis: tuple[str, str] | None = None
    if request.param == "sqlite":
        env = sqlite_env(
            workdir / "sfagent.db",
            SFAGENT_RATE_LIMIT_DISABLED="1",
            SFAGENT_AUTH_LOCKOUT_DISABLED="1",
        )
        run_cli(env, "db", "upgrade", cwd=workdir)
    else:
        stack: Stack = request.getfixturevalue("postgres_stack")
        assert stack.settings.redis_url
        redis = (stack.settings.redis_url, f"{unique('sfagent-e2e-fuzz')}:")
        env = postgres_env(
            stack.settings,
            redis_prefix=redis[1],
            SFAGENT_RATE_LIMIT_DISABLED="1",
            SFAGENT_AUTH_LOCKOUT_DISABLED="1",
        )
    try:
        tenant = create_tenant(env, unique("Fuzz"), cwd=workdir)
        with running_server(env, workdir) as server:
            yield LiveApi(request.param, server, tenant)
    finally:
        if redis is not None:
            flush_redis_prefix(*redis)


def load_live_schema(live_api: LiveApi) -> BaseSchema:
    """The schema exactly as the running server publishes it."""
    config = schemathesis.Config.from_dict({"request-timeout": REQUEST_TIMEOUT})
    return schemathesis.openapi.from_url(
        f"{live_api.server.base_url}/openapi.json", config=config, timeout=REQUEST_TIMEOUT
    )


def fuzz(operation: Operation, mode: GenerationMode, api: LiveApi) -> str | None:
    """Up to MAX_EXAMPLES generated requests; the failure report, or None when all passed."""
    headers = api.tenant.headers

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def examples(case: schemathesis.Case[Operation]) -> None:
        response = case.call(headers=headers, timeout=REQUEST_TIMEOUT)
        case.validate_response(response, checks=[not_a_server_error], headers=headers)

    try:
        examples()
    except Unsatisfiable as exc:
        if mode is GenerationMode.NEGATIVE:  # nothing to negate: every input it takes is valid
            return None
        return f"{operation.label} ({mode.value} data): no request could be generated: {exc}"
    # A check failure (a FailureGroup, with the curl to reproduce it) or a crash.
    except (Exception, BaseExceptionGroup) as exc:
        return f"{operation.label} ({mode.value} data):\n{_describe(exc)}"
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and not str(exc).strip().startswith("Schemathesis"):
        return "\n".join(_describe(inner) for inner in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


def test_no_operation_answers_a_server_error(live_api: LiveApi) -> None:
    schema = load_live_schema(live_api)
    operations: list[Operation] = []
    problems: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            operations.append(result.ok())
        else:
            problems.append(f"unusable operation in the schema: {result.err()}")
    assert len(operations) >= 10, [op.label for op in operations]

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = fuzz(operation, mode, live_api)
            if failure is not None:
                problems.append(failure)
    assert live_api.server.process.poll() is None, live_api.server.describe()
    separator = "\n" + "=" * 80 + "\n"
    assert not problems, (
        f"{len(problems)} of {2 * len(operations)} operation/mode runs failed on "
        f"{live_api.backend}:{separator}{separator.join(problems)}{separator}"
        f"server errors logged by {live_api.server.log_path}:\n{logged_errors(live_api.server)}"
    )


# Text the fuzzer rarely or never generates (NUL; lone surrogates, which Hypothesis leaves
# out of text), in each kind of input. PostgreSQL cannot store either and neither can be
# encoded as UTF-8 in a response: the server may clean such text or refuse it, not crash.
HOSTILE_INPUTS = [
    pytest.param(
        "POST", "/api/v1/conversations", r'{"context": {"a\u0000": 1}}', id="context-key-nul"
    ),
    pytest.param(
        "POST", "/api/v1/conversations", r'{"context": {"k": "\u0000"}}', id="context-value-nul"
    ),
    pytest.param(
        "POST", "/api/v1/conversations", r'{"context": {"k": "\udc00"}}', id="context-surrogate"
    ),
    pytest.param(
        "POST", "/api/v1/conversations", r'{"context": {"\udc00": 1}}', id="context-key-surrogate"
    ),
    pytest.param("POST", "/api/v1/conversations", r'{"subject": "\ud800"}', id="subject-surrogate"),
    pytest.param("POST", "/api/v1/conversations", r'{"subject": "a\u0000b"}', id="subject-nul"),
    pytest.param("POST", "/api/v1/conversations", r'{"user_id": "u\u0000"}', id="user-id-nul"),
    pytest.param(
        "POST",
        "/api/v1/conversations/{conversation_id}/messages",
        r'{"content": "hi\u0000"}',
        id="message-nul",
    ),
    pytest.param(
        "POST", "/api/v1/keys", r'{"name": "k\u0000", "scopes": ["tenant:read"]}', id="key-name-nul"
    ),
    pytest.param(
        "POST",
        "/api/v1/auth/login",
        r'{"organization": "x\u0000", "email": "a@example.com", "password": "password"}',
        id="login-organization-nul",
    ),
    pytest.param("GET", "/api/v1/conversations/ab%00c", None, id="conversation-id-nul"),
    pytest.param("DELETE", "/api/v1/keys/ab%00c", None, id="key-id-nul"),
]


@pytest.mark.parametrize(("method", "path", "body"), HOSTILE_INPUTS)
def test_hostile_text_is_not_a_server_error(
    live_api: LiveApi, method: str, path: str, body: str | None
) -> None:
    headers = {**live_api.tenant.headers, "Content-Type": "application/json"}
    with httpx.Client(base_url=live_api.server.base_url, headers=headers, timeout=30.0) as client:
        if "{conversation_id}" in path:
            created = client.post("/api/v1/conversations", json={})
            assert created.status_code == 201, created.text
            path = path.format(conversation_id=created.json()["id"])
        response = client.request(method, path, content=body)
    reproduce = (
        f"curl -X {method} -H 'X-API-Key: <key>' -H 'Content-Type: application/json' "
        + (f"-d '{body}' " if body else "")
        + f"{live_api.server.base_url}{path}"
    )
    assert response.status_code < 500, (
        f"{live_api.backend}: {response.status_code} {response.text}\n{reproduce}\n"
        f"{logged_errors(live_api.server, response.headers.get('X-Request-ID'))}"
    )
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "details"}, response.text


def logged_errors(server: Server, request_id: str | None = None) -> str:
    """One line per error the server logged (for one request): event and exception message."""
    found: list[str] = []
    for line in server.logs().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict) or record.get("level") != "error":
            continue
        if request_id is not None and record.get("request_id") != request_id:
            continue
        raised = [
            text
            for text in str(record.get("exception", "")).splitlines()
            if EXCEPTION_LINE.match(text)
        ]
        found.append(f"{record.get('event')}: {record.get('error') or (raised or ['?'])[-1]}")
    return "\n".join(found[-30:])
