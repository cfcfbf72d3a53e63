"""All SQL for tenancy. Lookups by credential are deliberately cross-tenant (they find it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.tenancy.models import ApiKey, EndUser, Organization, StaffUser


class OrganizationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: str) -> Organization | None:
        return await self.session.get(Organization, organization_id)

    async def get_by_id_or_slug(self, reference: str) -> Organization | None:
        statement = select(Organization).where(
            or_(Organization.id == reference, Organization.slug == reference)
        )
        return (await self.session.execute(statement)).scalars().first()

    async def slug_exists(self, slug: str) -> bool:
        statement = select(func.count()).where(Organization.slug == slug)
        return bool((await self.session.execute(statement)).scalar_one())

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count(Organization.id)))).scalar_one())

    async def list_all(self) -> Sequence[Organization]:
        statement = select(Organization).order_by(Organization.created_at)
        return (await self.session.execute(statement)).scalars().all()

    def add(self, organization: Organization) -> None:
        self.session.add(organization)


class ApiKeyRepository:
    def __init__(self, session: AsyncSession, organization_id: str | None = None) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self) -> Select[ApiKey]:
        statement = select(ApiKey)
        if self.organization_id is not None:
            statement = statement.where(ApiKey.organization_id == self.organization_id)
        return statement

    async def find_with_organization(self, prefix: str) -> tuple[ApiKey, Organization] | None:
        """The key and its organization in one round trip (this runs on every request)."""
        statement = (
            select(ApiKey, Organization)
            .join(Organization, Organization.id == ApiKey.organization_id)
            .where(ApiKey.prefix == prefix)
        )
        if self.organization_id is not None:
            statement = statement.where(ApiKey.organization_id == self.organization_id)
        row = (await self.session.execute(statement)).first()
        return (row[0], row[1]) if row else None

    async def get(self, key_id: str) -> ApiKey | None:
        statement = self.scoped().where(or_(ApiKey.id == key_id, ApiKey.prefix == key_id))
        return (await self.session.execute(statement)).scalars().first()

    async def list_all(self, *, include_revoked: bool) -> Sequence[ApiKey]:
        statement = self.scoped().order_by(ApiKey.created_at)
        if not include_revoked:
            statement = statement.where(ApiKey.revoked_at.is_(None))
        return (await self.session.execute(statement)).scalars().all()

    async def touch(self, key_id: str, when: datetime) -> None:
        await self.session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when)
        )

    def add(self, api_key: ApiKey) -> None:
        self.session.add(api_key)


class StaffRepository:
    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self) -> Select[StaffUser]:
        return select(StaffUser).where(StaffUser.organization_id == self.organization_id)

    async def get(self, staff_id: str) -> StaffUser | None:
        statement = self.scoped().where(StaffUser.id == staff_id)
        return (await self.session.execute(statement)).scalars().first()

    async def find_by_email(self, email: str) -> StaffUser | None:
        statement = self.scoped().where(func.lower(StaffUser.email) == email.lower())
        return (await self.session.execute(statement)).scalars().first()

    def add(self, staff: StaffUser) -> None:
        self.session.add(staff)


class EndUserRepository:
    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self) -> Select[EndUser]:
        return select(EndUser).where(EndUser.organization_id == self.organization_id)

    async def find_by_external_id(self, external_id: str) -> EndUser | None:
        statement = self.scoped().where(EndUser.external_id == external_id)
        return (await self.session.execute(statement)).scalars().first()

    async def get(self, end_user_id: str) -> EndUser | None:
        statement = self.scoped().where(EndUser.id == end_user_id)
        return (await self.session.execute(statement)).scalars().first()

    def add(self, end_user: EndUser) -> None:
        self.session.add(end_user)
