"""`sfagent chat`: talk to the agent from a terminal, against a running server or in process.

In process (no --url), the app runs inside the command on the configured database, as the
given organization, through a short-lived API key that is revoked on exit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markdown import Markdown

from sfagent.app import create_app
from sfagent.config import load_settings
from sfagent.db import migrate
from sfagent.errors import SfagentError
from sfagent.tenancy import service as tenancy

console = Console(soft_wrap=True)
QUIT_COMMANDS = frozenset({"/quit", "/exit"})
NEW_COMMAND = "/new"
CHAT_KEY_NAME = "sfagent chat"
Prompt = Callable[[], str]


def chat_command(
    url: Annotated[
        str | None, typer.Option(help="A running server, e.g. http://127.0.0.1:8000.")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="API key for --url.", envvar="SFAGENT_API_KEY")
    ] = None,
    org: Annotated[
        str, typer.Option("--org", help="In process: the organization slug or id.")
    ] = "demo",
) -> None:
    """Chat with the agent; /new starts a new conversation, /quit (or Ctrl-D) leaves."""
    if url is not None and not key:
        raise SfagentError("--url needs --key (or SFAGENT_API_KEY)")
    # Before the event loop starts: Alembic's check runs a loop of its own.
    if url is None:
        migrate.require_up_to_date(load_settings())
    try:
        asyncio.run(_chat(url, key, org, _read_line))
    except httpx.HTTPError as error:
        raise SfagentError(f"cannot talk to {url or 'the app'}: {error}") from error


def _read_line() -> str:
    return str(typer.prompt("you", prompt_suffix="> "))


async def _chat(url: str | None, key: str | None, org: str, prompt: Prompt) -> None:
    async with _client(url, key, org) as client:
        conversation = await _new_conversation(client)
        while True:
            try:
                text = prompt().strip()
            except (EOFError, typer.Abort):
                break
            if text in QUIT_COMMANDS:
                break
            if text == NEW_COMMAND:
                conversation = await _new_conversation(client)
            elif text:
                await _say(client, conversation, text)


@asynccontextmanager
async def _client(url: str | None, key: str | None, org: str) -> AsyncIterator[httpx.AsyncClient]:
    if url is not None:
        async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key or ""}) as client:
            yield client
        return
    # Request logs would interleave with the conversation; warnings and errors still show.
    app = create_app(load_settings().model_copy(update={"log_level": "WARNING"}))
    async with app.router.lifespan_context(app):
        secret, key_id = await _issue_key(app, org)
        transport = httpx.ASGITransport(app=app)
        headers = {"X-API-Key": secret}
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://sfagent", headers=headers, timeout=120
            ) as client:
                yield client
        finally:
            await _revoke_key(app, key_id)


async def _issue_key(app: Any, org: str) -> tuple[str, str]:
    async with app.state.sessionmaker() as session:
        organization = await tenancy.get_organization(session, org)
        created = await tenancy.create_api_key(
            session, organization_id=organization.id, name=CHAT_KEY_NAME, actor="cli:chat"
        )
        await session.commit()
    return created.secret, created.api_key.id


async def _revoke_key(app: Any, key_id: str) -> None:
    async with app.state.sessionmaker() as session:
        await tenancy.revoke_api_key(session, key_id=key_id, organization_id=None, actor="cli:chat")
        await session.commit()


async def _new_conversation(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/conversations", json={"channel": "api"})
    _check(response)
    body = response.json()
    if body.get("greeting"):
        console.print(Markdown(body["greeting"]["content"]))
    conversation_id: str = body["id"]
    return conversation_id


async def _say(client: httpx.AsyncClient, conversation: str, text: str) -> None:
    response = await client.post(
        f"/api/v1/conversations/{conversation}/messages", json={"content": text}
    )
    _check(response)
    body = response.json()
    console.print(Markdown(body["response"]))
    state = f"[dim]{body['state']} · {body.get('category') or 'no category'}"
    if body["requires_escalation"]:
        state += " · handed to a person"
    console.print(state + "[/dim]")


def _check(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        message = response.json().get("error", response.text)
    except ValueError:
        message = response.text
    raise SfagentError(f"the server answered {response.status_code}: {message}")
