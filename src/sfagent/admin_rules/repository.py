"""All SQL for business rules; every statement is scoped to one organization."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.admin_rules.models import BusinessRule, BusinessRuleVersion


class RulesRepository:
    def __init__(self, session: AsyncSession, organization_id: str) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self) -> Select[BusinessRule]:
        return select(BusinessRule).where(BusinessRule.organization_id == self.organization_id)

    def scoped_versions(self) -> Select[BusinessRuleVersion]:
        return select(BusinessRuleVersion).where(
            BusinessRuleVersion.organization_id == self.organization_id
        )

    async def get(self, rule_id: str, *, for_update: bool = False) -> BusinessRule | None:
        statement = self.scoped().where(BusinessRule.rule_id == rule_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalars().first()

    async def all(self) -> Sequence[BusinessRule]:
        """Every rule in the order the engine runs them: highest priority first, then by id."""
        statement = self.scoped().order_by(BusinessRule.priority.desc(), BusinessRule.rule_id)
        return (await self.session.execute(statement)).scalars().all()

    async def count(self) -> int:
        statement = select(func.count(BusinessRule.id)).where(
            BusinessRule.organization_id == self.organization_id
        )
        return int((await self.session.execute(statement)).scalar_one())

    def add(self, item: BusinessRule | BusinessRuleVersion) -> None:
        self.session.add(item)

    async def delete(self, rule: BusinessRule) -> None:
        await self.session.execute(
            delete(BusinessRuleVersion).where(
                BusinessRuleVersion.organization_id == self.organization_id,
                BusinessRuleVersion.business_rule_id == rule.id,
            )
        )
        await self.session.delete(rule)

    async def versions(self, business_rule_id: str) -> Sequence[BusinessRuleVersion]:
        statement = (
            self.scoped_versions()
            .where(BusinessRuleVersion.business_rule_id == business_rule_id)
            .order_by(BusinessRuleVersion.version)
        )
        return (await self.session.execute(statement)).scalars().all()
