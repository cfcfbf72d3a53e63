"""Salesforce: each tenant's connection, and the Case each escalated conversation became.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RLS_TABLES = ("salesforce_connections", "salesforce_case_links")


def upgrade() -> None:
    op.create_table(
        "salesforce_connections",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("auth_flow", sa.String(length=32), nullable=False),
        sa.Column("login_url", sa.String(length=300), nullable=False),
        sa.Column("consumer_key", sa.String(length=300), nullable=False),
        sa.Column("username", sa.String(length=300), nullable=True),
        sa.Column("private_key", sa.Text(), nullable=True),
        sa.Column("client_secret", sa.String(length=300), nullable=True),
        sa.Column("api_version", sa.String(length=8), nullable=False),
        sa.Column("case_external_id_field", sa.String(length=80), nullable=False),
        sa.Column("case_origin", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("cases_watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_salesforce_connections_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salesforce_connections")),
        sa.UniqueConstraint(
            "organization_id", name=op.f("uq_salesforce_connections_organization_id")
        ),
    )
    with op.batch_alter_table("salesforce_connections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_salesforce_connections_organization_id"),
            ["organization_id"],
            unique=False,
        )
    op.create_table(
        "salesforce_case_links",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=18), nullable=False),
        sa.Column("synced_sequence", sa.Integer(), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_salesforce_case_links_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_salesforce_case_links_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salesforce_case_links")),
        sa.UniqueConstraint(
            "organization_id",
            "conversation_id",
            name=op.f("uq_salesforce_case_links_organization_id_conversation_id"),
        ),
    )
    with op.batch_alter_table("salesforce_case_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_salesforce_case_links_organization_id"),
            ["organization_id"],
            unique=False,
        )
    _enable_row_level_security()


def downgrade() -> None:
    _disable_row_level_security()
    with op.batch_alter_table("salesforce_case_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_salesforce_case_links_organization_id"))
    op.drop_table("salesforce_case_links")
    with op.batch_alter_table("salesforce_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_salesforce_connections_organization_id"))
    op.drop_table("salesforce_connections")


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
