"""Tenancy tests log staff in often: lift the per-address login throttle for them."""

from __future__ import annotations

import pytest

from tests.conftest import Harness, HarnessFactory


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    # Staff logins are throttled per client IP, and on Redis that bucket is shared by the
    # whole test run: lift it so these tests never trip over each other's logins.
    return await make_harness(auth_ip_requests_per_minute=100_000)
