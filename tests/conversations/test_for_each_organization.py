"""A sweep over every organization goes on when one organization's work fails."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.config import TierLimits
from sfagent.conversations.tasks import for_each_organization
from sfagent.errors import Conflict
from tests.conftest import Harness


async def test_one_failing_organization_does_not_stop_the_others(harness: Harness) -> None:
    failing = await harness.create_tenant()
    others = [await harness.create_tenant() for _ in range(2)]
    done: list[str] = []

    async def work(_session: AsyncSession, organization_id: str, _limits: TierLimits) -> int:
        if organization_id == failing.organization_id:
            raise Conflict("locked")
        done.append(organization_id)
        return 1

    total = await for_each_organization(harness.app.state.sessionmaker, harness.settings, work)
    assert {other.organization_id for other in others} <= set(done)
    assert failing.organization_id not in done and total == len(done)
