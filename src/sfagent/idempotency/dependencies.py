"""The Idempotency-Key request dependency used by POST routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sfagent.db.session import SessionDep
from sfagent.idempotency.service import (
    IdempotentRequest,
    fingerprint,
    run_idempotently,
    validate_key,
)
from sfagent.tenancy.context import Tenant

REPLAY_HEADER = "Idempotent-Replayed"


class Idempotency:
    """Runs a route's work once per Idempotency-Key, or directly when no key was sent."""

    def __init__(self, request: Request, session: SessionDep) -> None:
        self.request = request
        self.session = session

    async def run(
        self,
        tenant: Tenant,
        produce: Callable[[], Awaitable[BaseModel]],
        *,
        status_code: int = 200,
    ) -> JSONResponse:
        header = self.request.headers.get("idempotency-key")
        if header is None:
            model = await produce()
            return JSONResponse(model.model_dump(mode="json"), status_code=status_code)

        async def produce_body() -> dict[str, object]:
            return (await produce()).model_dump(mode="json")

        settings = self.request.app.state.settings
        result = await run_idempotently(
            self.session,
            tenant=tenant,
            request=IdempotentRequest(
                key=validate_key(header),
                method=self.request.method,
                path=self.request.url.path,
                request_hash=fingerprint(await self.request.body()),
            ),
            status_code=status_code,
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
            produce=produce_body,
        )
        headers = {REPLAY_HEADER: "true"} if result.replayed else {}
        return JSONResponse(result.body, status_code=result.status_code, headers=headers)


IdempotencyDep = Annotated[Idempotency, Depends()]
