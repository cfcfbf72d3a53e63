"""A tenant's business hours: read, set, clear (audited), and whether it is open now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.errors import NotFound
from sfagent.rules.business_hours import BusinessHours
from sfagent.security.audit import audit_change
from sfagent.tenancy.context import Tenant
from sfagent.tenancy.repository import OrganizationRepository


class BusinessHoursNotSet(NotFound):
    def __init__(self) -> None:
        super().__init__("business hours are not set; PUT /api/v1/admin/business-hours to set them")


async def get_business_hours(session: AsyncSession, organization_id: str) -> BusinessHours | None:
    organization = await OrganizationRepository(session).get(organization_id)
    if organization is None or not organization.business_hours:
        return None
    return BusinessHours.model_validate(organization.business_hours)


async def require_business_hours(session: AsyncSession, tenant: Tenant) -> BusinessHours:
    hours = await get_business_hours(session, tenant.organization_id)
    if hours is None:
        raise BusinessHoursNotSet()
    return hours


async def set_business_hours(
    session: AsyncSession, tenant: Tenant, hours: BusinessHours
) -> BusinessHours:
    organization = await OrganizationRepository(session).get(tenant.organization_id)
    assert organization is not None  # the tenant was authenticated against it
    organization.business_hours = hours.model_dump(mode="json")
    await audit_change(
        session, tenant, "business_hours.set", "business_hours", organization.business_hours
    )
    await session.flush()
    return hours


async def clear_business_hours(session: AsyncSession, tenant: Tenant) -> None:
    organization = await OrganizationRepository(session).get(tenant.organization_id)
    if organization is None or not organization.business_hours:
        raise BusinessHoursNotSet()
    organization.business_hours = None
    await audit_change(session, tenant, "business_hours.cleared", "business_hours")
    await session.flush()


async def open_now(session: AsyncSession, organization_id: str, now: datetime) -> bool | None:
    """Whether the tenant is within its business hours; None when it has set none."""
    hours = await get_business_hours(session, organization_id)
    return hours.is_open(now) if hours is not None else None
