"""REST routes: who am I, API key management, staff login."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from sfagent.db.session import SessionDep
from sfagent.errors import Forbidden, RateLimited
from sfagent.idempotency.dependencies import IdempotencyDep
from sfagent.security.lockout import Attempt, credential_label
from sfagent.security.ratelimit import Bucket
from sfagent.tenancy import service
from sfagent.tenancy.auth import login_staff
from sfagent.tenancy.context import Scope
from sfagent.tenancy.dependencies import KeysManage, SettingsDep, TenantRead, client_address
from sfagent.tenancy.models import ApiKey
from sfagent.tenancy.schemas import (
    AccessToken,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyOut,
    PrincipalOut,
    StaffLogin,
    WhoAmI,
)
from sfagent.tenancy.signin_guard import guarded_sign_in

router = APIRouter(prefix="/api/v1", tags=["tenancy"])
KeyId = Annotated[str, Path(max_length=64)]


def api_key_out(api_key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=api_key.id,
        name=api_key.name,
        prefix=api_key.prefix,
        scopes=list(api_key.scopes),
        created_at=api_key.created_at,
        last_used_at=api_key.last_used_at,
        revoked_at=api_key.revoked_at,
    )


@router.get("/me", response_model=WhoAmI)
async def who_am_i(tenant: TenantRead) -> WhoAmI:
    principal = tenant.principal
    return WhoAmI(
        organization_id=tenant.organization_id,
        slug=tenant.slug,
        tier=tenant.tier,
        limits=tenant.limits,
        principal=PrincipalOut(
            kind=principal.kind.value,
            id=principal.id,
            scopes=sorted(principal.scopes),
            role=principal.role.value if principal.role else None,
        ),
    )


@router.get("/keys", response_model=ApiKeyList)
async def list_keys(
    tenant: KeysManage, session: SessionDep, include_revoked: bool = False
) -> ApiKeyList:
    keys = await service.list_api_keys(
        session, organization_id=tenant.organization_id, include_revoked=include_revoked
    )
    return ApiKeyList(items=[api_key_out(key) for key in keys])


@router.post("/keys", status_code=201, response_model=ApiKeyCreated)
async def create_key(
    body: ApiKeyCreate, tenant: KeysManage, session: SessionDep, idempotency: IdempotencyDep
) -> JSONResponse:
    # A credential cannot hand out more than it holds (no escalation through new keys).
    # (An unknown scope is the service's 422, naming it.)
    known = {scope.value for scope in Scope}
    beyond = sorted((set(body.scopes) & known) - tenant.principal.scopes)
    if beyond:
        raise Forbidden(
            f"this credential cannot grant scopes it does not hold: {', '.join(beyond)}"
        )

    async def produce() -> ApiKeyCreated:
        created = await service.create_api_key(
            session,
            organization_id=tenant.organization_id,
            name=body.name,
            scopes=body.scopes,
            requests_per_minute=body.requests_per_minute,
            actor=tenant.principal.label,
        )
        return ApiKeyCreated(**api_key_out(created.api_key).model_dump(), secret=created.secret)

    return await idempotency.run(tenant, produce, status_code=201)


@router.delete("/keys/{key_id}", response_model=ApiKeyOut)
async def revoke_key(key_id: KeyId, tenant: KeysManage, session: SessionDep) -> ApiKeyOut:
    api_key = await service.revoke_api_key(
        session,
        key_id=key_id,
        organization_id=tenant.organization_id,
        actor=tenant.principal.label,
    )
    return api_key_out(api_key)


@router.post("/auth/login", response_model=AccessToken)
async def staff_login(
    body: StaffLogin, request: Request, session: SessionDep, settings: SettingsDep
) -> AccessToken:
    """Exchange a staff email and password for a bearer token (public, throttled per IP)."""
    await _throttle_login(request, settings.auth_ip_requests_per_minute)
    attempt = Attempt(
        client_address(request),
        credential_label(login=f"{body.organization}/{body.email}"),
    )
    token, expires_in = await guarded_sign_in(
        request.app.state,
        session,
        attempt,
        lambda: login_staff(
            session,
            organization=body.organization,
            email=body.email,
            password=body.password,
            settings=settings,
        ),
    )
    return AccessToken(access_token=token, expires_in=expires_in)


async def _throttle_login(request: Request, limit: int) -> None:
    limiter = request.app.state.rate_limiter
    if limiter.disabled:
        return
    client = request.client.host if request.client else "unknown"
    now = time.time()
    decision = await limiter.check([Bucket(f"login-ip:{client}", limit)], now)
    request.state.rate_limit = decision
    if not decision.allowed:
        retry_after = decision.retry_after(now)
        raise RateLimited(
            f"too many login attempts; retry after {retry_after}s",
            details={"retry_after": retry_after, "limit": decision.limit},
            headers={**decision.headers(), "Retry-After": str(retry_after)},
        )
