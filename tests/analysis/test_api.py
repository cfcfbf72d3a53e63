"""The analyze endpoints: authenticated, size-limited, clear errors, engine results as JSON."""

from __future__ import annotations

from tests.conftest import Harness, HarnessFactory, TenantHandle

BROKEN_APEX = "public class Foo {\n  void a() {\n    Integer i = 1\n  }\n}\n"


async def test_analyze_requires_authentication(harness: Harness) -> None:
    response = await harness.client.post("/api/v1/analyze/apex", json={"code": "class A {}"})
    assert response.status_code == 401


async def test_key_without_diagnostics_scope_is_forbidden(
    harness: Harness, tenant: TenantHandle
) -> None:
    created = await harness.client.post(
        "/api/v1/keys",
        json={"name": "read-only", "scopes": ["conversations:read"]},
        headers=tenant.headers,
    )
    assert created.status_code == 201, created.text
    response = await harness.client.post(
        "/api/v1/analyze/apex",
        json={"code": "class A {}"},
        headers={"X-API-Key": created.json()["secret"]},
    )
    assert response.status_code == 403


async def test_apex_syntax_error_is_reported_with_position(
    harness: Harness, tenant: TenantHandle
) -> None:
    response = await harness.client.post(
        "/api/v1/analyze/apex", json={"code": BROKEN_APEX}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid_syntax"] is False
    error = body["syntax_errors"][0]
    assert error["missing"] == ";"
    assert error["span"]["line"] == 3


async def test_unknown_rule_is_422_naming_the_field(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/analyze/apex",
        json={"code": "class A {}", "rules": ["NoSuchRule"]},
        headers=tenant.headers,
    )
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["field"] == "code"
    assert "NoSuchRule" in response.json()["error"]


async def test_code_over_the_configured_limit_is_413(make_harness: HarnessFactory) -> None:
    harness = await make_harness(analyze_max_code_bytes=1024)
    tenant = await harness.create_tenant()
    response = await harness.client.post(
        "/api/v1/analyze/apex", json={"code": "x" * 5000}, headers=tenant.headers
    )
    assert response.status_code == 413
    assert "limit is 1 KB" in response.json()["error"]


async def test_nul_in_code_is_422(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/analyze/apex", json={"code": "class A {\u0000}"}, headers=tenant.headers
    )
    assert response.status_code == 422


async def test_soql_syntax_error_has_position_and_suggestion(
    harness: Harness, tenant: TenantHandle
) -> None:
    response = await harness.client.post(
        "/api/v1/analyze/soql", json={"query": "SELECT * FROM Account"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is False
    (error,) = body["errors"]
    assert (error["line"], error["column"]) == (1, 8)
    assert "FIELDS(" in error["suggestion"]


async def test_soql_advice_names_the_rule_and_fix(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/analyze/soql",
        json={"query": "[SELECT Id FROM Contact WHERE LastName LIKE '%son'];"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    rules = {finding["rule"] for finding in response.json()["findings"]}
    assert "SoqlLeadingWildcard" in rules


async def test_empty_soql_is_422(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/analyze/soql", json={"query": "   "}, headers=tenant.headers
    )
    assert response.status_code == 422
    assert "empty" in response.json()["error"]


async def test_error_text_is_matched_with_fix_and_origin_frame(
    harness: Harness, tenant: TenantHandle
) -> None:
    text = (
        "System.DmlException: Insert failed. First exception on row 0; first error: "
        "REQUIRED_FIELD_MISSING, Required fields are missing: [LastName]: [LastName]\n"
        "Class.LeadImporter.run: line 27, column 1"
    )
    response = await harness.client.post(
        "/api/v1/analyze/error", json={"text": text, "limit": 1}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    (match,) = response.json()["matches"]
    assert match["status_code"] == "REQUIRED_FIELD_MISSING"
    assert match["details"]["fields"] == ["LastName"]
    assert match["origin"]["line"] == 27


async def test_error_limit_out_of_range_is_422(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/analyze/error", json={"text": "x", "limit": 50}, headers=tenant.headers
    )
    assert response.status_code == 422


FATAL_LOG = (
    "62.0 APEX_CODE,FINE;APEX_PROFILING,INFO\n"
    "12:00:00.1 (100)|EXECUTION_STARTED\n"
    "12:00:00.1 (150)|CODE_UNIT_STARTED|[EXTERNAL]|01q000000000001|AccountTrigger on Account "
    "trigger event BeforeUpdate\n"
    "12:00:00.1 (200)|FATAL_ERROR|System.LimitException: Too many SOQL queries: 101\n"
    "12:00:00.1 (250)|CODE_UNIT_FINISHED|AccountTrigger on Account trigger event BeforeUpdate\n"
    "12:00:00.1 (300)|EXECUTION_FINISHED\n"
)


async def test_log_upload_as_multipart_file_reports_the_fatal_error(
    harness: Harness, tenant: TenantHandle
) -> None:
    response = await harness.client.post(
        "/api/v1/analyze/log",
        files={"file": ("apex.log", FATAL_LOG.encode(), "text/plain")},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    (fatal,) = [e for e in body["exceptions"] if e["kind"] == "fatal"]
    assert fatal["type"] == "System.LimitException"
    assert "Too many SOQL queries" in body["summary"]


async def test_log_as_raw_text_and_as_json_give_the_same_report(
    harness: Harness, tenant: TenantHandle
) -> None:
    raw = await harness.client.post(
        "/api/v1/analyze/log",
        content=FATAL_LOG.encode(),
        headers={**tenant.headers, "Content-Type": "text/plain"},
    )
    as_json = await harness.client.post(
        "/api/v1/analyze/log", json={"log": FATAL_LOG}, headers=tenant.headers
    )
    assert raw.status_code == as_json.status_code == 200
    assert raw.json()["exceptions"] == as_json.json()["exceptions"]


async def test_binary_upload_and_non_log_text_are_422(
    harness: Harness, tenant: TenantHandle
) -> None:
    binary = await harness.client.post(
        "/api/v1/analyze/log",
        files={"file": ("shot.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "image/png")},
        headers=tenant.headers,
    )
    assert binary.status_code == 422
    assert "binary" in binary.json()["error"]
    prose = await harness.client.post(
        "/api/v1/analyze/log",
        content=b"hello, this is not a log",
        headers={**tenant.headers, "Content-Type": "text/plain"},
    )
    assert prose.status_code == 422
    assert "not an Apex debug log" in prose.json()["error"]


async def test_log_over_the_configured_limit_is_413(make_harness: HarnessFactory) -> None:
    harness = await make_harness(analyze_max_log_bytes=1024)
    tenant = await harness.create_tenant()
    response = await harness.client.post(
        "/api/v1/analyze/log",
        content=FATAL_LOG.encode() * 20,
        headers={**tenant.headers, "Content-Type": "text/plain"},
    )
    assert response.status_code == 413


async def test_unsupported_content_type_is_415(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.post(
        "/api/v1/analyze/log",
        content=b"<log/>",
        headers={**tenant.headers, "Content-Type": "application/xml"},
    )
    assert response.status_code == 415
