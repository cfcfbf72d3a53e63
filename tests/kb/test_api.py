"""The knowledge-base REST contract: CRUD, overrides, history, search, feedback, isolation."""

from __future__ import annotations

from typing import Any

import pytest

from sfagent.tenancy import service as tenancy
from tests.conftest import Harness, HarnessFactory, TenantHandle

ARTICLES = "/api/v1/kb/articles"
SEARCH = "/api/v1/kb/search"
DEFAULT_SLUG = "unable-to-lock-row"


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    # Search and CRUD need no NLU model; skipping its load keeps these tests quick.
    return await make_harness(nlu_enabled=False)


def article(slug: str, **fields: Any) -> dict[str, Any]:
    body = {
        "slug": slug,
        "title": "Quokka sync connector refuses to start",
        "body": "## Problem\n\nThe quokka connector stops at start-up.\n\n## Steps\n\n"
        "1. Open Setup.\n2. Reset the numbat token.\n",
        "category": "api_integration",
        "tags": ["Quokka", "connector"],
    }
    body.update(fields)
    return body


async def create(harness: Harness, tenant: TenantHandle, **fields: Any) -> dict[str, Any]:
    slug = fields.pop("slug", "quokka-connector")
    response = await harness.client.post(
        ARTICLES, json=article(slug, **fields), headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def search(harness: Harness, tenant: TenantHandle, q: str, **params: Any) -> list[str]:
    response = await harness.client.get(SEARCH, params={"q": q, **params}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [hit["slug"] for hit in response.json()["results"]]


async def test_create_then_read_back(harness: Harness, tenant: TenantHandle) -> None:
    created = await create(harness, tenant)
    assert created["origin"] == "tenant"
    assert created["version"] == 1
    assert created["tags"] == ["quokka", "connector"]
    assert created["overrides_default"] is False
    response = await harness.client.get(f"{ARTICLES}/quokka-connector", headers=tenant.headers)
    assert response.status_code == 200
    assert response.json()["body"].startswith("## Problem")


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"category": "gardening"}, "category"),
        ({"title": ""}, "title"),
        ({"links": ["javascript:alert(1)"]}, "links"),
        ({"status": "deleted"}, "status"),
        ({"surprise": 1}, "surprise"),
        ({"body": "nul \u0000 byte"}, "NUL"),
        ({"tags": ["ok", "bad\u0000"]}, "NUL"),
    ],
)
async def test_invalid_article_is_422_naming_the_field(
    harness: Harness, tenant: TenantHandle, fields: dict[str, Any], where: str
) -> None:
    fields = dict(fields)  # the parameter is shared by the SQLite and PostgreSQL runs
    slug = fields.pop("slug", "bad-one")
    body = article(slug, **fields)
    response = await harness.client.post(ARTICLES, json=body, headers=tenant.headers)
    assert response.status_code == 422
    assert where in response.text
    listed = await harness.client.get(ARTICLES, params={"origin": "tenant"}, headers=tenant.headers)
    assert listed.json()["items"] == []


async def test_duplicate_slug_is_409(harness: Harness, tenant: TenantHandle) -> None:
    await create(harness, tenant)
    response = await harness.client.post(
        ARTICLES, json=article("quokka-connector"), headers=tenant.headers
    )
    assert response.status_code == 409
    assert "PATCH" in response.json()["error"]


async def test_oversize_body_is_422_and_nothing_stored(make_harness: HarnessFactory) -> None:
    harness = await make_harness(nlu_enabled=False)
    tenant = await harness.create_tenant()
    limit = harness.settings.tier("free").kb_max_article_chars
    response = await harness.client.post(
        ARTICLES, json=article("huge", body="x " * limit), headers=tenant.headers
    )
    assert response.status_code == 422
    assert "split it" in response.json()["error"]
    missing = await harness.client.get(f"{ARTICLES}/huge", headers=tenant.headers)
    assert missing.status_code == 404


async def test_update_versions_history_and_stale_write(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create(harness, tenant)
    url = f"{ARTICLES}/quokka-connector"
    changed = await harness.client.patch(
        url, json={"title": "Quokka connector will not start", "version": 1}, headers=tenant.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    stale = await harness.client.patch(
        url, json={"title": "Lost update", "version": 1}, headers=tenant.headers
    )
    assert stale.status_code == 409
    assert stale.json()["details"]["current_version"] == 2
    null_title = await harness.client.patch(url, json={"title": None}, headers=tenant.headers)
    assert null_title.status_code == 422
    same = await harness.client.patch(
        url, json={"title": "Quokka connector will not start"}, headers=tenant.headers
    )
    assert same.json()["version"] == 2  # no change, no new version
    history = await harness.client.get(f"{url}/versions", headers=tenant.headers)
    assert [(v["version"], v["change"]) for v in history.json()] == [
        (1, "created"),
        (2, "updated"),
    ]
    assert history.json()[0]["title"] == "Quokka sync connector refuses to start"


async def test_default_article_override_and_restore(harness: Harness, tenant: TenantHandle) -> None:
    url = f"{ARTICLES}/{DEFAULT_SLUG}"
    default = (await harness.client.get(url, headers=tenant.headers)).json()
    assert default["origin"] == "default"
    deleting_default = await harness.client.delete(url, headers=tenant.headers)
    assert deleting_default.status_code == 409
    assert "archived" in deleting_default.json()["error"]

    archived = await harness.client.patch(url, json={"status": "archived"}, headers=tenant.headers)
    assert archived.status_code == 200, archived.text
    assert archived.json()["origin"] == "tenant"
    assert archived.json()["overrides_default"] is True
    assert archived.json()["body"] == default["body"]
    assert DEFAULT_SLUG not in await search(harness, tenant, "UNABLE_TO_LOCK_ROW")

    deleted = await harness.client.delete(url, headers=tenant.headers)
    assert deleted.status_code == 204
    assert (await harness.client.get(url, headers=tenant.headers)).json()["origin"] == "default"
    assert (await search(harness, tenant, "UNABLE_TO_LOCK_ROW"))[0] == DEFAULT_SLUG


async def test_search_finds_own_article_and_tenants_are_isolated(
    harness: Harness, tenant: TenantHandle
) -> None:
    other = await harness.create_tenant()
    await create(harness, tenant)
    assert (await search(harness, tenant, "quokka numbat token"))[0] == "quokka-connector"
    assert "quokka-connector" not in await search(harness, other, "quokka numbat token")
    read = await harness.client.get(f"{ARTICLES}/quokka-connector", headers=other.headers)
    assert read.status_code == 404
    changed = await harness.client.patch(
        f"{ARTICLES}/quokka-connector", json={"title": "x"}, headers=other.headers
    )
    assert changed.status_code == 404


async def test_search_returns_snippet_and_origin(harness: Harness, tenant: TenantHandle) -> None:
    response = await harness.client.get(
        SEARCH, params={"q": "Too many SOQL queries: 101", "k": 3}, headers=tenant.headers
    )
    body = response.json()
    top = body["results"][0]
    assert top["slug"] == "too-many-soql-queries"
    assert top["origin"] == "default"
    assert "**" in top["snippet"]
    assert len(body["results"]) == 3


@pytest.mark.parametrize(
    ("params", "where"),
    [({"q": "x" * 2001}, "q"), ({"q": "soql", "k": 21}, "k"), ({"q": ""}, "q")],
)
async def test_search_limits_are_422(
    harness: Harness, tenant: TenantHandle, params: dict[str, Any], where: str
) -> None:
    response = await harness.client.get(SEARCH, params=params, headers=tenant.headers)
    assert response.status_code == 422
    assert where in response.text


async def test_search_scopes_by_category_and_api_version(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create(harness, tenant, slug="old-api", applies_to="v20.0-v30.0", title="Quokka old API")
    assert "old-api" in await search(harness, tenant, "quokka")
    assert "old-api" not in await search(harness, tenant, "quokka", api_version=60.0)
    assert "old-api" in await search(harness, tenant, "quokka", api_version=25.0)
    assert "old-api" not in await search(harness, tenant, "quokka", category="billing_account")


async def test_changes_reach_a_second_server_process(
    make_harness: HarnessFactory,
) -> None:
    first = await make_harness(nlu_enabled=False)
    second = await make_harness(nlu_enabled=False)
    tenant = await first.create_tenant()
    assert "quokka-connector" not in await search(second, tenant, "quokka")
    await create(first, tenant)
    assert (await search(second, tenant, "quokka"))[0] == "quokka-connector"
    await first.client.patch(
        f"{ARTICLES}/quokka-connector",
        json={"body": "The wallaby bridge replaced it."},
        headers=tenant.headers,
    )
    assert (await search(second, tenant, "wallaby bridge"))[0] == "quokka-connector"
    assert "quokka-connector" not in await search(second, tenant, "numbat")
    await first.client.delete(f"{ARTICLES}/quokka-connector", headers=tenant.headers)
    assert "quokka-connector" not in await search(second, tenant, "wallaby bridge")


async def test_list_pages_through_defaults_and_own_articles_once(
    harness: Harness, tenant: TenantHandle
) -> None:
    await create(harness, tenant)
    await harness.client.patch(
        f"{ARTICLES}/{DEFAULT_SLUG}", json={"tags": ["locking"]}, headers=tenant.headers
    )
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 40}
        if cursor:
            params["cursor"] = cursor
        page = (await harness.client.get(ARTICLES, params=params, headers=tenant.headers)).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    slugs = [item["slug"] for item in seen]
    assert slugs == sorted(set(slugs))
    assert len(slugs) == len(harness.app.state.knowledge.defaults) + 1
    by_slug = {item["slug"]: item for item in seen}
    assert by_slug[DEFAULT_SLUG]["origin"] == "tenant"
    assert by_slug["quokka-connector"]["origin"] == "tenant"
    bad = await harness.client.get(ARTICLES, params={"cursor": "!!"}, headers=tenant.headers)
    assert bad.status_code == 400


async def test_feedback_moves_confidence(harness: Harness, tenant: TenantHandle) -> None:
    url = f"{ARTICLES}/{DEFAULT_SLUG}/feedback"
    first = await harness.client.post(url, json={"helpful": True}, headers=tenant.headers)
    assert first.status_code == 200
    assert first.json()["stats"]["helpful_count"] == 1
    after_up = first.json()["stats"]["confidence"]
    down = await harness.client.post(url, json={"helpful": False}, headers=tenant.headers)
    await harness.client.post(url, json={"helpful": False}, headers=tenant.headers)
    assert down.json()["stats"]["unhelpful_count"] == 1
    final = (await harness.client.get(f"{ARTICLES}/{DEFAULT_SLUG}", headers=tenant.headers)).json()
    assert final["stats"]["confidence"] < after_up
    missing = await harness.client.post(
        f"{ARTICLES}/no-such-article/feedback", json={"helpful": True}, headers=tenant.headers
    )
    assert missing.status_code == 404


async def test_writing_needs_the_kb_write_scope(harness: Harness, tenant: TenantHandle) -> None:
    async with harness.app.state.sessionmaker() as session:
        key = await tenancy.create_api_key(
            session, organization_id=tenant.organization_id, name="reader"
        )
        await session.commit()
    reader = {"X-API-Key": key.secret}
    assert (
        await harness.client.get(SEARCH, params={"q": "soql"}, headers=reader)
    ).status_code == 200
    response = await harness.client.post(ARTICLES, json=article("nope"), headers=reader)
    assert response.status_code == 403
    assert "kb:write" in response.json()["error"]
