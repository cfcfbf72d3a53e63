"""extract_entities: run every recogniser over a message and resolve their overlaps."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date

from sfagent.nlu.entities.code import CodeRegion, code_entities, find_code_regions
from sfagent.nlu.entities.dates import find_dates
from sfagent.nlu.entities.endpoints import find_api_versions, find_endpoints
from sfagent.nlu.entities.errors import find_errors
from sfagent.nlu.entities.limits import find_limits
from sfagent.nlu.entities.model import Entity
from sfagent.nlu.entities.objects import find_fields, find_objects
from sfagent.nlu.entities.people import PersonOrgRecognizer, find_people_and_orgs
from sfagent.nlu.entities.phrases import tokenize
from sfagent.nlu.entities.products import find_products_and_features
from sfagent.nlu.entities.record_ids import find_record_ids
from sfagent.nlu.entities.resolve import resolve_overlaps
from sfagent.nlu.entities.web import find_emails, find_urls


def extract_entities(
    text: str,
    *,
    today: date | None = None,
    person_org: PersonOrgRecognizer | None = None,
) -> list[Entity]:
    """All entities in text, sorted by start; those inside code or machine output have in_code."""
    if not text:
        return []
    tokens = tokenize(text)
    urls = list(find_urls(text))
    salesforce_urls = [(url.start, url.end) for url in urls if url.meta.get("salesforce")]
    candidates = [
        *urls,
        *find_emails(text),
        *find_record_ids(text, salesforce_urls),
        *find_endpoints(text),
        *find_api_versions(text),
        *find_errors(text),
        *find_limits(text, tokens),
        *find_fields(text),
        *find_objects(text, tokens),
        *find_products_and_features(text, tokens),
        *find_dates(text, today or date.today()),
    ]
    if person_org is not None:
        candidates += find_people_and_orgs(text, person_org)
    regions = find_code_regions(text)
    found = _mark_in_code(resolve_overlaps(candidates), regions)
    found += [_in_code(entity) for entity in code_entities(text, regions)]
    return sorted(found, key=lambda e: (e.start, -(e.end - e.start), e.type.value))


def _mark_in_code(entities: list[Entity], regions: Sequence[CodeRegion]) -> list[Entity]:
    if not regions:
        return entities
    starts = [region.start for region in regions]
    marked = []
    for entity in entities:
        index = bisect_right(starts, entity.start) - 1
        inside = index >= 0 and entity.end <= regions[index].end
        marked.append(_in_code(entity) if inside else entity)
    return marked


def _in_code(entity: Entity) -> Entity:
    # A direct constructor call: dataclasses.replace costs several times more per entity.
    e = entity
    return Entity(e.type, e.text, e.start, e.end, e.value, e.meta, in_code=True)
