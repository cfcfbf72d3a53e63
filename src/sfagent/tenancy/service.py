"""Organizations, API keys and staff users: creation, listing, revocation."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.config import Settings, TierLimits
from sfagent.db.base import utcnow
from sfagent.errors import ValidationFailed
from sfagent.security.audit import record_audit
from sfagent.tenancy.context import DEFAULT_API_KEY_SCOPES, Scope
from sfagent.tenancy.credentials import generate_api_key, hash_password
from sfagent.tenancy.errors import (
    ApiKeyNotFound,
    DuplicateOrganization,
    DuplicateStaffUser,
    OrganizationNotFound,
)
from sfagent.tenancy.models import ApiKey, Organization, StaffRole, StaffUser
from sfagent.tenancy.repository import (
    ApiKeyRepository,
    OrganizationRepository,
    StaffRepository,
)

SYSTEM_ACTOR = "system:cli"


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    api_key: ApiKey
    secret: str  # shown once


def resolve_limits(organization: Organization, settings: Settings) -> TierLimits:
    """The tier's limits with the organization's own overrides applied."""
    tier = settings.tier(organization.tier)
    overrides = {
        name: getattr(organization, name)
        for name in TierLimits.model_fields
        if getattr(organization, name, None) is not None
    }
    return tier.model_copy(update=overrides)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "org"


async def create_organization(
    session: AsyncSession,
    *,
    name: str,
    settings: Settings,
    slug: str | None = None,
    tier: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> tuple[Organization, CreatedApiKey]:
    """Create an organization and its first API key (with key management scope)."""
    name = name.strip()
    if not name:
        raise ValidationFailed("name", "must not be empty")
    tier = tier or settings.default_tier
    if tier not in settings.tiers:
        raise ValidationFailed("tier", f"unknown tier {tier!r}; known: {sorted(settings.tiers)}")
    slug = slugify(slug or name)
    organizations = OrganizationRepository(session)
    if await organizations.slug_exists(slug):
        raise DuplicateOrganization(slug)
    organization = Organization(
        name=name,
        slug=slug,
        tier=tier,
        end_user_jwt_secret=secrets.token_urlsafe(48),
        end_user_jwt_issuer=f"sfagent:{slug}",
    )
    organizations.add(organization)
    await session.flush()
    await record_audit(
        session,
        organization_id=organization.id,
        actor=actor,
        action="organization.created",
        target=organization.id,
        details={"name": name, "tier": tier},
    )
    key = await create_api_key(
        session,
        organization_id=organization.id,
        name="default",
        scopes=[
            *DEFAULT_API_KEY_SCOPES,
            Scope.KEYS_MANAGE,
            Scope.KB_WRITE,
            Scope.RULES_READ,
            Scope.RULES_WRITE,
            Scope.NOTIFICATIONS_READ,
            Scope.NOTIFICATIONS_WRITE,
            Scope.ESCALATIONS_READ,
            Scope.ESCALATIONS_WRITE,
            Scope.INTEGRATIONS_READ,
            Scope.INTEGRATIONS_WRITE,
            Scope.AUDIT_READ,
            Scope.PRIVACY_MANAGE,
            Scope.SECURITY_WRITE,
        ],
        actor=actor,
    )
    return organization, key


async def get_organization(session: AsyncSession, reference: str) -> Organization:
    organization = await OrganizationRepository(session).get_by_id_or_slug(reference)
    if organization is None:
        raise OrganizationNotFound(reference)
    return organization


async def list_organizations(session: AsyncSession) -> Sequence[Organization]:
    return await OrganizationRepository(session).list_all()


def validate_scopes(scopes: Iterable[str]) -> list[str]:
    known = {scope.value for scope in Scope}
    chosen = sorted(set(scopes))
    unknown = [scope for scope in chosen if scope not in known]
    if unknown:
        raise ValidationFailed("scopes", f"unknown scopes {unknown}; known: {sorted(known)}")
    if not chosen:
        raise ValidationFailed("scopes", "at least one scope is required")
    return chosen


async def create_api_key(
    session: AsyncSession,
    *,
    organization_id: str,
    name: str,
    scopes: Iterable[str] = DEFAULT_API_KEY_SCOPES,
    requests_per_minute: int | None = None,
    actor: str = SYSTEM_ACTOR,
) -> CreatedApiKey:
    """Issue a key; its secret is returned here and never again."""
    if requests_per_minute is not None and requests_per_minute <= 0:
        raise ValidationFailed("requests_per_minute", "must be a positive number")
    issued = generate_api_key()
    api_key = ApiKey(
        organization_id=organization_id,
        name=name.strip() or "unnamed",
        prefix=issued.prefix,
        key_hash=issued.key_hash,
        scopes=validate_scopes(scopes),
        extra={"requests_per_minute": requests_per_minute} if requests_per_minute else None,
    )
    ApiKeyRepository(session).add(api_key)
    await session.flush()
    await record_audit(
        session,
        organization_id=organization_id,
        actor=actor,
        action="api_key.created",
        target=api_key.prefix,
        details={"name": api_key.name, "scopes": api_key.scopes},
    )
    return CreatedApiKey(api_key=api_key, secret=issued.secret)


async def list_api_keys(
    session: AsyncSession, *, organization_id: str, include_revoked: bool = False
) -> Sequence[ApiKey]:
    return await ApiKeyRepository(session, organization_id).list_all(
        include_revoked=include_revoked
    )


async def revoke_api_key(
    session: AsyncSession,
    *,
    key_id: str,
    organization_id: str | None,
    actor: str = SYSTEM_ACTOR,
) -> ApiKey:
    """Revoke a key by id or prefix; None as organization means any (operator CLI)."""
    api_key = await ApiKeyRepository(session, organization_id).get(key_id)
    if api_key is None:
        raise ApiKeyNotFound(key_id)
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        await session.flush()
        await record_audit(
            session,
            organization_id=api_key.organization_id,
            actor=actor,
            action="api_key.revoked",
            target=api_key.prefix,
        )
    return api_key


async def create_staff_user(
    session: AsyncSession,
    *,
    organization_id: str,
    email: str,
    password: str,
    role: StaffRole,
    display_name: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> StaffUser:
    """Create a staff account with an argon2-hashed password."""
    if len(password) < 12:
        raise ValidationFailed("password", "must be at least 12 characters")
    if "@" not in email:
        raise ValidationFailed("email", "must be an email address")
    staff = StaffRepository(session, organization_id)
    if await staff.find_by_email(email) is not None:
        raise DuplicateStaffUser(email)
    user = StaffUser(
        organization_id=organization_id,
        email=email.strip(),
        display_name=display_name,
        role=role.value,
        password_hash=hash_password(password),
    )
    staff.add(user)
    await session.flush()
    await record_audit(
        session,
        organization_id=organization_id,
        actor=actor,
        action="staff_user.created",
        target=user.id,
        details={"email": user.email, "role": user.role},
    )
    return user
