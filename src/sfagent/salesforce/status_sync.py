"""Case status flowing back: a Case closed in Salesforce resolves its escalated conversation.

Polled (no inbound endpoint to expose or secure): Cases carrying the external id and
changed since the last watermark (SystemModstamp) are read in one query per organization.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import anyio
import requests
import structlog
from simple_salesforce.exceptions import SalesforceError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sfagent.config import Settings
from sfagent.conversations.lifecycle import ConversationStatus
from sfagent.conversations.repository import ConversationRepository
from sfagent.conversations.transitions import transition
from sfagent.db.engine import bind_tenant
from sfagent.escalation.models import EscalationStatus
from sfagent.escalation.service import close_for_conversation
from sfagent.salesforce.auth import Credentials, SalesforceAuthFailed, client_for, fetch_token
from sfagent.salesforce.service import credentials_of, get_connection
from sfagent.tenancy.repository import OrganizationRepository

log = structlog.get_logger(__name__)
MAX_CHANGES = 200
ACTOR = "salesforce"


def changed_cases_query(external_id_field: str, since: datetime | None) -> str:
    since_clause = f" AND SystemModstamp > {_soql_datetime(since)}" if since else ""
    return (
        f"SELECT Id, CaseNumber, Status, IsClosed, SystemModstamp, {external_id_field} "
        f"FROM Case WHERE {external_id_field} != null{since_clause} "
        f"ORDER BY SystemModstamp LIMIT {MAX_CHANGES}"
    )


async def pull_case_updates(
    sessionmaker: async_sessionmaker[AsyncSession],
    organization_id: str,
    settings: Settings,
    *,
    http: requests.Session | None = None,
) -> int:
    """Resolve the organization's conversations whose Case was closed; how many were."""
    async with sessionmaker() as session, session.begin():
        await bind_tenant(session, organization_id)
        connection = await get_connection(session, organization_id)
        if connection is None or not connection.enabled:
            return 0
        credentials = credentials_of(connection)
        soql = changed_cases_query(connection.case_external_id_field, connection.cases_watermark)
        field, version = connection.case_external_id_field, connection.api_version
    try:
        records = await anyio.to_thread.run_sync(
            partial(_query, credentials, soql, version, http or requests.Session(), settings)
        )
    except (SalesforceAuthFailed, SalesforceError, requests.RequestException) as exc:
        log.warning("salesforce.case_poll_failed", organization_id=organization_id, error=str(exc))
        return 0
    return await _apply(sessionmaker, organization_id, field, records)


def _query(
    credentials: Credentials,
    soql: str,
    version: str,
    http: requests.Session,
    settings: Settings,
) -> list[dict[str, Any]]:
    token = fetch_token(credentials, http, timeout=settings.notification_timeout_seconds)
    client = client_for(token, http, version)
    return list(client.query(soql).get("records", []))


async def _apply(
    sessionmaker: async_sessionmaker[AsyncSession],
    organization_id: str,
    field: str,
    records: list[dict[str, Any]],
) -> int:
    resolved = 0
    async with sessionmaker() as session, session.begin():
        await bind_tenant(session, organization_id)
        repository = ConversationRepository(session, organization_id)
        for record in records:
            if record.get("IsClosed") and isinstance(record.get(field), str):
                resolved += await _resolve(session, repository, organization_id, field, record)
        connection = await get_connection(session, organization_id)
        stamps = [_parse(record["SystemModstamp"]) for record in records]
        if connection is not None and stamps:
            connection.cases_watermark = max(stamps)
    if resolved:
        log.info("salesforce.cases_closed", organization_id=organization_id, count=resolved)
    return resolved


async def _resolve(
    session: AsyncSession,
    repository: ConversationRepository,
    organization_id: str,
    field: str,
    record: dict[str, Any],
) -> int:
    conversation = await repository.get(record[field], for_update=True)
    if conversation is None or conversation.status != ConversationStatus.ESCALATED.value:
        return 0
    number = record.get("CaseNumber") or record.get("Id")
    transition(
        session,
        conversation,
        ConversationStatus.RESOLVED,
        reason=f"Case {number} closed in Salesforce ({record.get('Status')})",
        actor=ACTOR,
    )
    await close_for_conversation(
        session, organization_id, conversation.id, EscalationStatus.RESOLVED
    )
    return 1


async def pull_case_updates_everywhere(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    async with sessionmaker() as session:
        organizations = [org.id for org in await OrganizationRepository(session).list_all()]
    total = 0
    for organization_id in organizations:
        total += await pull_case_updates(sessionmaker, organization_id, settings)
    return total


def _soql_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00").replace("+0000", "+00:00"))
