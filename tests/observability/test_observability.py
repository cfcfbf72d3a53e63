"""Metrics by route template, request ids, JSON logs without message content."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Harness, TenantHandle


async def test_metrics_count_requests_by_route_template_and_stage(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = await harness.create_conversation(tenant)
    await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": "hello"},
        headers=tenant.headers,
    )
    text = (await harness.client.get("/metrics")).text
    assert (
        'sfagent_http_requests_total{method="POST",'
        'route="/api/v1/conversations/{conversation_id}/messages",status="200"}'
    ) in text
    assert 'sfagent_pipeline_stage_duration_seconds_count{stage="record"}' in text
    assert conversation["id"] not in text  # ids never become label values


async def test_request_id_is_echoed_or_generated(harness: Harness) -> None:
    echoed = await harness.client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    generated = await harness.client.get("/health", headers={"X-Request-ID": "bad id!\n"})
    assert generated.headers["X-Request-ID"] != "bad id!\n"
    assert len(generated.headers["X-Request-ID"]) == 32


async def test_logs_are_json_with_ids_and_never_content(
    harness: Harness, tenant: TenantHandle, capfd: pytest.CaptureFixture[str]
) -> None:
    from sfagent.observability.logging import configure_logging

    configure_logging(level="INFO", json=True)
    secret_words = "my password is Tr0ub4dor and the org is acme"
    conversation = await harness.create_conversation(tenant)
    capfd.readouterr()
    await harness.client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"content": secret_words},
        headers={**tenant.headers, "X-Request-ID": "req-42"},
    )
    err = capfd.readouterr().err
    configure_logging(level="WARNING", json=True)
    assert "Tr0ub4dor" not in err
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    request_logs = [r for r in records if r.get("event") == "http.request"]
    assert request_logs, err
    assert request_logs[-1]["request_id"] == "req-42"
    assert request_logs[-1]["org_id"] == tenant.organization_id
    assert request_logs[-1]["status"] == 200


async def test_health_and_ready(harness: Harness) -> None:
    assert (await harness.client.get("/health")).json()["status"] == "ok"
    ready = await harness.client.get("/ready")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["backplane"]["status"] == "ok"


async def test_openapi_docs_are_served_without_a_cdn(harness: Harness) -> None:
    docs = await harness.client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()  # self-hosted: works on an offline network
    bundle = await harness.client.get("/static-offline-docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    schema = (await harness.client.get("/openapi.json")).json()
    assert "/api/v1/conversations/{conversation_id}/messages" in schema["paths"]
