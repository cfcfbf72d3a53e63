"""Overlap resolution: longest span wins, then the more specific type; some types may nest."""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable
from dataclasses import dataclass, field

from sfagent.nlu.entities.model import Entity, EntityType

# Higher wins when two candidates cover the same span.
PRIORITY: dict[EntityType, int] = {
    EntityType.ERROR: 90,
    EntityType.LIMIT: 85,
    EntityType.RECORD_ID: 80,
    EntityType.API_ENDPOINT: 75,
    EntityType.URL: 70,
    EntityType.EMAIL: 70,
    EntityType.FIELD_NAME: 60,
    EntityType.API_VERSION: 55,
    EntityType.SALESFORCE_OBJECT: 50,
    EntityType.PRODUCT: 45,
    EntityType.FEATURE: 40,
    EntityType.DATE: 35,
    EntityType.ORG: 10,
    EntityType.PERSON: 10,
}

# container type -> types that may sit strictly inside it and still be reported
NESTABLE: dict[EntityType, frozenset[EntityType]] = {
    EntityType.URL: frozenset(
        {
            EntityType.RECORD_ID,
            EntityType.API_ENDPOINT,
            EntityType.API_VERSION,
            EntityType.SALESFORCE_OBJECT,
        }
    ),
    EntityType.API_ENDPOINT: frozenset(
        {EntityType.API_VERSION, EntityType.RECORD_ID, EntityType.SALESFORCE_OBJECT}
    ),
}


@dataclass(slots=True)
class _Top:
    entity: Entity
    children: list[Entity] = field(default_factory=list)


def resolve_overlaps(candidates: Iterable[Entity]) -> list[Entity]:
    """Keep a deterministic, non-conflicting subset of candidates, sorted by position."""
    ordered = sorted(
        candidates,
        key=lambda e: (-(e.end - e.start), -PRIORITY[e.type], e.start, e.type.value, e.value),
    )
    starts: list[int] = []
    tops: dict[int, _Top] = {}
    for candidate in ordered:
        position = bisect_right(starts, candidate.start)
        before = tops[starts[position - 1]] if position else None
        after = tops[starts[position]] if position < len(starts) else None
        if after is not None and after.entity.start < candidate.end:
            continue  # a longer entity starts inside this one
        if before is not None and before.entity.end > candidate.start:
            if _fits_inside(candidate, before):
                before.children.append(candidate)
            continue
        insort(starts, candidate.start)
        tops[candidate.start] = _Top(candidate)
    kept = [item for top in tops.values() for item in (top.entity, *top.children)]
    return sorted(kept, key=lambda e: (e.start, -(e.end - e.start), e.type.value))


def _fits_inside(candidate: Entity, top: _Top) -> bool:
    if not _nests(candidate, top.entity):
        return False
    for child in top.children:
        overlaps = child.start < candidate.end and candidate.start < child.end
        if overlaps and not _nests(candidate, child):
            return False
    return True


def _nests(inner: Entity, outer: Entity) -> bool:
    strictly_inside = outer.start <= inner.start and inner.end <= outer.end
    shorter = inner.end - inner.start < outer.end - outer.start
    return strictly_inside and shorter and inner.type in NESTABLE.get(outer.type, frozenset())
