"""Request-scoped sessions: one transaction per request, committed before the response."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a session; commit when the handler returns, roll back when it raises."""
    async for session in _session(request, writer=request.method not in READ_METHODS):
        yield session


async def get_writer_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A write transaction for a GET that must write (an audit entry committed before the
    data leaves). A GET's deferred read transaction cannot be trusted to upgrade: on SQLite
    its first write fails when another connection committed since it began reading."""
    async for session in _session(request, writer=True):
        yield session


async def _session(request: Request, *, writer: bool) -> AsyncIterator[AsyncSession]:
    state = request.app.state
    maker: async_sessionmaker[AsyncSession] = (
        state.sessionmaker if writer else state.read_sessionmaker
    )
    # SQLite has one writer at a time. Queue this process's writers in order here rather
    # than have them poll SQLite's lock with growing sleeps (a long latency tail).
    write_lock: asyncio.Lock | None = state.sqlite_write_lock if writer else None
    async with write_lock or contextlib.nullcontext(), maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# scope="function": the commit runs before the response is sent, so a 2xx means stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# Its caller binds the tenant (bind_tenant) before reading tenant rows.
WriterSessionDep = Annotated[AsyncSession, Depends(get_writer_session, scope="function")]
