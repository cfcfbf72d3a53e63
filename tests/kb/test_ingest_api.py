"""POST /api/v1/kb/ingest: bulk create and update, duplicates reported, limits enforced."""

from __future__ import annotations

from typing import Any

import pytest

from sfagent.config import Settings
from tests.conftest import Harness, HarnessFactory, TenantHandle

INGEST = "/api/v1/kb/ingest"
ARTICLES = "/api/v1/kb/articles"
DEFAULT_SLUG = "unable-to-lock-row"


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness(nlu_enabled=False)


def article(slug: str, **fields: Any) -> dict[str, Any]:
    body = {
        "slug": slug,
        "title": f"Platypus {slug} guide",
        "body": f"## {slug}\n\nThe platypus importer needs the {slug} setting switched on.\n",
        "category": "data_import_export",
        "external_id": f"helpdesk:{slug}",
    }
    body.update(fields)
    return body


async def ingest(
    harness: Harness, tenant: TenantHandle, articles: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    response = await harness.client.post(
        INGEST, json={"articles": articles, **extra}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def own_slugs(harness: Harness, tenant: TenantHandle) -> list[str]:
    response = await harness.client.get(
        ARTICLES, params={"origin": "tenant"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["items"]]


async def test_dry_run_reports_and_creates_nothing(harness: Harness, tenant: TenantHandle) -> None:
    report = await ingest(harness, tenant, [article("alpha"), article("beta")], dry_run=True)

    assert report["dry_run"] is True
    assert report["created"] == ["alpha", "beta"]
    assert await own_slugs(harness, tenant) == []


async def test_copy_of_a_shipped_article_is_reported_and_still_created(
    harness: Harness, tenant: TenantHandle
) -> None:
    shipped = (
        await harness.client.get(f"{ARTICLES}/{DEFAULT_SLUG}", headers=tenant.headers)
    ).json()
    copy = article("our-row-lock-note", title="Our row lock note", body=shipped["body"])

    report = await ingest(harness, tenant, [copy])

    assert report["created"] == ["our-row-lock-note"]
    duplicates = [
        finding
        for finding in report["findings"]
        if finding["kind"] in ("exact_duplicate", "near_duplicate")
    ]
    assert [(f["slug"], f["other"]) for f in duplicates] == [("our-row-lock-note", DEFAULT_SLUG)]
    assert duplicates[0]["similarity"] >= 0.8
    assert await own_slugs(harness, tenant) == ["our-row-lock-note"]


async def test_same_payload_again_is_unchanged_and_a_changed_body_is_version_2(
    harness: Harness, tenant: TenantHandle
) -> None:
    payload = [article("alpha"), article("beta")]
    first = await ingest(harness, tenant, payload)
    assert first["created"] == ["alpha", "beta"]

    again = await ingest(harness, tenant, payload)
    assert again["unchanged"] == ["alpha", "beta"]
    assert again["created"] == again["updated"] == again["skipped"] == []
    assert again["revision"] == first["revision"]

    edited = [article("alpha", body="The platypus importer now needs a restart too."), payload[1]]
    changed = await ingest(harness, tenant, edited)
    assert changed["updated"] == ["alpha"]
    assert changed["unchanged"] == ["beta"]
    alpha = (await harness.client.get(f"{ARTICLES}/alpha", headers=tenant.headers)).json()
    assert alpha["version"] == 2
    assert alpha["body"] == "The platypus importer now needs a restart too."
    assert (alpha["imported_from"], alpha["external_id"]) == ("bulk", "helpdesk:alpha")
    history = (
        await harness.client.get(f"{ARTICLES}/alpha/versions", headers=tenant.headers)
    ).json()
    assert [(v["version"], v["change"]) for v in history] == [(1, "imported"), (2, "reimported")]


async def test_more_articles_than_one_request_may_carry_is_422(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(nlu_enabled=False, kb_ingest_max_articles=2)
    tenant = await harness.create_tenant()

    response = await harness.client.post(
        INGEST,
        json={"articles": [article("alpha"), article("beta"), article("gamma")]},
        headers=tenant.headers,
    )

    assert response.status_code == 422
    assert "articles" in response.json()["error"]
    assert await own_slugs(harness, tenant) == []


async def test_over_the_tenant_article_limit_is_409_and_nothing_created(
    make_harness: HarnessFactory,
) -> None:
    tiers = {
        name: limits.model_copy(update={"kb_max_articles": 2})
        for name, limits in Settings().tiers.items()
    }
    harness = await make_harness(nlu_enabled=False, tiers=tiers)
    tenant = await harness.create_tenant()
    await ingest(harness, tenant, [article("alpha")])

    response = await harness.client.post(
        INGEST, json={"articles": [article("beta"), article("gamma")]}, headers=tenant.headers
    )

    assert response.status_code == 409
    assert response.json()["details"] == {"limit": 2, "current": 1, "adding": 2}
    assert await own_slugs(harness, tenant) == ["alpha"]


async def test_one_invalid_article_rejects_the_whole_batch(
    harness: Harness, tenant: TenantHandle
) -> None:
    response = await harness.client.post(
        INGEST,
        json={"articles": [article("alpha"), article("beta", category="gardening")]},
        headers=tenant.headers,
    )

    assert response.status_code == 422
    assert "category" in response.text
    assert await own_slugs(harness, tenant) == []
