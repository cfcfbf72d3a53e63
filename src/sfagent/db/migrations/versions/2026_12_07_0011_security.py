"""Security: encrypted columns become text, the PII token vault, security events, the
tenant's PII policy and the sealed head of its audit chain.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RLS_TABLES = ("pii_tokens", "security_events")
# JSON documents now stored as (encrypted) text.
JSON_TO_TEXT = (
    ("messages", "analysis", True),
    ("escalations", "summary", False),
    ("idempotency_records", "response_body", False),
    ("outbox_jobs", "payload", False),
)
# Bounded strings whose ciphertext is longer than the bound.
STRING_TO_TEXT = (
    ("notification_channels", "target", 2000, False),
    ("notification_channels", "secret", 200, True),
    ("salesforce_connections", "client_secret", 300, True),
)


def upgrade() -> None:
    _widen_encrypted_columns()
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pii_policy", _json(), nullable=True))
        batch_op.add_column(sa.Column("audit_head_sequence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("audit_head_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("audit_head_seal", sa.String(length=64), nullable=True))
    _create_pii_tokens()
    _create_security_events()
    _enable_row_level_security()


def downgrade() -> None:
    _disable_row_level_security()
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.drop_index("ix_security_events_org_created")
    op.drop_table("security_events")
    with op.batch_alter_table("pii_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pii_tokens_organization_id"))
    op.drop_table("pii_tokens")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("audit_head_seal")
        batch_op.drop_column("audit_head_hash")
        batch_op.drop_column("audit_head_sequence")
        batch_op.drop_column("pii_policy")
    _narrow_encrypted_columns()


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def _widen_encrypted_columns() -> None:
    for table, column, nullable in JSON_TO_TEXT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=_json(),
                type_=sa.Text(),
                existing_nullable=nullable,
                postgresql_using=f"{column}::text",
            )
    for table, column, length, nullable in STRING_TO_TEXT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=length),
                type_=sa.Text(),
                existing_nullable=nullable,
            )


def _narrow_encrypted_columns() -> None:
    # Only unencrypted values survive a downgrade: run `sfagent keys decrypt` first.
    for table, column, nullable in JSON_TO_TEXT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=_json(),
                existing_nullable=nullable,
                postgresql_using=f"{column}::jsonb",
            )
    for table, column, length, nullable in STRING_TO_TEXT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.String(length=length),
                existing_nullable=nullable,
            )


def _create_pii_tokens() -> None:
    op.create_table(
        "pii_tokens",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("pii_type", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_pii_tokens_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pii_tokens")),
        sa.UniqueConstraint(
            "organization_id", "token", name=op.f("uq_pii_tokens_organization_id_token")
        ),
    )
    with op.batch_alter_table("pii_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pii_tokens_organization_id"), ["organization_id"], unique=False
        )


def _create_security_events() -> None:
    op.create_table(
        "security_events",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=True),
        sa.Column("message_sequence", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("excerpt", sa.String(length=120), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_security_events_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_security_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_security_events_org_created", ["organization_id", "created_at"], unique=False
        )


def _enable_row_level_security() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in RLS_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (organization_id = current_setting('app.current_org_id', true)) "
            "WITH CHECK (organization_id = current_setting('app.current_org_id', true))"
        )


def _disable_row_level_security() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in RLS_TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
