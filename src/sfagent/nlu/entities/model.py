"""Entity result types: what was found in a message, where, and its normalised value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# Metadata values stay JSON-friendly so entities can be stored and returned by the API as they are.
MetaValue = str | int | float | bool | None | tuple[str, ...]


class EntityType(StrEnum):
    """Kinds of entity the extractor reports."""

    SALESFORCE_OBJECT = "SALESFORCE_OBJECT"
    FIELD_NAME = "FIELD_NAME"
    RECORD_ID = "RECORD_ID"
    API_ENDPOINT = "API_ENDPOINT"
    API_VERSION = "API_VERSION"
    ERROR = "ERROR"
    LIMIT = "LIMIT"
    CODE = "CODE"
    PRODUCT = "PRODUCT"
    FEATURE = "FEATURE"
    EMAIL = "EMAIL"
    URL = "URL"
    DATE = "DATE"
    PERSON = "PERSON"
    ORG = "ORG"


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity: `text == source[start:end]` (Python str offsets) and a normalised `value`.

    `in_code` is True when the entity lies inside code or machine output (a fenced block, Apex or
    SOQL lines, a stack trace, a debug log); CODE entities themselves always have it.
    """

    type: EntityType
    text: str
    start: int
    end: int
    value: str
    meta: Mapping[str, MetaValue] = field(default_factory=dict, hash=False)
    in_code: bool = False

    def to_dict(self) -> dict[str, object]:
        """A JSON-serialisable view (tuples in meta become lists when dumped)."""
        return {
            "type": self.type.value,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "meta": dict(self.meta),
            "in_code": self.in_code,
        }


def make_entity(
    kind: EntityType,
    source: str,
    start: int,
    end: int,
    value: str,
    meta: Mapping[str, MetaValue] | None = None,
) -> Entity:
    """Build an entity whose text is sliced from the source, so spans and text never disagree."""
    return Entity(kind, source[start:end], start, end, value, dict(meta or {}))
