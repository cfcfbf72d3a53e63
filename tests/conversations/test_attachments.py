"""Screenshots on a conversation: images only (by their bytes), size-limited, served inert,
visible only with their conversation."""

from __future__ import annotations

from typing import Any

from tests.conftest import Harness, TenantHandle

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


async def _upload(
    harness: Harness, tenant: TenantHandle, conversation: str, name: str, data: bytes
) -> Any:
    return await harness.client.post(
        f"/api/v1/conversations/{conversation}/attachments",
        files={"file": (name, data, "application/octet-stream")},
        headers=tenant.headers,
    )


async def test_a_screenshot_is_stored_and_served_inert(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    stored = await _upload(harness, tenant, conversation, "../../error<1>.png", PNG)
    assert stored.status_code == 201, stored.text
    body = stored.json()
    assert (body["content_type"], body["size"], body["filename"]) == (
        "image/png",
        len(PNG),
        "error<1>.png",
    )
    served = await harness.client.get(body["url"], headers=tenant.headers)
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    webp = await _upload(harness, tenant, conversation, "shot.webp", WEBP)
    assert webp.json()["content_type"] == "image/webp"


async def test_anything_but_an_image_is_415_whatever_its_name(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    for name, data in (("shot.png", b"<svg onload=alert(1)>"), ("notes.txt", b"hello")):
        response = await _upload(harness, tenant, conversation, name, data)
        assert response.status_code == 415
        assert "PNG, JPEG, GIF or WebP" in response.json()["error"]


async def test_a_screenshot_over_the_limit_is_413_naming_it(make_harness: Any) -> None:
    harness: Harness = await make_harness(attachment_max_bytes=512)
    tenant = await harness.create_tenant()
    conversation = (await harness.create_conversation(tenant))["id"]
    response = await _upload(harness, tenant, conversation, "big.png", PNG)
    assert response.status_code == 413 and "at most 512" in response.json()["error"]


async def test_a_request_that_is_not_an_upload_is_422(
    harness: Harness, tenant: TenantHandle
) -> None:
    conversation = (await harness.create_conversation(tenant))["id"]
    response = await harness.client.post(
        f"/api/v1/conversations/{conversation}/attachments",
        json={"file": "x"},
        headers=tenant.headers,
    )
    assert response.status_code == 422 and "multipart/form-data" in response.text


async def test_another_tenant_cannot_read_a_screenshot(harness: Harness) -> None:
    owner, other = await harness.create_tenant(), await harness.create_tenant()
    conversation = (await harness.create_conversation(owner))["id"]
    url = (await _upload(harness, owner, conversation, "shot.png", PNG)).json()["url"]
    assert (await harness.client.get(url, headers=other.headers)).status_code == 404
