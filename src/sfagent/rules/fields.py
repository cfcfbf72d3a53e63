"""The facts a rule may test, their types, and how a value is looked up in a facts mapping.

The set is closed on purpose: a misspelt field would otherwise make a condition silently
false forever, so an unknown name is a validation error instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class FieldKind(StrEnum):
    """The type of a fact, which decides the operators and values a condition may use."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    TEXT_LIST = "text list"
    ENTITIES = "entities"


FIELDS: Mapping[str, FieldKind] = {
    "intent": FieldKind.TEXT,
    "intents": FieldKind.TEXT_LIST,
    "category": FieldKind.TEXT,
    "group": FieldKind.TEXT,
    "confidence": FieldKind.NUMBER,
    "sentiment_score": FieldKind.NUMBER,
    "sentiment_trend": FieldKind.NUMBER,
    "emotion": FieldKind.TEXT,
    "emotion_intensity": FieldKind.INTEGER,
    "customer_tier": FieldKind.TEXT,
    "language": FieldKind.TEXT,
    "channel": FieldKind.TEXT,
    "message_count": FieldKind.INTEGER,
    "clarification_count": FieldKind.INTEGER,
    "business_hours": FieldKind.BOOLEAN,
    "state": FieldKind.TEXT,
    "issue_type": FieldKind.TEXT,
    "priority": FieldKind.NUMBER,
    "entities": FieldKind.ENTITIES,
    "tags": FieldKind.TEXT_LIST,
}

# Mirrors sfagent.nlu.entities.EntityType; kept here so the engine does not load the NLU.
ENTITY_TYPES: tuple[str, ...] = (
    "SALESFORCE_OBJECT",
    "FIELD_NAME",
    "RECORD_ID",
    "API_ENDPOINT",
    "API_VERSION",
    "ERROR",
    "LIMIT",
    "CODE",
    "PRODUCT",
    "FEATURE",
    "EMAIL",
    "URL",
    "DATE",
    "PERSON",
    "ORG",
)

ENTITY_PREFIX = "entities."


def field_kind(name: str) -> FieldKind | None:
    """The kind of a field name (`entities.<TYPE>` included), or None when it is unknown."""
    if name.startswith(ENTITY_PREFIX):
        return FieldKind.TEXT_LIST if name[len(ENTITY_PREFIX) :] in ENTITY_TYPES else None
    return FIELDS.get(name)


def describe_known_fields() -> str:
    """The known names, for an error message that lets the author fix a typo."""
    entity_types = "|".join(ENTITY_TYPES)
    return f"{', '.join(FIELDS)}, entities.<{entity_types}>"


def lookup(facts: Mapping[str, Any], name: str) -> Any:
    """The value of a field in `facts`, or None when it is absent."""
    if not name.startswith(ENTITY_PREFIX):
        return facts.get(name)
    entities = facts.get("entities")
    if not isinstance(entities, Mapping):
        return None
    values = entities.get(name[len(ENTITY_PREFIX) :])
    if isinstance(values, str):
        values = [values]
    # The NLU may list a type with no entities; "no record id" must not pass `exists`.
    return list(values) if isinstance(values, list | tuple) and values else None
