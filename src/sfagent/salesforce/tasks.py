"""The outbox job that turns an escalated conversation into a Salesforce Case with its
transcript as comments.

- The Case is upserted on an external id (the conversation id): a retried or replayed job
  updates the Case it made, never a second one.
- Progress is stored after each call (the Case id, then the last message each comment
  holds), so a retry posts only what is missing.
- 503s, UNABLE_TO_LOCK_ROW and network errors retry with the outbox's backoff.
- REQUEST_LIMIT_EXCEEDED trips a per-organization breaker: no calls until it cools down and
  the job waits without spending attempts.
- INVALID_SESSION_ID logs in again once; a second refusal fails the job visibly. The client
  is built on an access token, never on a password, so simple-salesforce cannot re-login
  and recurse on a persistent 401.
- Anything else (a missing field, no permission) dead-letters with Salesforce's message;
  `sfagent outbox replay` runs it again once fixed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import anyio
import requests
import structlog
from simple_salesforce.exceptions import SalesforceExpiredSession
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.models import Conversation, Message
from sfagent.db.base import utcnow
from sfagent.db.engine import bind_tenant
from sfagent.escalation.models import Escalation
from sfagent.escalation.summary import HandoffSummary
from sfagent.outbox.registry import JobContext, JobDeferred, JobHandler, PermanentJobError
from sfagent.salesforce.auth import Credentials, SalesforceAuthFailed, client_for, fetch_token
from sfagent.salesforce.cases import (
    CaseClient,
    Comment,
    Failure,
    TranscriptLine,
    case_fields,
    classify,
    describe,
    transcript_comments,
)
from sfagent.salesforce.models import SalesforceCaseLink
from sfagent.salesforce.service import CASE_SYNC_JOB, credentials_of, get_connection
from sfagent.tenancy.models import EndUser

log = structlog.get_logger(__name__)
T = TypeVar("T")
HIDDEN_ROLES = frozenset({"note"})  # staff's internal notes stay in sfagent
HTTP_SERVICE = "salesforce_http"  # JobContext.services: a factory of requests.Session
BREAKER_SERVICE = "salesforce_breaker"


class LimitBreaker:
    """Per organization and process: after the org's API limit is hit, no calls until the
    cool-down ends (every job of that organization waits instead)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def remaining(self, organization_id: str) -> float:
        return max(0.0, self._until.get(organization_id, 0.0) - time.monotonic())

    def trip(self, organization_id: str, seconds: float) -> None:
        self._until[organization_id] = time.monotonic() + seconds


DEFAULT_BREAKER = LimitBreaker()


class SyncRetry(Exception):
    """Salesforce was busy or unreachable: the outbox retries with backoff."""


@dataclass(frozen=True, slots=True)
class CaseSnapshot:
    credentials: Credentials
    api_version: str
    external_id_field: str
    fields: dict[str, Any]
    comments: list[Comment]
    case_id: str | None


async def sync_case(ctx: JobContext, payload: dict[str, Any]) -> None:
    organization_id = ctx.organization_id
    conversation_id = payload.get("conversation_id")
    if organization_id is None or not isinstance(conversation_id, str):
        raise PermanentJobError("case sync job lacks organization or conversation id")
    breaker: LimitBreaker = ctx.services.get(BREAKER_SERVICE, DEFAULT_BREAKER)
    wait = breaker.remaining(organization_id)
    if wait > 0:
        raise JobDeferred(wait, "Salesforce API limit reached; waiting for it to reset")
    snapshot = await _snapshot(ctx, organization_id, conversation_id)
    if snapshot is None:
        return
    http_factory: Callable[[], requests.Session] = ctx.services.get(HTTP_SERVICE, requests.Session)
    calls = SalesforceCalls(snapshot, http_factory(), ctx.settings.notification_timeout_seconds)
    try:
        case_id = await calls.run(
            partial(_upsert, conversation_id=conversation_id, fields=snapshot.fields)
        )
        await _record(ctx, organization_id, conversation_id, case_id, None)
        for comment in snapshot.comments:
            await calls.run(partial(_comment, case_id=case_id, body=comment.body))
            await _record(ctx, organization_id, conversation_id, case_id, comment.through_sequence)
    except (PermanentJobError, JobDeferred):
        raise
    except SalesforceAuthFailed as exc:
        raise PermanentJobError(str(exc)) from exc
    except Exception as exc:  # sorted into retry, wait or dead letter by what Salesforce said
        _sort(exc, breaker, organization_id, ctx.settings.salesforce_limit_cooldown_seconds)


def _upsert(cases: CaseClient, *, conversation_id: str, fields: dict[str, Any]) -> str:
    return cases.upsert(conversation_id, fields)


def _comment(cases: CaseClient, *, case_id: str, body: str) -> str:
    return cases.comment(case_id, body)


def _sort(exc: Exception, breaker: LimitBreaker, organization_id: str, cooldown: float) -> None:
    failure = classify(exc)
    message = describe(exc)
    if failure is Failure.LIMIT:
        breaker.trip(organization_id, cooldown)
        raise JobDeferred(cooldown, message) from exc
    if failure is Failure.RETRY:
        raise SyncRetry(message) from exc
    if failure is Failure.SESSION:
        raise PermanentJobError(
            f"Salesforce refused a fresh session as well ({message}); check the connected "
            "app's policies and the integration user's API access"
        ) from exc
    raise PermanentJobError(message) from exc


class SalesforceCalls:
    """Logs in lazily, runs blocking calls in a thread, logs in again once on an ended session."""

    def __init__(self, snapshot: CaseSnapshot, http: requests.Session, timeout: float) -> None:
        self.snapshot = snapshot
        self.http = http
        self.timeout = timeout
        self._cases: CaseClient | None = None
        self._relogged = False

    async def run(self, call: Callable[[CaseClient], T]) -> T:
        cases = self._cases or await self._login()
        try:
            return await anyio.to_thread.run_sync(call, cases)
        except SalesforceExpiredSession:
            if self._relogged:
                raise
            self._relogged = True
            return await anyio.to_thread.run_sync(call, await self._login())

    async def _login(self) -> CaseClient:
        token = await anyio.to_thread.run_sync(
            partial(fetch_token, self.snapshot.credentials, self.http, timeout=self.timeout)
        )
        client = client_for(token, self.http, self.snapshot.api_version)
        self._cases = CaseClient(client, self.snapshot.external_id_field)
        return self._cases


async def _snapshot(
    ctx: JobContext, organization_id: str, conversation_id: str
) -> CaseSnapshot | None:
    """What to send, read in one tenant-bound transaction; None when nothing should be."""
    async with ctx.sessionmaker() as session, session.begin():
        await bind_tenant(session, organization_id)
        connection = await get_connection(session, organization_id)
        conversation = await session.get(Conversation, conversation_id)
        if connection is None or not connection.enabled or conversation is None:
            log.info("salesforce.case_sync.skipped", conversation_id=conversation_id)
            return None
        escalation = await _latest_escalation(session, conversation_id)
        link = await _link(session, organization_id, conversation_id)
        lines = await _transcript(session, conversation_id, link.synced_sequence if link else 0)
        email = await _email(session, conversation)
        return CaseSnapshot(
            credentials=credentials_of(connection),
            api_version=connection.api_version,
            external_id_field=connection.case_external_id_field,
            fields=_fields(conversation, escalation, connection.case_origin, email),
            comments=transcript_comments(lines),
            case_id=link.case_id if link else None,
        )


def _fields(
    conversation: Conversation, escalation: Escalation | None, origin: str, email: str | None
) -> dict[str, Any]:
    reference = conversation.id.split("-")[0]
    if escalation is None:
        return case_fields(
            subject=f"sfagent conversation {reference}",
            description=conversation.subject or "",
            priority="normal",
            origin=origin,
            supplied_email=email,
        )
    summary = HandoffSummary(**escalation.summary)
    return case_fields(
        subject=f"[sfagent {reference}] {summary.problem}",
        description=summary.text(),
        priority=escalation.priority,
        origin=origin,
        supplied_email=email,
    )


async def _latest_escalation(session: AsyncSession, conversation_id: str) -> Escalation | None:
    statement = (
        select(Escalation)
        .where(Escalation.conversation_id == conversation_id)
        .order_by(Escalation.created_at.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _link(
    session: AsyncSession, organization_id: str, conversation_id: str
) -> SalesforceCaseLink | None:
    statement = select(SalesforceCaseLink).where(
        SalesforceCaseLink.organization_id == organization_id,
        SalesforceCaseLink.conversation_id == conversation_id,
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _transcript(
    session: AsyncSession, conversation_id: str, after: int
) -> list[TranscriptLine]:
    statement = (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.sequence > after)
        .order_by(Message.sequence)
    )
    messages = (await session.execute(statement)).scalars().all()
    return [
        TranscriptLine(message.sequence, message.role, message.content)
        for message in messages
        if message.role not in HIDDEN_ROLES
    ]


async def _email(session: AsyncSession, conversation: Conversation) -> str | None:
    if conversation.end_user_id is None:
        return None
    user = await session.get(EndUser, conversation.end_user_id)
    external = user.external_id if user is not None else ""
    return external if "@" in external and " " not in external else None


async def _record(
    ctx: JobContext,
    organization_id: str,
    conversation_id: str,
    case_id: str,
    through_sequence: int | None,
) -> None:
    """Store progress right after each call, so a retry repeats nothing already done."""
    async with ctx.sessionmaker() as session, session.begin():
        await bind_tenant(session, organization_id)
        link = await _link(session, organization_id, conversation_id)
        now = utcnow()
        if link is None:
            link = SalesforceCaseLink(
                organization_id=organization_id,
                conversation_id=conversation_id,
                case_id=case_id,
                synced_sequence=0,
            )
            session.add(link)
        link.case_id = case_id
        if through_sequence is not None:
            link.synced_sequence = max(link.synced_sequence, through_sequence)
        link.last_synced_at = now
        link.updated_at = now


HANDLERS: dict[str, JobHandler] = {CASE_SYNC_JOB: sync_case}
