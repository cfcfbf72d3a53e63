"""The pages people see: `/` a demo page with the chat widget, `/console` the agent console,
and their static assets. Every page carries strict security headers (no inline script,
no framing)."""

from __future__ import annotations

import html
import secrets
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from sfagent.tenancy.auth import issue_end_user_token
from sfagent.tenancy.repository import OrganizationRepository

router = APIRouter(include_in_schema=False)
WEB = Path(str(resources.files("sfagent") / "web"))
DEMO_ORGANIZATION = "demo"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def static_files() -> StaticFiles:
    return StaticFiles(directory=WEB / "static")


def _page(name: str, **values: str) -> HTMLResponse:
    text = (WEB / "templates" / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return HTMLResponse(text, headers=SECURITY_HEADERS)


@router.get("/", response_class=HTMLResponse)
async def demo(request: Request, token: str | None = None) -> HTMLResponse:
    """The widget on a page. Outside production, a visitor without a token gets one for the
    demo organization (as a tenant's own backend would mint it)."""
    state = request.app.state
    tenant = DEMO_ORGANIZATION
    if token is None and state.settings.environment != "production":
        async with state.read_sessionmaker() as session:
            organization = await OrganizationRepository(session).get_by_id_or_slug(tenant)
        if organization is not None:
            token = issue_end_user_token(
                organization,
                external_user_id=f"visitor-{secrets.token_hex(4)}",
                settings=state.settings,
            )
    return _page("demo.html", token=token or "", tenant=tenant)


@router.get("/console", response_class=HTMLResponse)
async def console() -> HTMLResponse:
    return _page("console.html")
