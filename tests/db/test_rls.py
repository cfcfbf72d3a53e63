"""PostgreSQL row-level security binds the app's own role, independently of the app's code.

The data is created through the API; then raw SQL on the app role's connection (the role
the server runs as, without BYPASSRLS) shows what the policies alone let through.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sfagent.db import migrate
from sfagent.db.engine import SET_TENANT_SQL, bind_tenant, create_engine
from sfagent.llm_usage.meter import DatabaseUsageMeter
from sfagent.responder.llm import Cost
from sfagent.salesforce.models import SalesforceCaseLink
from sfagent.security.models import PiiToken
from tests.conftest import Harness, Stack, TenantHandle

CONVERSATIONS = "/api/v1/conversations"
# Tables holding one tenant's rows, each protected by the tenant_isolation policy.
TENANT_TABLES = (
    "conversations",
    "messages",
    "end_users",
    "audit_log",
    "conversation_events",
    "idempotency_records",
    "kb_articles",
    "kb_article_versions",
    "kb_article_stats",
    "kb_corpus_states",
    "llm_usage",
    "business_rules",
    "business_rule_versions",
    "dialogue_transitions",
    "notification_channels",
    "escalations",
    "salesforce_connections",
    "salesforce_case_links",
    "attachments",
    "pii_tokens",
    "security_events",
)
# Tables with an organization_id that are deliberately read across tenants: credentials
# are looked up before the tenant is known, and workers claim jobs of every tenant.
CROSS_TENANT_TABLES = frozenset({"api_keys", "staff_users", "outbox_jobs"})

# A minimal valid row per table, for :org (and :conversation_id, a conversation of :org).
INSERTS = {
    "conversations": (
        "INSERT INTO conversations (id, organization_id, channel, status, context,"
        " message_count, last_activity_at, created_at, updated_at)"
        " VALUES (:id, :org, 'api', 'active', '{}'::jsonb, 0, now(), now(), now())"
    ),
    "messages": (
        "INSERT INTO messages (id, organization_id, conversation_id, sequence, role, content,"
        " created_at) VALUES (:id, :org, :conversation_id, 999, 'user', 'planted', now())"
    ),
    "end_users": (
        "INSERT INTO end_users (id, organization_id, external_id, created_at, updated_at)"
        " VALUES (:id, :org, :id, now(), now())"
    ),
    "audit_log": (
        "INSERT INTO audit_log (id, organization_id, sequence, actor, action, details,"
        " created_at, previous_hash, entry_hash) VALUES (:id, :org, 999, 'mallory', 'planted',"
        " '{}'::jsonb, now(), repeat('0', 64), repeat('0', 64))"
    ),
    "conversation_events": (
        "INSERT INTO conversation_events (id, organization_id, conversation_id, to_status,"
        " reason, actor, created_at)"
        " VALUES (:id, :org, :conversation_id, 'closed', 'planted', 'mallory', now())"
    ),
    "idempotency_records": (
        "INSERT INTO idempotency_records (id, organization_id, principal_id, key, method, path,"
        " request_hash, status_code, response_body, created_at, expires_at)"
        " VALUES (:id, :org, 'mallory', :id, 'POST', '/x', repeat('0', 64), 200, '{}',"
        " now(), now())"
    ),
    "kb_articles": (
        "INSERT INTO kb_articles (id, organization_id, slug, title, body, category, product,"
        " tags, applies_to, error_ids, links, source, origin, status, version, content_hash,"
        " revision, updated_by, created_at, updated_at) VALUES (:id, :org, :id, 'planted',"
        " 'planted', 'other', '', '[]'::jsonb, 'all', '[]'::jsonb, '[]'::jsonb, '', 'api',"
        " 'published', 1, repeat('0', 64), 999, 'mallory', now(), now())"
    ),
    "kb_article_versions": (
        "INSERT INTO kb_article_versions (id, organization_id, article_id, version, title, body,"
        " fields, content_hash, change, changed_by, created_at)"
        " VALUES (:id, :org, :article_id, 999, 'planted', 'planted', '{}'::jsonb,"
        " repeat('0', 64), 'updated', 'mallory', now())"
    ),
    "kb_article_stats": (
        "INSERT INTO kb_article_stats (organization_id, slug, usage_count, helpful_count,"
        " unhelpful_count, updated_at) VALUES (:org, :id, 0, 0, 0, now())"
    ),
    "kb_corpus_states": (
        "INSERT INTO kb_corpus_states (organization_id, revision, watermarks, updated_at)"
        " VALUES (:org, 1, '{}'::jsonb, now()) ON CONFLICT (organization_id)"
        " DO UPDATE SET revision = kb_corpus_states.revision + 1"
    ),
    "llm_usage": (
        "INSERT INTO llm_usage (organization_id, period, provider, model, calls, unpriced_calls,"
        " prompt_tokens, completion_tokens, cost_usd, updated_at)"
        " VALUES (:org, '2000-01', 'openai', :id, 1, 0, 1, 1, 0, now())"
    ),
    "business_rules": (
        "INSERT INTO business_rules (id, organization_id, rule_id, name, priority, enabled,"
        " stop_processing, definition, version, updated_by, created_at, updated_at)"
        " VALUES (:id, :org, 'PLANTED', 'planted', 0, true, false, '{}'::jsonb, 1, 'mallory',"
        " now(), now())"
    ),
    "business_rule_versions": (
        "INSERT INTO business_rule_versions (id, organization_id, business_rule_id, rule_id,"
        " version, definition, change, changed_by, created_at)"
        " VALUES (:id, :org, :business_rule_id, 'SEEDED', 999, '{}'::jsonb, 'updated',"
        " 'mallory', now())"
    ),
    "dialogue_transitions": (
        "INSERT INTO dialogue_transitions (id, organization_id, conversation_id, step,"
        " from_state, to_state, reason, created_at)"
        " VALUES (:id, :org, :conversation_id, 0, 'processing', 'resolved', 'planted', now())"
    ),
    "notification_channels": (
        "INSERT INTO notification_channels (id, organization_id, name, method, target,"
        " on_escalation, enabled, created_at, updated_at)"
        " VALUES (:id, :org, 'planted', 'webhook', 'https://evil.example', true, true,"
        " now(), now())"
    ),
    "escalations": (
        "INSERT INTO escalations (id, organization_id, conversation_id, status, reason_code,"
        " reason, priority, queue, sla_due_at, summary, created_at, updated_at)"
        " VALUES (:id, :org, :conversation_id, 'open', 'rule', 'planted', 'urgent', 'x',"
        " now(), '{}'::jsonb, now(), now())"
    ),
    "salesforce_connections": (
        "INSERT INTO salesforce_connections (id, organization_id, auth_flow, login_url,"
        " consumer_key, api_version, case_external_id_field, case_origin, enabled,"
        " created_at, updated_at)"
        " VALUES (:id, :org, 'client_credentials', 'https://evil.example', 'k', '59.0',"
        " 'X__c', 'Web', true, now(), now())"
        # One connection per organization: the victim's own insert meets its existing one.
        " ON CONFLICT DO NOTHING"
    ),
    "salesforce_case_links": (
        "INSERT INTO salesforce_case_links (id, organization_id, conversation_id, case_id,"
        " synced_sequence, created_at, updated_at)"
        " VALUES (:id, :org, :conversation_id, '500000000000001', 0, now(), now())"
        " ON CONFLICT DO NOTHING"  # one link per conversation, as above
    ),
    "attachments": (
        "INSERT INTO attachments (id, organization_id, conversation_id, filename, content_type,"
        " size, data, uploaded_by, created_at)"
        " VALUES (:id, :org, :conversation_id, 'x.png', 'image/png', 1, '\\x00'::bytea,"
        " 'mallory', now())"
    ),
    "pii_tokens": (
        "INSERT INTO pii_tokens (id, organization_id, token, pii_type, value, created_at)"
        " VALUES (:id, :org, :id, 'email', 'planted@example.com', now())"
    ),
    "security_events": (
        "INSERT INTO security_events (id, organization_id, kind, rule, excerpt, actor,"
        " created_at) VALUES (:id, :org, 'sql_injection', 'planted', 'x', 'mallory', now())"
    ),
}


@pytest.fixture
def stack(postgres_stack: Stack) -> Stack:
    """The harness for these tests runs on PostgreSQL only."""
    return postgres_stack


@dataclass(frozen=True)
class Seeded:
    tenant: TenantHandle
    conversation_id: str
    article_id: str
    business_rule_id: str


async def seed(harness: Harness) -> Seeded:
    """A tenant with rows in every tenant table, made through the API."""
    tenant = await harness.create_tenant()
    created = await harness.client.post(
        CONVERSATIONS,
        json={"user_id": "alice", "subject": "seeded"},
        headers={**tenant.headers, "Idempotency-Key": "seed"},
    )
    assert created.status_code == 201, created.text
    conversation_id = created.json()["id"]
    posted = await harness.client.post(
        f"{CONVERSATIONS}/{conversation_id}/messages",
        json={"content": "My batch job fails"},
        headers=tenant.headers,
    )
    assert posted.status_code == 200, posted.text
    attached = await harness.client.post(
        f"{CONVERSATIONS}/{conversation_id}/attachments",
        files={"file": ("shot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "image/png")},
        headers=tenant.headers,
    )
    assert attached.status_code == 201, attached.text
    attacked = await harness.say(tenant, "admin' OR '1'='1' -- why does login fail")
    assert attacked["id"]  # a security event
    escalated = await harness.say(tenant, "I want to talk to a real person")  # an escalation
    assert escalated["requires_escalation"] is True
    article = {"slug": "seeded", "title": "Seeded", "body": "Seeded.", "category": "other"}
    made = await harness.client.post("/api/v1/kb/articles", json=article, headers=tenant.headers)
    assert made.status_code == 201, made.text
    rated = await harness.client.post(
        "/api/v1/kb/articles/seeded/feedback", json={"helpful": True}, headers=tenant.headers
    )
    assert rated.status_code == 200, rated.text
    rule = {
        "id": "SEEDED",
        "name": "Seeded",
        "conditions": {"field": "intent", "operator": "exists", "value": True},
        "actions": [{"type": "tag", "tags": ["seeded"]}],
    }
    made = await harness.client.post("/api/v1/admin/rules", json=rule, headers=tenant.headers)
    assert made.status_code == 201, made.text
    connection = {
        "auth_flow": "client_credentials",
        "login_url": "https://login.salesforce.com",
        "consumer_key": "seeded",
        "client_secret": "seeded-secret",
    }
    made = await harness.client.put(
        "/api/v1/admin/salesforce", json=connection, headers=tenant.headers
    )
    assert made.status_code == 200, made.text
    channel = {"name": "seeded", "method": "slack", "target": "https://hooks.slack.example/x"}
    made = await harness.client.post(
        "/api/v1/admin/notification-channels", json=channel, headers=tenant.headers
    )
    assert made.status_code == 201, made.text
    meter = DatabaseUsageMeter(harness.app.state.sessionmaker, harness.settings)
    await meter.record(tenant.organization_id, "openai", "seeded", 10, 5, Cost(0.01, priced=True))
    await meter.flush()
    async with harness.app.state.sessionmaker() as session:
        await bind_tenant(session, tenant.organization_id)
        article_id = (
            await session.execute(text("SELECT id FROM kb_articles WHERE slug = 'seeded'"))
        ).scalar_one()
        business_rule_id = (
            await session.execute(text("SELECT id FROM business_rules WHERE rule_id = 'SEEDED'"))
        ).scalar_one()
        # A vault entry needs encryption at rest, which this harness does not configure.
        session.add(
            PiiToken(
                organization_id=tenant.organization_id,
                token=f"[EMAIL:tok_{uuid.uuid4().hex[:16]}]",
                pii_type="email",
                value="seeded@example.com",
            )
        )
        # A Case link is written by the sync job; seeded directly, as that job would.
        session.add(
            SalesforceCaseLink(
                organization_id=tenant.organization_id,
                conversation_id=conversation_id,
                case_id="500000000000SEED",
                synced_sequence=0,
            )
        )
        await session.commit()
    return Seeded(tenant, conversation_id, article_id, business_rule_id)


@pytest.fixture
async def tenant_a(harness: Harness) -> Seeded:
    return await seed(harness)


@pytest.fixture
async def tenant_b(harness: Harness) -> Seeded:
    return await seed(harness)


@pytest.fixture
async def app_engine(postgres_stack: Stack) -> AsyncIterator[AsyncEngine]:
    """Connections as the role the server runs as (no BYPASSRLS), in the run's schema."""
    engine = create_engine(postgres_stack.settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def admin_engine(postgres_stack: Stack) -> AsyncIterator[AsyncEngine]:
    """Connections as the superuser, which row-level security does not apply to."""
    engine = create_engine(migrate.migration_settings(postgres_stack.settings))
    yield engine
    await engine.dispose()


async def organization_ids(
    connection: AsyncConnection, table: str, tenant_setting: str | None
) -> list[str]:
    """organization_id of every row visible in one transaction with the given setting."""
    if tenant_setting is not None:
        await connection.execute(SET_TENANT_SQL, {"org": tenant_setting})
    rows = await connection.execute(text(f"SELECT organization_id FROM {table}"))
    result: list[str] = list(rows.scalars())
    await connection.rollback()
    return result


async def visible(engine: AsyncEngine, table: str, tenant_setting: str | None) -> list[str]:
    async with engine.connect() as connection:
        return await organization_ids(connection, table, tenant_setting)


async def stored_count(admin_engine: AsyncEngine, table: str, organization_id: str) -> int:
    return (await visible(admin_engine, table, None)).count(organization_id)


async def test_app_role_is_bound_by_row_level_security(app_engine: AsyncEngine) -> None:
    async with app_engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
    assert (row.rolsuper, row.rolbypassrls) == (False, False)


async def test_every_tenant_table_has_forced_policy(app_engine: AsyncEngine) -> None:
    async with app_engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
                    " EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = n.nspname"
                    "   AND p.tablename = c.relname AND p.policyname = 'tenant_isolation')"
                    "   AS has_policy"
                    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id'"
                    " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                )
            )
        ).all()
    protected = {row.relname for row in rows if row.relrowsecurity}
    assert protected == set(TENANT_TABLES)
    assert {row.relname for row in rows} == set(TENANT_TABLES) | CROSS_TENANT_TABLES
    for row in rows:
        if row.relname in TENANT_TABLES:
            assert row.relforcerowsecurity, row.relname
            assert row.has_policy, row.relname


@pytest.mark.parametrize("tenant_setting", [None, ""], ids=["unset", "empty"])
@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_query_without_tenant_setting_returns_no_rows(
    app_engine: AsyncEngine,
    admin_engine: AsyncEngine,
    tenant_a: Seeded,
    tenant_b: Seeded,
    table: str,
    tenant_setting: str | None,
) -> None:
    for seeded in (tenant_a, tenant_b):
        assert await stored_count(admin_engine, table, seeded.tenant.organization_id) > 0

    assert await visible(app_engine, table, tenant_setting) == []


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_query_with_tenant_setting_returns_only_that_tenants_rows(
    app_engine: AsyncEngine,
    admin_engine: AsyncEngine,
    tenant_a: Seeded,
    tenant_b: Seeded,
    table: str,
) -> None:
    for own, other in ((tenant_a, tenant_b), (tenant_b, tenant_a)):
        own_id = own.tenant.organization_id
        rows = await visible(app_engine, table, own_id)
        assert set(rows) == {own_id}
        assert len(rows) == await stored_count(admin_engine, table, own_id)
        assert other.tenant.organization_id not in rows


async def test_tenant_setting_ends_with_its_transaction(
    app_engine: AsyncEngine, tenant_a: Seeded
) -> None:
    async with app_engine.connect() as connection:
        assert await organization_ids(connection, "conversations", tenant_a.tenant.organization_id)
        # Same connection (as a pooled connection would be), next transaction: nothing.
        assert await organization_ids(connection, "conversations", None) == []


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_insert_for_other_tenant_is_rejected_by_policy(
    app_engine: AsyncEngine,
    admin_engine: AsyncEngine,
    tenant_a: Seeded,
    tenant_b: Seeded,
    table: str,
) -> None:
    victim = tenant_b.tenant.organization_id
    before = await stored_count(admin_engine, table, victim)
    planted = {
        "id": str(uuid.uuid4()),
        "conversation_id": tenant_b.conversation_id,
        "article_id": tenant_b.article_id,
        "business_rule_id": tenant_b.business_rule_id,
    }
    statement = text(INSERTS[table]).bindparams(
        **{name: value for name, value in planted.items() if f":{name}" in INSERTS[table]}
    )
    async with app_engine.connect() as connection:
        for tenant_setting in (tenant_a.tenant.organization_id, None):
            if tenant_setting is not None:
                await connection.execute(SET_TENANT_SQL, {"org": tenant_setting})
            with pytest.raises(DBAPIError, match="row-level security"):
                await connection.execute(statement, {"org": victim})
            await connection.rollback()

        # The same row as the victim itself is accepted: the rejection is the policy's.
        await connection.execute(SET_TENANT_SQL, {"org": victim})
        await connection.execute(statement, {"org": victim})
        await connection.rollback()

    assert await stored_count(admin_engine, table, victim) == before


async def test_update_and_delete_cannot_reach_other_tenant_rows(
    app_engine: AsyncEngine,
    admin_engine: AsyncEngine,
    tenant_a: Seeded,
    tenant_b: Seeded,
) -> None:
    own = tenant_a.tenant.organization_id
    victim = tenant_b.tenant.organization_id
    messages_before = await stored_count(admin_engine, "messages", victim)
    async with app_engine.connect() as connection:
        await connection.execute(SET_TENANT_SQL, {"org": own})
        updated = await connection.execute(
            text("UPDATE conversations SET subject = 'hijacked' WHERE organization_id = :org"),
            {"org": victim},
        )
        deleted = await connection.execute(
            text("DELETE FROM messages WHERE organization_id = :org"), {"org": victim}
        )
        assert (updated.rowcount, deleted.rowcount) == (0, 0)
        await connection.commit()

        # Nor can a tenant hand its own rows to another tenant.
        await connection.execute(SET_TENANT_SQL, {"org": own})
        with pytest.raises(DBAPIError, match="row-level security"):
            await connection.execute(
                text("UPDATE conversations SET organization_id = :victim WHERE id = :id"),
                {"victim": victim, "id": tenant_a.conversation_id},
            )
        await connection.rollback()

    async with admin_engine.connect() as connection:
        subjects = (
            await connection.execute(
                text("SELECT organization_id, subject FROM conversations WHERE id IN (:a, :b)"),
                {"a": tenant_a.conversation_id, "b": tenant_b.conversation_id},
            )
        ).all()
    assert sorted(subjects) == sorted([(own, "seeded"), (victim, "seeded")])
    assert await stored_count(admin_engine, "messages", victim) == messages_before
