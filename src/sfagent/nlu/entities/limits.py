"""Governor and org limits named in text ("Too many SOQL queries: 101", "CPU time limit")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sfagent.nlu.entities.model import Entity, EntityType, MetaValue, make_entity
from sfagent.nlu.entities.phrases import PhraseMatcher, Tokens


@dataclass(frozen=True, slots=True)
class GovernorLimit:
    """A per-transaction limit; None where the value is not a single documented number."""

    name: str
    sync_limit: int | None = None
    async_limit: int | None = None
    unit: str | None = None


SOQL_QUERIES = GovernorLimit("SOQL_QUERIES", 100, 200)
DML_STATEMENTS = GovernorLimit("DML_STATEMENTS", 150, 150)
DML_ROWS = GovernorLimit("DML_ROWS", 10_000, 10_000)
QUERY_ROWS = GovernorLimit("QUERY_ROWS", 50_000, 50_000)
CPU_TIME = GovernorLimit("CPU_TIME", 10_000, 60_000, "ms")
HEAP_SIZE = GovernorLimit("HEAP_SIZE", 6, 12, "MB")
CALLOUTS = GovernorLimit("CALLOUTS", 100, 100)
FUTURE_CALLS = GovernorLimit("FUTURE_CALLS", 50)
QUEUEABLE_JOBS = GovernorLimit("QUEUEABLE_JOBS", 50, 1)
SOSL_QUERIES = GovernorLimit("SOSL_QUERIES", 20, 20)
EMAIL_INVOCATIONS = GovernorLimit("EMAIL_INVOCATIONS", 10, 10)
STACK_DEPTH = GovernorLimit("STACK_DEPTH")
TRIGGER_DEPTH = GovernorLimit("TRIGGER_DEPTH", 16, 16)
API_REQUESTS = GovernorLimit("API_REQUESTS")
CONCURRENT_LONG_REQUESTS = GovernorLimit("CONCURRENT_LONG_RUNNING_REQUESTS")
STORAGE = GovernorLimit("STORAGE")
GOVERNOR_LIMITS = GovernorLimit("GOVERNOR_LIMITS")

_PHRASES: dict[GovernorLimit, tuple[str, ...]] = {
    SOQL_QUERIES: ("too many soql queries", "soql queries limit", "soql query limit", "soql limit"),
    DML_STATEMENTS: ("too many dml statements", "dml statements limit", "dml statement limit"),
    DML_ROWS: ("too many dml rows", "dml rows", "dml row limit", "dml rows limit"),
    QUERY_ROWS: ("too many query rows", "query rows limit", "query row limit"),
    CPU_TIME: (
        "apex cpu time limit exceeded",
        "cpu time limit exceeded",
        "cpu time limit",
        "cpu limit",
        "cpu timeout",
        "cpu time",
    ),
    HEAP_SIZE: ("apex heap size too large", "heap size too large", "heap size", "heap limit"),
    CALLOUTS: ("too many callouts", "callout limit", "callouts limit"),
    FUTURE_CALLS: ("too many future calls", "future call limit", "future calls limit"),
    QUEUEABLE_JOBS: ("too many queueable jobs added to the queue", "too many queueable jobs"),
    SOSL_QUERIES: ("too many sosl queries",),
    EMAIL_INVOCATIONS: ("too many email invocations",),
    STACK_DEPTH: ("maximum stack depth reached", "maximum stack depth"),
    TRIGGER_DEPTH: ("maximum trigger depth exceeded", "maximum trigger depth"),
    API_REQUESTS: (
        "api request limit",
        "api requests limit",
        "api call limit",
        "api calls limit",
        "daily api limit",
        "daily api request limit",
        "api limit",
        "totalrequests limit exceeded",
    ),
    CONCURRENT_LONG_REQUESTS: (
        "concurrent long-running requests",
        "concurrent long running requests",
        "concurrent request limit",
        "concurrent apex limit",
    ),
    STORAGE: ("data storage limit", "file storage limit", "storage limit"),
    GOVERNOR_LIMITS: ("governor limit", "governor limits"),
}

_MATCHER = PhraseMatcher(
    (phrase, limit, False) for limit, phrases in _PHRASES.items() for phrase in phrases
)
_OBSERVED = re.compile(r"\s*:\s*(\d{1,9})(?!\d)")


def find_limits(text: str, tokens: Tokens) -> Iterator[Entity]:
    """Limits by name; a count after a colon ("...: 101") joins the span as `observed`."""
    for hit in _MATCHER.find(tokens):
        limit = hit.payload
        end = hit.end
        observed = _OBSERVED.match(text, end)
        if observed:
            end = observed.end()
        meta: dict[str, MetaValue] = {
            "observed": int(observed.group(1)) if observed else None,
            "sync_limit": limit.sync_limit,
            "async_limit": limit.async_limit,
            "unit": limit.unit,
        }
        yield make_entity(EntityType.LIMIT, text, hit.start, end, limit.name, meta)
