"""Property-based fuzzing of every operation as every role, with a second tenant watching.

A real `sfagent serve` process holds two tenants with data (a conversation with a message,
an article, a rule), each marked with a unique string. Schemathesis sends generated
requests to every operation of the live schema with the credentials of each role of the
first tenant (owner, admin, agent and viewer staff, and an end user), and sends each one
that names a record (a path id, a search query) a second time aimed at the other tenant:
its ids in the path, its marker as the query. Whatever it sends, the server must answer
with a 2xx/4xx, a valid credential is never a 401, and no response may ever contain the
other tenant's ids or marker (other than one the request itself sent).

Bounded: a few examples per operation, role and generation mode (derandomized, so every
run is the same). The larger pass, with the tenant's API key, is test_schemathesis.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from sfagent.config import Settings, load_settings
from sfagent.db import migrate
from sfagent.db.engine import create_engine, create_sessionmaker
from sfagent.tenancy import service as tenancy
from sfagent.tenancy.auth import issue_end_user_token
from sfagent.tenancy.models import StaffRole
from tests.conftest import Stack
from tests.e2e.servers import (
    CreatedTenant,
    flush_redis_prefix,
    postgres_env,
    running_server,
    sqlite_env,
    unique,
)
from tests.e2e.test_schemathesis import (
    REQUEST_TIMEOUT,
    LiveApi,
    Operation,
    _describe,
    load_live_schema,
    logged_errors,
)

pytestmark = pytest.mark.e2e

# Per operation, role and generation mode; each example is sent twice (as generated, and
# aimed at the other tenant).
MAX_EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}
END_USER = "end_user"
STAFF_PASSWORD = "fuzz-every-role-password"
LOGIN = "/api/v1/auth/login"  # public: a wrong generated password is a fair 401
# Generated from the schema's security schemes; dropped so the role's credential is the
# only one sent (the server tries X-API-Key first, so a generated one would be a 401).
CREDENTIAL_HEADERS = ("X-API-Key", "Authorization")
# Thousands of requests from one address, some of them failed logins: no throttling.
LIMITS_OFF = {"SFAGENT_RATE_LIMIT_DISABLED": "1", "SFAGENT_AUTH_LOCKOUT_DISABLED": "1"}


@dataclass(frozen=True)
class SeededTenant:
    """A tenant and the records made for it; `traces` must never reach another tenant."""

    tenant: CreatedTenant
    marker: str
    conversation_id: str
    message_ids: tuple[str, ...]
    article_slug: str
    rule_id: str

    @property
    def traces(self) -> tuple[str, ...]:
        key_prefix = "_".join(self.tenant.api_key.split("_")[:2])
        return (
            self.marker,
            self.tenant.organization_id,
            self.tenant.slug,
            key_prefix,
            self.conversation_id,
            *self.message_ids,
            self.article_slug,
            self.rule_id,
        )

    def path_values(self) -> dict[str, str]:
        """Its ids by the path parameter names the API uses; other names get the
        conversation id (an id of this tenant all the same)."""
        return {
            "conversation_id": self.conversation_id,
            "message_id": self.message_ids[0],
            "slug": self.article_slug,
            "rule_id": self.rule_id,
            "key_id": "_".join(self.tenant.api_key.split("_")[:2]),
        }


@dataclass(frozen=True)
class RolesApi:
    live: LiveApi  # the server and the tenant whose roles call it
    home: SeededTenant
    other: SeededTenant
    credentials: dict[str, dict[str, str]]


def seed(client: httpx.Client, tenant: CreatedTenant) -> SeededTenant:
    """A conversation with a message, an article and a rule, each carrying a marker."""
    marker = unique("mark").replace("-", "")
    headers = tenant.headers

    def made(response: httpx.Response) -> dict[str, Any]:
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    conversation = made(
        client.post(
            "/api/v1/conversations",
            json={"subject": f"{marker} subject", "user_id": f"{marker}-user"},
            headers=headers,
        )
    )
    made(
        client.post(
            f"/api/v1/conversations/{conversation['id']}/messages",
            json={"content": f"My Apex trigger fails with {marker}"},
            headers=headers,
        )
    )
    messages = made(
        client.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=headers)
    )
    slug = f"{marker}-article"
    made(
        client.post(
            "/api/v1/kb/articles",
            json={
                "slug": slug,
                "title": f"{marker} title",
                "body": f"How to fix {marker}.",
                "category": "other",
            },
            headers=headers,
        )
    )
    rule_id = f"R_{marker.upper()}"
    made(
        client.post(
            "/api/v1/admin/rules",
            json={
                "id": rule_id,
                "name": f"{marker} rule",
                "conditions": {"field": "intent", "operator": "exists", "value": True},
                "actions": [{"type": "tag", "tags": [marker]}],
            },
            headers=headers,
        )
    )
    return SeededTenant(
        tenant=tenant,
        marker=marker,
        conversation_id=conversation["id"],
        message_ids=tuple(item["id"] for item in messages["items"]),
        article_slug=slug,
        rule_id=rule_id,
    )


@dataclass(frozen=True)
class Provisioned:
    """Two tenants, staff of each role of the first, and an end-user token for it."""

    home: CreatedTenant
    other: CreatedTenant
    staff_emails: dict[str, str]
    end_user_token: str


async def provision(settings: Settings) -> Provisioned:
    """Made in the database directly: each `sfagent` CLI call would cost a process start."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine, writer=True)() as session:
            tenants = []
            for name in (unique("Fuzz Home"), unique("Fuzz Other")):
                organization, key = await tenancy.create_organization(
                    session, name=name, settings=settings
                )
                tenants.append((organization, key.secret))
            home, _ = tenants[0]
            emails = {}
            for role in StaffRole:
                emails[role.value] = f"{role.value}-{unique('fuzz')}@example.com"
                await tenancy.create_staff_user(
                    session,
                    organization_id=home.id,
                    email=emails[role.value],
                    password=STAFF_PASSWORD,
                    role=role,
                )
            token = issue_end_user_token(home, external_user_id="fuzz-alice", settings=settings)
            await session.commit()
    finally:
        await engine.dispose()
    created = [
        CreatedTenant(organization.id, organization.slug, organization.tier, secret)
        for organization, secret in tenants
    ]
    return Provisioned(created[0], created[1], emails, token)


def role_credentials(client: httpx.Client, provisioned: Provisioned) -> dict[str, dict[str, str]]:
    """Each staff role logged in through the API, and the end user's bearer token."""
    credentials: dict[str, dict[str, str]] = {}
    for role, email in provisioned.staff_emails.items():
        login = client.post(
            "/api/v1/auth/login",
            json={
                "organization": provisioned.home.slug,
                "email": email,
                "password": STAFF_PASSWORD,
            },
        )
        assert login.status_code == 200, login.text
        credentials[role] = {"Authorization": f"Bearer {login.json()['access_token']}"}
    credentials[END_USER] = {"Authorization": f"Bearer {provisioned.end_user_token}"}
    return credentials


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def roles_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RolesApi]:
    """A server (limits off) with two seeded tenants and every role of the first."""
    workdir = tmp_path_factory.mktemp(f"schemathesis-roles-{request.param}")
    redis: tuple[str, str] | None = None
    if request.param == "sqlite":
        database = workdir / "sfagent.db"
        env = sqlite_env(database, **LIMITS_OFF)
        settings = load_settings(database_url=f"sqlite+aiosqlite:///{database}", environment="test")
        migrate.upgrade(settings)
    else:
        stack: Stack = request.getfixturevalue("postgres_stack")
        assert stack.settings.redis_url
        settings = stack.settings
        redis = (stack.settings.redis_url, f"{unique('sfagent-e2e-roles')}:")
        env = postgres_env(stack.settings, redis_prefix=redis[1], **LIMITS_OFF)
    try:
        provisioned = asyncio.run(provision(settings))
        with (
            running_server(env, workdir) as server,
            httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT) as client,
        ):
            yield RolesApi(
                live=LiveApi(request.param, server, provisioned.home),
                home=seed(client, provisioned.home),
                other=seed(client, provisioned.other),
                credentials=role_credentials(client, provisioned),
            )
    finally:
        if redis is not None:
            flush_redis_prefix(*redis)


def aimed_at(case: schemathesis.Case[Operation], target: SeededTenant) -> Any:
    """The same request with the target's ids in the path and its marker as the query `q`;
    None when the request names nothing a tenant owns (it would be sent unchanged)."""
    names = set(case.path_parameters)
    if not names and "q" not in case.query:
        return None
    values = target.path_values()
    query = dict(case.query)
    if "q" in query:
        query["q"] = target.marker
    aimed = case.derive(query=query)
    aimed.path_parameters = {
        name: values.get(name, target.conversation_id) for name in case.path_parameters
    }
    return aimed


def leaked(text: str, other: SeededTenant, sent: str = "") -> list[str]:
    """The other tenant's traces in a response, but for those the request itself carried
    (a 404 may name the id it could not find)."""
    return [trace for trace in other.traces if trace in text and trace not in sent]


def sent_text(case: schemathesis.Case[Operation]) -> str:
    return f"{case.formatted_path} {case.query} {case.body}"


def fuzz_as(operation: Operation, mode: GenerationMode, api: RolesApi, role: str) -> str | None:
    """Bounded generated requests as one role; the failure report, or None when all passed."""
    headers = api.credentials[role]
    base_url = api.live.server.base_url

    def check(case: schemathesis.Case[Operation]) -> None:
        for name in CREDENTIAL_HEADERS:
            case.headers.pop(name, None)
        response = case.call(headers=headers, timeout=REQUEST_TIMEOUT)
        case.validate_response(response, checks=[not_a_server_error], headers=headers)
        assert response.status_code != 401 or case.operation.path == LOGIN, (
            f"as {role}, a valid credential was refused: {response.text[:300]}\n"
            f"{case.as_curl_command(headers=headers, base_url=base_url)}"
        )
        found = leaked(response.text, api.other, sent_text(case))
        assert not found, (
            f"as {role}, the other tenant's {found} in a {response.status_code} answer to\n"
            f"{case.as_curl_command(headers=headers, base_url=base_url)}\n{response.text[:500]}"
        )

    @settings(
        max_examples=MAX_EXAMPLES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def examples(case: schemathesis.Case[Operation]) -> None:
        check(case)
        aimed = aimed_at(case, api.other)
        if aimed is not None:
            check(aimed)

    try:
        examples()
    except Unsatisfiable as exc:
        if mode is GenerationMode.NEGATIVE:  # nothing to negate: every input it takes is valid
            return None
        return f"{operation.label} as {role} ({mode.value} data): no request generated: {exc}"
    except (Exception, BaseExceptionGroup) as exc:
        return f"{operation.label} as {role} ({mode.value} data):\n{_describe(exc)}"
    return None


def test_the_leak_check_sees_a_tenants_own_data(roles_api: RolesApi) -> None:
    """The markers are in what a tenant reads of its own records: a clean fuzz run means
    none of them crossed over, not that the check could never fire."""
    other = roles_api.other
    with httpx.Client(base_url=roles_api.live.server.base_url, timeout=REQUEST_TIMEOUT) as client:
        reads = [
            f"/api/v1/conversations/{other.conversation_id}",
            f"/api/v1/conversations/{other.conversation_id}/messages",
            f"/api/v1/kb/articles/{other.article_slug}",
            f"/api/v1/admin/rules/{other.rule_id}",
            f"/api/v1/kb/search?q={other.marker}",
        ]
        for path in reads:
            response = client.get(path, headers=other.tenant.headers)
            assert response.status_code == 200, f"{path}: {response.text}"
            assert leaked(response.text, other), f"{path}: {response.text[:300]}"


@pytest.mark.parametrize("role", [*(role.value for role in StaffRole), END_USER])
def test_no_role_gets_a_server_error_or_the_other_tenants_data(
    roles_api: RolesApi, role: str
) -> None:
    schema = load_live_schema(roles_api.live)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 10, [operation.label for operation in operations]

    problems = [
        failure
        for operation in operations
        for mode in MAX_EXAMPLES
        if (failure := fuzz_as(operation, mode, roles_api, role)) is not None
    ]

    server = roles_api.live.server
    assert server.process.poll() is None, server.describe()
    separator = "\n" + "=" * 80 + "\n"
    assert not problems, (
        f"{len(problems)} of {len(MAX_EXAMPLES) * len(operations)} operation/mode runs failed "
        f"as {role} on {roles_api.live.backend}:{separator}{separator.join(problems)}"
        f"{separator}server errors logged by {server.log_path}:\n{logged_errors(server)}"
    )
