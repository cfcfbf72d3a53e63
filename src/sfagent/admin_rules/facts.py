"""The facts a business rule sees for one message, from what the NLU understood of it.

Pure: no I/O, no clock. The decide stage and the dry run build facts the same way, so a dry
run shows what the rules would do in a live conversation. A fact left as None is absent to
the rules (every operator but `exists` is false on it), which is what "not known" means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from sfagent.rules.conditions import is_number
from sfagent.rules.fields import ENTITY_TYPES, FIELDS, FieldKind

# Support categories that are a matter of who may get in, reported as issue_type "security";
# every other issue_type is the category's support group in lower case (billing, account,
# technical, data, product, dialogue).
SECURITY_CATEGORIES = frozenset({"authentication_login", "permissions_sharing"})
# A message whose category says nothing of its subject ("other", or a dialogue act such as
# a complaint) takes its issue type from the first of its intents that does.
UNINFORMATIVE_CATEGORY = "other"
DIALOGUE_GROUP = "DIALOGUE"
# Rounding keeps a trace readable and a threshold like `< -0.5` stable against float noise.
SCORE_DIGITS = 4


class IntentLike(Protocol):
    @property
    def intent(self) -> str: ...
    @property
    def confidence(self) -> float: ...


class CategoryLike(Protocol):
    @property
    def category(self) -> str: ...
    @property
    def group(self) -> str: ...


class EntityLike(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def value(self) -> str: ...


class SentimentLike(Protocol):
    @property
    def score(self) -> float: ...


class EmotionLike(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def intensity(self) -> int: ...


class LanguageLike(Protocol):
    @property
    def code(self) -> str: ...


class IntentSpecLike(Protocol):
    @property
    def category(self) -> str: ...
    @property
    def group(self) -> str: ...


class IntentCatalogLike(Protocol):
    """What `build_facts` reads of an `sfagent.nlu.catalog.IntentCatalog`."""

    def get(self, intent: str) -> IntentSpecLike | None: ...


class UnderstandingLike(Protocol):
    """What `build_facts` reads of an `sfagent.nlu.understand.Understanding`."""

    @property
    def intent(self) -> IntentLike: ...
    @property
    def intents(self) -> Sequence[IntentLike]: ...
    @property
    def category(self) -> CategoryLike: ...
    @property
    def priority(self) -> float: ...
    @property
    def entities(self) -> Sequence[EntityLike]: ...
    @property
    def sentiment(self) -> SentimentLike: ...
    @property
    def emotion(self) -> EmotionLike: ...
    @property
    def language(self) -> LanguageLike: ...


def build_facts(
    understanding: UnderstandingLike | None,
    *,
    catalog: IntentCatalogLike | None = None,
    customer_tier: str | None = None,
    channel: str | None = None,
    message_count: int | None = None,
    clarification_count: int | None = None,
    business_hours: bool | None = None,
    state: str | None = None,
    sentiment_trend: float | None = None,
    tags: Iterable[str] = (),
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The rule engine's facts for one message; `overrides` (checked by `fact_errors`) win.

    Without an understanding (no NLU, or it was not ready) only the conversation's facts and
    the overrides are known; the NLU's fields are absent, never guessed. `catalog` (the
    Understander's) lets a complaint about an invoice count as issue_type "billing".
    """
    facts: dict[str, Any] = {}
    if understanding is not None:
        facts.update(understood_facts(understanding, catalog))
    conversation = {
        "customer_tier": customer_tier,
        "channel": channel,
        "message_count": message_count,
        "clarification_count": clarification_count,
        "business_hours": business_hours,
        "state": state,
        "sentiment_trend": sentiment_trend,
        "tags": list(dict.fromkeys(tags)) or None,
    }
    facts.update({name: value for name, value in conversation.items() if value is not None})
    for name, value in (overrides or {}).items():
        if value is None:
            facts.pop(name, None)  # an override of None makes the fact absent
        else:
            facts[name] = _override_value(name, value)
    return facts


def understood_facts(
    understanding: UnderstandingLike, catalog: IntentCatalogLike | None = None
) -> dict[str, Any]:
    """The facts the NLU supplies: intent, category, sentiment, emotion, language, entities."""
    category = understanding.category
    entities: dict[str, list[str]] = {}
    for entity in understanding.entities:
        values = entities.setdefault(str(entity.type), [])
        if entity.value not in values:
            values.append(entity.value)
    return {
        "intent": understanding.intent.intent,
        "intents": list(dict.fromkeys(span.intent for span in understanding.intents))
        or [understanding.intent.intent],
        "confidence": round(understanding.intent.confidence, SCORE_DIGITS),
        "category": str(category.category),
        "group": str(category.group),
        "issue_type": issue_type(understanding, catalog),
        "priority": round(understanding.priority, SCORE_DIGITS),
        "sentiment_score": round(understanding.sentiment.score, SCORE_DIGITS),
        "emotion": understanding.emotion.label,
        "emotion_intensity": understanding.emotion.intensity,
        "language": understanding.language.code,
        "entities": entities,
    }


def issue_type(understanding: UnderstandingLike, catalog: IntentCatalogLike | None = None) -> str:
    """A coarse issue type: "security" for sign-in and access problems, else the support group
    (billing, account, technical, data, product; dialogue when nothing says more)."""
    category = understanding.category
    vague = category.category == UNINFORMATIVE_CATEGORY or category.group == DIALOGUE_GROUP
    if vague and catalog is not None:
        for span in understanding.intents:
            spec = catalog.get(span.intent)
            if spec is not None and spec.group != DIALOGUE_GROUP:
                return _issue_type(spec.category, spec.group)
    return _issue_type(category.category, category.group)


def _issue_type(category: str, group: str) -> str:
    return "security" if category in SECURITY_CATEGORIES else group.lower()


def fact_errors(overrides: Mapping[str, Any], *, at: str = "facts") -> list[dict[str, str]]:
    """Why each override cannot be a fact, as `{"path", "message"}`; empty when all can.

    A fact of the wrong type would make a condition quietly false, so it is refused instead.
    """
    errors: list[dict[str, str]] = []
    for name, value in overrides.items():
        path = f"{at}.{name}" if name.isidentifier() else f"{at}[{name!r}]"
        problem = _fact_problem(name, value)
        if problem:
            errors.append({"path": path, "message": problem})
    return errors


def _fact_problem(name: str, value: Any) -> str | None:
    kind = FIELDS.get(name)
    if kind is None:
        return f"unknown fact; known facts: {', '.join(FIELDS)}"
    if value is None:
        return None
    if kind is FieldKind.ENTITIES:
        return _entities_problem(value)
    return _value_problem(kind, value)


def _value_problem(kind: FieldKind, value: Any) -> str | None:
    if kind is FieldKind.TEXT:
        return None if isinstance(value, str) else "must be text"
    if kind is FieldKind.NUMBER:
        return None if is_number(value) else "must be a number"
    if kind is FieldKind.INTEGER:
        return None if is_number(value) and isinstance(value, int) else "must be an integer"
    if kind is FieldKind.BOOLEAN:
        return None if isinstance(value, bool) else "must be true or false"
    texts = isinstance(value, list) and all(isinstance(item, str) for item in value)
    return None if texts else "must be a list of text"


def _entities_problem(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must be an object of entity type to a list of values"
    for kind, values in value.items():
        if kind not in ENTITY_TYPES:
            return f"unknown entity type {str(kind)[:64]!r}; known: {', '.join(ENTITY_TYPES)}"
        if not (isinstance(values, list) and all(isinstance(item, str) for item in values)):
            return f"{kind} must be a list of text"
    return None


def _override_value(name: str, value: Any) -> Any:
    if FIELDS.get(name) is FieldKind.ENTITIES and isinstance(value, Mapping):
        return {kind: list(values) for kind, values in value.items()}
    if isinstance(value, list):
        return list(value)
    return value
