"""The support category of a whole message: intent probabilities plus what the message contains.

The intent model says what the customer wants; the message's contents often say more precisely
what it is about. "This is a bug" with a pasted `System.NullPointerException` is an Apex runtime
error, whatever the intent model thinks of the words around it. Each category's score is the
probability mass of its intents plus evidence from recognised errors, governor limits, code,
API endpoints and named features; the highest score wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sfagent.diagnostics.errors import match_error
from sfagent.nlu.catalog import (
    OUT_OF_SCOPE_INTENT,
    SUPPORT_CATEGORIES,
    IntentCatalog,
    SupportCategory,
    SupportGroup,
)
from sfagent.nlu.entities import Entity, EntityType

OTHER: SupportCategory = "other"

# How much one piece of evidence adds to its category's score. The intent probabilities sum
# to 1, so a confident dialogue act ("thanks", 0.9) outweighs a passing mention of a feature,
# while a generic intent ("bug report", 0.6) yields to an error the catalog recognises.
ERROR_WEIGHT = 1.0
LIMIT_WEIGHT = 0.5
ENDPOINT_WEIGHT = 0.4
CODE_WEIGHT = 0.3
FEATURE_WEIGHT = 0.25
# A confident intent knows its category better than a catalogue entry filed from another angle
# (an OAuth `invalid_grant` is an API-integration problem to someone building an integration):
# past this confidence, evidence counts at half weight.
CONFIDENT_INTENT = 0.9
CONFIDENT_EVIDENCE_SCALE = 0.5
# The out-of-scope mass says "none of the known intents", not "about something else": it
# counts for `other` at half weight, so evidence can still name the category.
OUT_OF_SCOPE_SHARE = 0.5
# Error text is searched for in the first this-many characters (a pasted log can be megabytes).
_MAX_ERROR_SCAN_CHARS = 20_000

FEATURE_CATEGORIES: Mapping[str, SupportCategory] = {
    "Flow": "flow_automation",
    "Process Builder": "flow_automation",
    "Workflow Rules": "flow_automation",
    "Approval Processes": "flow_automation",
    "Validation Rules": "dml_validation_error",
    "Lightning Web Components": "lightning_lwc",
    "Aura Components": "lightning_lwc",
    "Visualforce": "lightning_lwc",
    "Lightning App Builder": "lightning_lwc",
    "Reports": "reports_dashboards",
    "Dashboards": "reports_dashboards",
    "CRM Analytics": "reports_dashboards",
    "Data Loader": "data_import_export",
    "Data Import Wizard": "data_import_export",
    "Duplicate Management": "data_import_export",
    "Change Sets": "deployment_metadata",
    "Sandboxes": "deployment_metadata",
    "Salesforce CLI": "deployment_metadata",
    "Metadata API": "deployment_metadata",
    "REST API": "api_integration",
    "SOAP API": "api_integration",
    "Streaming API": "api_integration",
    "Pub/Sub API": "api_integration",
    "Connected Apps": "api_integration",
    "Named Credentials": "api_integration",
    "Single Sign-On": "authentication_login",
    "Multi-Factor Authentication": "authentication_login",
    "Sharing Rules": "permissions_sharing",
    "Role Hierarchy": "permissions_sharing",
}
CODE_CATEGORIES: Mapping[str, SupportCategory] = {
    "soql": "soql_error",
    "apex": "apex_runtime_error",
    "stack_trace": "apex_runtime_error",
    "javascript": "lightning_lwc",
    "js": "lightning_lwc",
    "html": "lightning_lwc",
}
# Where no intent of the winning category was predicted, the group its intents mostly belong
# to; the technical categories not listed here are TECHNICAL.
_FALLBACK_GROUP: Mapping[str, SupportGroup] = {
    "billing_account": "BILLING",
    "authentication_login": "ACCOUNT",
    "permissions_sharing": "ACCOUNT",
    "data_import_export": "DATA",
    "reports_dashboards": "DATA",
    "how_to_config": "PRODUCT",
    "other": "DIALOGUE",
}


@dataclass(frozen=True, slots=True)
class CategoryEvidence:
    """One reason a category scored: where it came from, how much it added, the text behind it."""

    source: str  # intent | error | limit | code | endpoint | feature
    category: SupportCategory
    weight: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "source": self.source,
            "category": self.category,
            "weight": round(self.weight, 4),
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class CategoryPrediction:
    """The support category and group of a message, its share of the score, and why."""

    category: SupportCategory
    group: SupportGroup
    confidence: float
    scores: Mapping[str, float]
    evidence: tuple[CategoryEvidence, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the three best-scoring categories)."""
        best = sorted(self.scores.items(), key=lambda item: -item[1])[:3]
        return {
            "category": self.category,
            "group": self.group,
            "confidence": round(self.confidence, 4),
            "scores": {name: round(score, 4) for name, score in best},
            "evidence": [piece.to_dict() for piece in self.evidence],
        }


def predict_category(
    text: str,
    intent_probabilities: Mapping[str, float],
    entities: Sequence[Entity],
    catalog: IntentCatalog,
) -> CategoryPrediction:
    """Category from the intent distribution and the message's errors, limits, code and names.

    `intent_probabilities` maps intents to probabilities (the out-of-scope mass, under `oos`,
    counts for `other`); intents missing from the catalog (a tenant's own) count for `other`.
    """
    scores: dict[str, float] = defaultdict(float)
    intent_mass = _intent_mass(intent_probabilities, catalog)
    for name, mass in intent_mass.items():
        scores[name] += mass
    evidence = _content_evidence(text, entities, _evidence_scale(intent_probabilities))
    for piece in evidence:
        scores[piece.category] += piece.weight
    winner = max(scores, key=lambda name: (scores[name], name == OTHER)) if scores else OTHER
    total = sum(scores.values())
    category: SupportCategory = _as_category(winner)
    return CategoryPrediction(
        category=category,
        group=_group_of(category, intent_probabilities, catalog),
        confidence=scores[winner] / total if total > 0 else 1.0,
        scores=dict(scores),
        evidence=tuple(evidence),
    )


def category_of_intent(intent: str, catalog: IntentCatalog) -> SupportCategory:
    """The catalog category of one intent (`other` when the catalog does not know it)."""
    spec = catalog.get(intent)
    return spec.category if spec is not None else OTHER


def _intent_mass(probabilities: Mapping[str, float], catalog: IntentCatalog) -> dict[str, float]:
    mass: dict[str, float] = defaultdict(float)
    for intent, probability in probabilities.items():
        share = OUT_OF_SCOPE_SHARE if intent == OUT_OF_SCOPE_INTENT else 1.0
        mass[category_of_intent(intent, catalog)] += probability * share
    return mass


def _evidence_scale(probabilities: Mapping[str, float]) -> float:
    in_scope = [p for intent, p in probabilities.items() if intent != OUT_OF_SCOPE_INTENT]
    confident = bool(in_scope) and max(in_scope) >= CONFIDENT_INTENT
    return CONFIDENT_EVIDENCE_SCALE if confident else 1.0


def _content_evidence(
    text: str, entities: Sequence[Entity], scale: float
) -> list[CategoryEvidence]:
    found = _once_per_source_and_category([*_error_evidence(text), *_entity_evidence(entities)])
    return [replace(piece, weight=piece.weight * scale) for piece in found]


def _error_evidence(text: str) -> Iterable[CategoryEvidence]:
    for match in match_error(text[:_MAX_ERROR_SCAN_CHARS], limit=1):
        yield CategoryEvidence(
            "error", _as_category(match.entry.category.value), ERROR_WEIGHT, match.matched_text
        )


def _entity_evidence(entities: Sequence[Entity]) -> Iterable[CategoryEvidence]:
    for entity in entities:
        if entity.type is EntityType.LIMIT:
            yield CategoryEvidence("limit", "governor_limit", LIMIT_WEIGHT, entity.text)
        elif entity.type is EntityType.API_ENDPOINT:
            yield CategoryEvidence("endpoint", "api_integration", ENDPOINT_WEIGHT, entity.text)
        elif entity.type is EntityType.CODE and (code := CODE_CATEGORIES.get(entity.value.lower())):
            yield CategoryEvidence("code", code, CODE_WEIGHT, entity.value)
        elif entity.type is EntityType.FEATURE and (
            feature := FEATURE_CATEGORIES.get(entity.value)
        ):
            yield CategoryEvidence("feature", feature, FEATURE_WEIGHT, entity.text)


def _once_per_source_and_category(found: list[CategoryEvidence]) -> list[CategoryEvidence]:
    """Evidence of one kind counts once per category, however often it repeats."""
    seen: set[tuple[str, str]] = set()
    kept: list[CategoryEvidence] = []
    for piece in found:
        if (piece.source, piece.category) not in seen:
            seen.add((piece.source, piece.category))
            kept.append(piece)
    return kept


def _group_of(
    category: SupportCategory, probabilities: Mapping[str, float], catalog: IntentCatalog
) -> SupportGroup:
    """The group of the likeliest intent in the category, else the category's usual group."""
    members = [
        (probability, intent)
        for intent, probability in probabilities.items()
        if intent != OUT_OF_SCOPE_INTENT and category_of_intent(intent, catalog) == category
    ]
    if members:
        spec = catalog.get(max(members)[1])
        if spec is not None:
            return spec.group
    return _FALLBACK_GROUP.get(category, "TECHNICAL")


def _as_category(name: str) -> SupportCategory:
    return next((category for category in SUPPORT_CATEGORIES if category == name), OTHER)
