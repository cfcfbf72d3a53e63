"""REST routes of the tenant's Salesforce connection, under /api/v1/admin/salesforce."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sfagent.db.session import SessionDep
from sfagent.salesforce import service
from sfagent.salesforce.models import SalesforceConnection
from sfagent.salesforce.schemas import ConnectionIn, ConnectionOut
from sfagent.tenancy.dependencies import IntegrationsRead, IntegrationsWrite

router = APIRouter(prefix="/api/v1/admin/salesforce", tags=["salesforce"])


def connection_out(connection: SalesforceConnection) -> ConnectionOut:
    return ConnectionOut(
        auth_flow=connection.auth_flow,
        login_url=connection.login_url,
        consumer_key=connection.consumer_key,
        username=connection.username,
        has_private_key=bool(connection.private_key),
        has_client_secret=bool(connection.client_secret),
        api_version=connection.api_version,
        case_external_id_field=connection.case_external_id_field,
        case_origin=connection.case_origin,
        enabled=connection.enabled,
        updated_at=connection.updated_at,
    )


@router.get("", response_model=ConnectionOut)
async def get_connection(tenant: IntegrationsRead, session: SessionDep) -> ConnectionOut:
    """The connection (secrets never shown: `has_private_key`, `has_client_secret`)."""
    return connection_out(await service.require_connection(session, tenant))


@router.put("", response_model=ConnectionOut)
async def set_connection(
    body: ConnectionIn, tenant: IntegrationsWrite, session: SessionDep
) -> ConnectionOut:
    """Escalations of this organization then become Cases (upserted on the external id)."""
    return connection_out(await service.set_connection(session, tenant, body))


@router.delete("", status_code=204)
async def delete_connection(tenant: IntegrationsWrite, session: SessionDep) -> Response:
    await service.delete_connection(session, tenant)
    return Response(status_code=204)
