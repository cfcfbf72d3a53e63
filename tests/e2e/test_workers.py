"""`sfagent serve --workers N`: several processes, one API, metrics summed across them."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import create_tenant, running_server, sqlite_env, unique

pytestmark = pytest.mark.e2e

REQUESTS = 40


def _health_count(metrics: str) -> float:
    match = re.search(
        r'sfagent_http_requests_total\{method="GET",route="/health",status="200"\} ([0-9.]+)',
        metrics,
    )
    return float(match.group(1)) if match else 0.0


def test_two_workers_serve_and_report_metrics_of_both(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path / "workers.db")
    with running_server(env, tmp_path, migrate=True, workers=2) as server:
        tenant = create_tenant(env, unique("Workers"), cwd=tmp_path)
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            baseline = _health_count(client.get("/metrics").text)  # start-up polls count too
            # New connections are spread over both processes by the kernel.
            for _ in range(REQUESTS):
                with httpx.Client(base_url=server.base_url, timeout=10) as fresh:
                    assert fresh.get("/health").status_code == 200
            created = client.post("/api/v1/conversations", json={}, headers=tenant.headers)
            assert created.status_code == 201
            # Every process answers /metrics with the sum over all of them.
            counts = {_health_count(client.get("/metrics").text) for _ in range(6)}
    assert counts == {baseline + REQUESTS}
