"""The widget and the console in a real browser (Debian's headless Chromium, driven by
Playwright): a customer chats, uploads a log and asks for a person; an agent signs in to the
console in a second browser context, claims, replies; the customer sees the reply live; the
agent resolves; the customer rates. axe-core audits both pages: no serious or critical
violation. SFAGENT_TEST_SCREENSHOTS=DIR saves screenshots of both (the README's images)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.e2e.servers import Server, create_tenant, run_cli, running_server, sqlite_env, unique

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000  # a bound on waiting for the page (the pipeline, the outbox), not a speed test
PASSWORD = "correct horse battery staple"
TINY_PNG = bytes.fromhex(  # a 1x1 red pixel
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
)
LOG = (
    "59.0 APEX_CODE,FINEST\n"
    "12:00:01.001 (5000123)|EXECUTION_STARTED\n"
    "12:00:01.004 (5123000)|SOQL_EXECUTE_BEGIN|[14]|Aggregations:0|SELECT Id FROM Contact\n"
    "12:00:01.005 (5123456)|FATAL_ERROR|System.LimitException: Too many SOQL queries: 101\n"
)


def _chromium_or_skip() -> None:
    if shutil.which(CHROMIUM) is None:
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(message + " and SFAGENT_REQUIRE_SERVICES=1 forbids skipping")
        pytest.skip(message)


@pytest.fixture
def browser() -> Iterator[Any]:
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    env = sqlite_env(tmp_path / "browser.db")
    with running_server(env, tmp_path, migrate=True) as server:
        yield server, env


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} at "
        + ", ".join(str(node.get("target")) for node in violation.get("nodes", []))
        for violation in results.response["violations"]
        if violation.get("impact") in ("serious", "critical")
    ]


def screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("SFAGENT_TEST_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_customer_and_agent_in_the_browser(
    browser: Any, served: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    server, env = served
    tenant = create_tenant(env, unique("Browser"), cwd=tmp_path)
    token = (
        run_cli(
            env,
            "token",
            "end-user",
            "--org",
            tenant.slug,
            "--user",
            "jane@acme.example",
            cwd=tmp_path,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    email = f"agent-{unique('a')}@acme.example"
    run_cli(
        env,
        "staff",
        "create",
        "--org",
        tenant.slug,
        "--email",
        email,
        "--role",
        "agent",
        "--password",
        PASSWORD,
        cwd=tmp_path,
    )
    log_file = tmp_path / "nightly.log"
    log_file.write_text(LOG)
    screenshot_file = tmp_path / "error.png"
    screenshot_file.write_bytes(TINY_PNG)

    customer = browser.new_context(viewport={"width": 1024, "height": 800}).new_page()
    customer.set_default_timeout(WAIT_MS)
    customer.goto(f"{server.base_url}/?token={token}")
    customer.focus(".sfa-launcher")
    customer.keyboard.press("Enter")  # keyboard only
    assert customer.evaluate("document.activeElement.id") == "sfa-input"
    log = customer.locator(".sfa-log")
    log.locator(".sfa-assistant").first.wait_for()  # the greeting

    customer.fill("#sfa-input", "How do I reset a user's password?")
    customer.keyboard.press("Enter")
    log.locator(".sfa-assistant").nth(1).wait_for()
    customer.set_input_files("#sfa-file", str(log_file))
    log.locator(".sfa-assistant").nth(2).wait_for()
    assert "101" in log.locator(".sfa-assistant").nth(2).inner_text()
    log.locator(".sfa-assistant").nth(2).get_by_role("button", name="This reply helped").click()
    log.locator(".sfa-feedback", has_text="Thanks for the feedback").wait_for()
    assert customer.locator(".sfa-code").count() >= 1, "the pasted log renders as code"
    customer.set_input_files("#sfa-file", str(screenshot_file))
    log.locator(".sfa-user", has_text="Screenshot attached: error.png").wait_for()
    log.locator(".sfa-assistant").nth(3).wait_for()
    customer.fill("#sfa-input", "I want to talk to a person please")
    customer.keyboard.press("Enter")
    log.locator(".sfa-assistant").nth(4).wait_for()
    assert "person" in log.locator(".sfa-assistant").nth(4).inner_text()
    assert serious_violations(customer) == []
    screenshot(customer, "widget.png")

    agent = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    agent.set_default_timeout(WAIT_MS)
    agent.goto(f"{server.base_url}/console")
    assert serious_violations(agent) == []
    agent.fill("#org", tenant.slug)
    agent.fill("#email", email)
    agent.fill("#password", PASSWORD)
    agent.click("#login button[type=submit]")
    agent.locator("[data-escalation]").first.click()
    analysis = agent.locator(".msg.user .analysis").first
    analysis.wait_for()
    assert "intent" in analysis.inner_text() and "answer" in analysis.inner_text()
    agent.get_by_role("button", name="Show screenshot").click()
    agent.locator("img.shot").wait_for()
    agent.click("#claim")
    agent.locator("#desk-status", has_text="Claimed").wait_for()
    agent.fill("#reply-text", "Hi Jane, Sam here. I am looking at your SOQL limit now.")
    agent.click("#reply button[type=submit]")
    agent.locator("#desk-status", has_text="Sent").wait_for()
    assert serious_violations(agent) == []
    screenshot(agent, "console.png")

    log.locator(".sfa-agent", has_text="Sam here").wait_for()  # live, through the outbox

    agent.click("#resolve")
    agent.locator("#desk-status", has_text="Resolved").wait_for()
    customer.locator("button[aria-label='Rate 5 out of 5']").click()
    customer.locator(".sfa-rating", has_text="5 out of 5").wait_for()

    conversation = customer.evaluate("sessionStorage.getItem('sfagent:demo:conversation')")
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        view = client.get(f"/api/v1/conversations/{conversation}", headers=tenant.headers)
    assert view.json()["csat_score"] == 5 and view.json()["status"] == "resolved"

    customer.set_viewport_size({"width": 320, "height": 640})
    assert customer.evaluate("document.documentElement.scrollWidth") <= 320
    panel = customer.locator(".sfa-panel").bounding_box()
    assert panel is not None and panel["width"] <= 320


def test_pages_carry_security_headers(served: tuple[Server, dict[str, str]]) -> None:
    server, _ = served
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for path in ("/", "/console"):
            response = client.get(path)
            assert response.status_code == 200
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            assert "script-src 'self'" in response.headers["content-security-policy"]
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
        hostile = client.get('/?token="><script>alert(1)</script>')
        assert "<script>alert(1)</script>" not in hostile.text
