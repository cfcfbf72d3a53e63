"""A tenant's Salesforce connection (one per organization, audited) and queuing Case syncs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.base import utcnow
from sfagent.errors import NotFound
from sfagent.outbox.service import enqueue
from sfagent.salesforce.auth import Credentials
from sfagent.salesforce.models import SalesforceConnection
from sfagent.salesforce.schemas import ConnectionIn
from sfagent.security.audit import audit_change
from sfagent.tenancy.context import Tenant

CASE_SYNC_JOB = "salesforce.case_sync"
# Salesforce is down for a while: the job keeps trying for about a day before dead-lettering.
CASE_SYNC_ATTEMPTS = 16


class ConnectionNotSet(NotFound):
    def __init__(self) -> None:
        super().__init__("no Salesforce connection; PUT /api/v1/admin/salesforce to set one")


async def get_connection(
    session: AsyncSession, organization_id: str
) -> SalesforceConnection | None:
    statement = select(SalesforceConnection).where(
        SalesforceConnection.organization_id == organization_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


def credentials_of(connection: SalesforceConnection) -> Credentials:
    return Credentials(
        auth_flow=connection.auth_flow,
        login_url=connection.login_url,
        consumer_key=connection.consumer_key,
        username=connection.username,
        private_key=connection.private_key,
        client_secret=connection.client_secret,
    )


async def require_connection(session: AsyncSession, tenant: Tenant) -> SalesforceConnection:
    connection = await get_connection(session, tenant.organization_id)
    if connection is None:
        raise ConnectionNotSet()
    return connection


async def set_connection(
    session: AsyncSession, tenant: Tenant, data: ConnectionIn
) -> SalesforceConnection:
    connection = await get_connection(session, tenant.organization_id)
    if connection is None:
        connection = SalesforceConnection(organization_id=tenant.organization_id)
        session.add(connection)
    for name in (
        "auth_flow",
        "login_url",
        "consumer_key",
        "username",
        "api_version",
        "case_external_id_field",
        "case_origin",
        "enabled",
    ):
        setattr(connection, name, getattr(data, name))
    # A secret left out of a resent connection is kept; one given replaces it.
    connection.private_key = data.private_key or (
        connection.private_key if data.auth_flow == "jwt_bearer" else None
    )
    connection.client_secret = data.client_secret or (
        connection.client_secret if data.auth_flow == "client_credentials" else None
    )
    connection.updated_at = utcnow()
    details = {"auth_flow": data.auth_flow, "login_url": data.login_url, "enabled": data.enabled}
    await audit_change(session, tenant, "salesforce.connection.set", "salesforce", details)
    await session.flush()
    return connection


async def delete_connection(session: AsyncSession, tenant: Tenant) -> None:
    connection = await require_connection(session, tenant)
    await session.delete(connection)
    await audit_change(session, tenant, "salesforce.connection.deleted", "salesforce")
    await session.flush()


async def enqueue_case_sync(
    session: AsyncSession, organization_id: str, conversation_id: str, escalation_id: str
) -> bool:
    """Queue the Case sync in the caller's transaction when the tenant has a connection."""
    connection = await get_connection(session, organization_id)
    if connection is None or not connection.enabled:
        return False
    await enqueue(
        session,
        name=CASE_SYNC_JOB,
        payload={"conversation_id": conversation_id, "escalation_id": escalation_id},
        organization_id=organization_id,
        max_attempts=CASE_SYNC_ATTEMPTS,
    )
    return True
