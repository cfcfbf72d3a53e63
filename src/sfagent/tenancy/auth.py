"""Turn a presented credential (API key, end-user JWT, staff JWT) into a Tenant."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.config import Settings
from sfagent.db.base import utcnow
from sfagent.errors import CredentialRejected, Unauthorized
from sfagent.security.audit import record_audit
from sfagent.tenancy import tokens
from sfagent.tenancy.context import (
    END_USER_SCOPES,
    ROLE_SCOPES,
    Principal,
    PrincipalKind,
    Tenant,
)
from sfagent.tenancy.credentials import api_key_matches, parse_api_key_prefix, verify_password
from sfagent.tenancy.models import ApiKey, Organization, StaffRole
from sfagent.tenancy.repository import ApiKeyRepository, OrganizationRepository, StaffRepository
from sfagent.tenancy.service import resolve_limits

ORGANIZATION_UNAVAILABLE = "the credential's organization does not exist or is disabled"


def _tenant(organization: Organization, principal: Principal, settings: Settings) -> Tenant:
    return Tenant(
        organization_id=organization.id,
        slug=organization.slug,
        tier=organization.tier,
        limits=resolve_limits(organization, settings),
        principal=principal,
    )


async def _active_organization(session: AsyncSession, organization_id: str) -> Organization:
    organization = await OrganizationRepository(session).get(organization_id)
    if organization is None or not organization.is_active:
        raise Unauthorized(ORGANIZATION_UNAVAILABLE)
    return organization


async def authenticate_api_key(
    session: AsyncSession, *, secret: str, settings: Settings
) -> tuple[Tenant, ApiKey]:
    """Find the key by its prefix and check the secret, revocation and expiry."""
    prefix = parse_api_key_prefix(secret)
    if prefix is None:
        raise Unauthorized("malformed API key: expected the form sfa_<12 hex>_<secret>")
    found = await ApiKeyRepository(session).find_with_organization(prefix)
    if found is None:
        raise Unauthorized("invalid API key")
    api_key, organization = found
    actor = f"api_key:{api_key.prefix}"
    if not api_key_matches(secret, api_key.key_hash):
        raise CredentialRejected("invalid API key", organization_id=organization.id, actor=actor)
    if api_key.revoked_at is not None:
        raise CredentialRejected(
            "API key has been revoked", organization_id=organization.id, actor=actor
        )
    if api_key.expires_at is not None and api_key.expires_at <= utcnow():
        raise CredentialRejected(
            "API key has expired", organization_id=organization.id, actor=actor
        )
    if not organization.is_active:
        raise Unauthorized(ORGANIZATION_UNAVAILABLE)
    principal = Principal(
        kind=PrincipalKind.API_KEY,
        id=api_key.prefix,
        scopes=frozenset(api_key.scopes),
        requests_per_minute=(api_key.extra or {}).get("requests_per_minute"),
    )
    return _tenant(organization, principal, settings), api_key


async def authenticate_bearer(session: AsyncSession, *, token: str, settings: Settings) -> Tenant:
    """Verify a staff JWT (signed by sfagent) or an end-user JWT (signed by the tenant)."""
    claims = tokens.unverified_claims(token)
    if claims.get("aud") == settings.staff_jwt_audience:
        return await _authenticate_staff(session, token=token, settings=settings)
    organization_id = claims.get("org_id")
    if not isinstance(organization_id, str) or not organization_id:
        raise Unauthorized("bearer token lacks the 'org_id' claim")
    organization = await OrganizationRepository(session).get(organization_id)
    if organization is None or not organization.is_active:
        raise Unauthorized("bearer token names an unknown organization")
    verified = tokens.verify(
        token,
        secret=organization.end_user_jwt_secret,
        audience=settings.jwt_audience,
        issuer=organization.end_user_jwt_issuer,
        leeway=settings.jwt_leeway_seconds,
    )
    subject = str(verified["sub"])
    principal = Principal(
        kind=PrincipalKind.END_USER,
        id=subject,
        scopes=frozenset(END_USER_SCOPES),
        external_user_id=subject,
    )
    return _tenant(organization, principal, settings)


async def _authenticate_staff(session: AsyncSession, *, token: str, settings: Settings) -> Tenant:
    claims = tokens.verify(
        token,
        secret=settings.secret_key.get_secret_value(),
        audience=settings.staff_jwt_audience,
        issuer=tokens.STAFF_ISSUER,
        leeway=settings.jwt_leeway_seconds,
    )
    organization = await _active_organization(session, str(claims.get("org_id", "")))
    staff = await StaffRepository(session, organization.id).get(str(claims["sub"]))
    if staff is None or not staff.is_active:
        raise Unauthorized("staff account does not exist or is disabled")
    role = StaffRole(staff.role)
    principal = Principal(
        kind=PrincipalKind.STAFF, id=staff.id, scopes=frozenset(ROLE_SCOPES[role]), role=role
    )
    return _tenant(organization, principal, settings)


async def login_staff(
    session: AsyncSession, *, organization: str, email: str, password: str, settings: Settings
) -> tuple[str, int]:
    """Check a staff password; return a signed staff token and its lifetime in seconds."""
    failure = Unauthorized("wrong organization, email or password")
    org = await OrganizationRepository(session).get_by_id_or_slug(organization)
    if org is None or not org.is_active:
        raise failure
    staff = await StaffRepository(session, org.id).find_by_email(email)
    if staff is None or not staff.is_active:
        raise CredentialRejected(failure.message, organization_id=org.id, actor="staff:unknown")
    if not verify_password(password, staff.password_hash):
        raise CredentialRejected(failure.message, organization_id=org.id, actor=f"staff:{staff.id}")
    staff.last_login_at = utcnow()
    await record_audit(
        session, organization_id=org.id, actor=f"staff:{staff.id}", action="staff.login"
    )
    ttl = timedelta(minutes=settings.staff_token_ttl_minutes)
    token = tokens.issue(
        secret=settings.secret_key.get_secret_value(),
        subject=staff.id,
        audience=settings.staff_jwt_audience,
        issuer=tokens.STAFF_ISSUER,
        ttl=ttl,
        extra={"org_id": org.id, "role": staff.role},
    )
    return token, int(ttl.total_seconds())


def issue_end_user_token(
    organization: Organization,
    *,
    external_user_id: str,
    settings: Settings,
    ttl: timedelta = timedelta(hours=1),
) -> str:
    """What a tenant's backend does to let its user into the chat widget (for CLI and tests)."""
    return tokens.issue(
        secret=organization.end_user_jwt_secret,
        subject=external_user_id,
        audience=settings.jwt_audience,
        issuer=organization.end_user_jwt_issuer,
        ttl=ttl,
        extra={"org_id": organization.id},
    )
