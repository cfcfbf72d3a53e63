"""Business rules: each tenant's rules and every saved version of them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 03:00:44.913296
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each holds one tenant's rows: row-level security on PostgreSQL, as in 0001 to 0003.
RLS_TABLES = ("business_rules", "business_rule_versions")


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "business_rules",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("stop_processing", sa.Boolean(), nullable=False),
        sa.Column("definition", _json(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_business_rules_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_rules")),
        sa.UniqueConstraint(
            "organization_id", "rule_id", name=op.f("uq_business_rules_organization_id_rule_id")
        ),
    )
    op.create_table(
        "business_rule_versions",
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("business_rule_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", _json(), nullable=False),
        sa.Column("change", sa.String(length=32), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_rule_id"],
            ["business_rules.id"],
            name=op.f("fk_business_rule_versions_business_rule_id_business_rules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_business_rule_versions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_rule_versions")),
        sa.UniqueConstraint(
            "business_rule_id",
            "version",
            name=op.f("uq_business_rule_versions_business_rule_id_version"),
        ),
    )
    with op.batch_alter_table("business_rule_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_business_rule_versions_organization_id"),
            ["organization_id"],
            unique=False,
        )
    _enable_row_level_security()


def downgrade() -> None:
    _disable_row_level_security()
    with op.batch_alter_table("business_rule_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_business_rule_versions_organization_id"))

    op.drop_table("business_rule_versions")
    op.drop_table("business_rules")


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
