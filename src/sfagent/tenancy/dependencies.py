"""Request dependencies: authenticate, bind the tenant, rate-limit, check scopes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from sfagent.config import Settings
from sfagent.db.engine import bind_tenant
from sfagent.db.session import SessionDep
from sfagent.errors import Forbidden, Unauthorized
from sfagent.security.lockout import Attempt, credential_label
from sfagent.tenancy.auth import authenticate_api_key, authenticate_bearer
from sfagent.tenancy.context import Scope, Tenant
from sfagent.tenancy.signin_guard import guarded_sign_in


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


# Declared for the OpenAPI schema (so /docs can authorise); the headers themselves are
# parsed below, where each malformed shape gets its own message.
API_KEY_SCHEME = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A server API key: sfa_<12 hex>_<secret>"
)
BEARER_SCHEME = HTTPBearer(
    auto_error=False, description="An end-user JWT signed by your tenant, or a staff token"
)


async def authenticate(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _api_key: Annotated[str | None, Security(API_KEY_SCHEME)] = None,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_SCHEME)] = None,
) -> Tenant:
    """Resolve the Tenant from X-API-Key or a bearer JWT, then count it against rate limits."""
    tenant = await authenticate_credentials(
        request.app,
        session,
        settings,
        api_key=request.headers.get("x-api-key"),
        authorization=request.headers.get("authorization"),
        address=client_address(request),
    )
    await bind_tenant(session, tenant.organization_id)
    structlog.contextvars.bind_contextvars(org_id=tenant.organization_id)
    request.state.rate_limit = await request.app.state.rate_limiter.enforce(tenant)
    return tenant


async def authenticate_credentials(
    app: Any,
    session: AsyncSession,
    settings: Settings,
    *,
    api_key: str | None,
    authorization: str | None,
    address: str,
) -> Tenant:
    """The Tenant an API key or an `Authorization: Bearer` value belongs to (401 otherwise;
    429 while the address or the key is locked out after failures). Shared by HTTP requests
    and WebSocket connections."""
    attempt = Attempt(address, credential_label(api_key=api_key))
    return await guarded_sign_in(
        app.state,
        session,
        attempt,
        lambda: _authenticate(app, session, settings, api_key=api_key, authorization=authorization),
    )


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


async def _authenticate(
    app: Any,
    session: AsyncSession,
    settings: Settings,
    *,
    api_key: str | None,
    authorization: str | None,
) -> Tenant:
    if api_key:
        tenant, key = await authenticate_api_key(session, secret=api_key.strip(), settings=settings)
        app.state.key_usage.note(key.id)
        return tenant
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("malformed Authorization header: expected 'Bearer <token>'")
        return await authenticate_bearer(session, token=token.strip(), settings=settings)
    raise Unauthorized("missing credentials: send X-API-Key or Authorization: Bearer <token>")


def require_scope(tenant: Tenant, scope: Scope) -> None:
    if scope.value not in tenant.principal.scopes:
        raise Forbidden(f"this credential lacks the {scope.value!r} scope")


def require(scope: Scope) -> Callable[[Tenant], Awaitable[Tenant]]:
    """A dependency that authenticates and insists on one scope (403 naming it otherwise)."""

    async def dependency(tenant: Annotated[Tenant, Depends(authenticate)]) -> Tenant:
        require_scope(tenant, scope)
        return tenant

    return dependency


ConversationsRead = Annotated[Tenant, Depends(require(Scope.CONVERSATIONS_READ))]
ConversationsWrite = Annotated[Tenant, Depends(require(Scope.CONVERSATIONS_WRITE))]
KeysManage = Annotated[Tenant, Depends(require(Scope.KEYS_MANAGE))]
TenantRead = Annotated[Tenant, Depends(require(Scope.TENANT_READ))]
DiagnosticsRun = Annotated[Tenant, Depends(require(Scope.DIAGNOSTICS_RUN))]
KnowledgeRead = Annotated[Tenant, Depends(require(Scope.KB_READ))]
KnowledgeWrite = Annotated[Tenant, Depends(require(Scope.KB_WRITE))]
RulesRead = Annotated[Tenant, Depends(require(Scope.RULES_READ))]
RulesWrite = Annotated[Tenant, Depends(require(Scope.RULES_WRITE))]
NotificationsRead = Annotated[Tenant, Depends(require(Scope.NOTIFICATIONS_READ))]
NotificationsWrite = Annotated[Tenant, Depends(require(Scope.NOTIFICATIONS_WRITE))]
EscalationsRead = Annotated[Tenant, Depends(require(Scope.ESCALATIONS_READ))]
EscalationsWrite = Annotated[Tenant, Depends(require(Scope.ESCALATIONS_WRITE))]
IntegrationsRead = Annotated[Tenant, Depends(require(Scope.INTEGRATIONS_READ))]
IntegrationsWrite = Annotated[Tenant, Depends(require(Scope.INTEGRATIONS_WRITE))]
AuditRead = Annotated[Tenant, Depends(require(Scope.AUDIT_READ))]
PrivacyManage = Annotated[Tenant, Depends(require(Scope.PRIVACY_MANAGE))]
PiiReveal = Annotated[Tenant, Depends(require(Scope.PII_REVEAL))]
SecurityWrite = Annotated[Tenant, Depends(require(Scope.SECURITY_WRITE))]
