"""`sfagent chat`: a terminal conversation with the agent, in process or against a server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import anyio
import pytest
from sqlalchemy import select

from sfagent.config import load_settings
from sfagent.conversations import chat_cli
from sfagent.db import migrate
from sfagent.db.engine import create_engine, create_sessionmaker
from sfagent.errors import SfagentError
from sfagent.tenancy import service as tenancy
from sfagent.tenancy.models import ApiKey


@pytest.fixture
async def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    monkeypatch.setenv("SFAGENT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    monkeypatch.setenv("SFAGENT_NLU_ENABLED", "0")  # the reply path, without the model load
    monkeypatch.setenv("SFAGENT_WORKER_ENABLED", "0")
    # Alembic runs its own event loop, so it cannot run on the test's.
    await anyio.to_thread.run_sync(migrate.upgrade, load_settings())
    yield


def scripted(*lines: str) -> Callable[[], str]:
    pending = list(lines)

    def prompt() -> str:
        if not pending:
            raise EOFError
        return pending.pop(0)

    return prompt


async def chat_keys() -> list[ApiKey]:
    engine = create_engine(load_settings())
    try:
        async with create_sessionmaker(engine)() as session:
            query = select(ApiKey).where(ApiKey.name == chat_cli.CHAT_KEY_NAME)
            return list((await session.execute(query)).scalars())
    finally:
        await engine.dispose()


async def make_org(slug: str) -> None:
    settings = load_settings()
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine, writer=True)() as session:
            await tenancy.create_organization(session, name="Chat Co", slug=slug, settings=settings)
            await session.commit()
    finally:
        await engine.dispose()


async def test_in_process_chat_answers_and_revokes_its_key(
    database: None, capsys: pytest.CaptureFixture[str]
) -> None:
    await make_org("chat-co")
    prompt = scripted("How do I reset a user's password?", "/new", "/quit", "never read")
    await chat_cli._chat(None, None, "chat-co", prompt)
    output = capsys.readouterr().out
    assert output.count("Hello!") == 2  # the greeting of each conversation
    assert "Reset Password" in output and "Sources:" in output
    keys = await chat_keys()
    assert len(keys) == 1 and keys[0].revoked_at is not None


async def test_unknown_organization_is_one_clear_error(database: None) -> None:
    with pytest.raises(SfagentError, match="not found"):
        await chat_cli._chat(None, None, "nobody", scripted())


def test_url_without_key_is_refused() -> None:
    with pytest.raises(SfagentError, match="--key"):
        chat_cli.chat_command(url="http://127.0.0.1:9", key=None, org="demo")


def test_unreachable_server_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_cli, "_read_line", scripted("hello"))
    with pytest.raises(SfagentError, match=r"cannot talk to http://127\.0\.0\.1:9"):
        chat_cli.chat_command(url="http://127.0.0.1:9", key="sfa_x", org="demo")


def test_unmigrated_database_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SFAGENT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SfagentError, match="sfagent db upgrade"):
        chat_cli.chat_command(url=None, key=None, org="demo")
