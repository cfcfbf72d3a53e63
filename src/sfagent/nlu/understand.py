"""Understanding one message: intents, category, priority, entities, sentiment, emotion, language.

`Understander` holds the loaded intent model and the catalog; `understand(text)` runs every
NLU step once, sharing the extracted entities between them, and reports each step's time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sfagent.nlu.catalog import OUT_OF_SCOPE_INTENT, IntentCatalog, IntentSpec, load_intent_catalog
from sfagent.nlu.category import CategoryPrediction, predict_category
from sfagent.nlu.emotion import Emotion, detect_emotion
from sfagent.nlu.entities import (
    Entity,
    EntityType,
    PersonOrgRecognizer,
    extract_entities,
    load_spacy_recognizer,
)
from sfagent.nlu.entities.prose import prose_view
from sfagent.nlu.intents import (
    IntentModel,
    IntentPrediction,
    IntentSpan,
    default_cache_dir,
    shipped_model,
    split_intents,
)
from sfagent.nlu.intents.training import ProgressCallback
from sfagent.nlu.language import LanguageGuess, detect_language, load_language_model
from sfagent.nlu.sentiment import Sentiment, analyze_sentiment

# The intent model reads at most this much: the customer's own words first, then the start of
# whatever they pasted. Beyond it a 5 MB log would only cost time, not change the intent.
MAX_INTENT_CHARS = 4_000
# Of which pasted code at most this much: enough to show what it is, not enough to drown the words.
MAX_INTENT_CODE_CHARS = 600
# Priority rises this much for a clearly negative message and for strong anger or frustration.
NEGATIVE_SENTIMENT = -0.5
NEGATIVE_BOOST = 0.1
STRONG_EMOTION_INTENSITY = 4
EMOTION_BOOST = 0.1
# Priority of an intent the catalog does not know (a tenant's own model).
UNKNOWN_INTENT_PRIORITY = 0.5

WARM_UP_MESSAGE = "Hi! Since this morning: System.NullPointerException: Attempt to de-reference"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Understanding:
    """Everything the NLU learned about one message."""

    intent: IntentPrediction
    intents: tuple[IntentSpan, ...]
    category: CategoryPrediction
    spec: IntentSpec | None
    priority: float
    auto_resolvable: bool
    entities: tuple[Entity, ...]
    sentiment: Sentiment
    emotion: Emotion
    language: LanguageGuess
    timings_ms: Mapping[str, float] = field(default_factory=dict)

    @property
    def multi_intent(self) -> bool:
        """Whether the message asks for two or more different things."""
        return len(self.intents) >= 2

    def entity_values(self, kind: EntityType) -> list[str]:
        """Distinct normalised values of one entity type, in order of appearance."""
        return list(dict.fromkeys(e.value for e in self.entities if e.type is kind))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, as stored with a message and returned by the API."""
        return {
            **self.intent.as_dict(),
            "intents": [span.as_dict() for span in self.intents],
            "category": self.category.category,
            "group": self.category.group,
            "category_detail": self.category.to_dict(),
            "subcategory": self.spec.subcategory if self.spec else None,
            "priority": round(self.priority, 3),
            "auto_resolvable": self.auto_resolvable,
            "entities": [entity.to_dict() for entity in self.entities],
            "sentiment": sentiment_dict(self.sentiment),
            "emotion": {"label": self.emotion.label, "intensity": self.emotion.intensity},
            "language": {
                "code": self.language.code,
                "confidence": self.language.confidence,
                "reliable": self.language.reliable,
            },
            "timings_ms": dict(self.timings_ms),
        }


def sentiment_dict(sentiment: Sentiment) -> dict[str, Any]:
    """JSON-safe form of a sentiment, aspects included."""
    return {
        "score": round(sentiment.score, 4),
        "label": sentiment.label,
        "aspects": [
            {
                "aspect": aspect.aspect,
                "type": aspect.kind.value,
                "mentions": aspect.mentions,
                "score": round(aspect.score, 4),
                "label": aspect.label,
            }
            for aspect in sentiment.aspects
        ],
    }


class Understander:
    """Runs the whole NLU on messages with one loaded intent model (thread-safe: read-only)."""

    def __init__(
        self,
        model: IntentModel,
        *,
        catalog: IntentCatalog | None = None,
        person_org: PersonOrgRecognizer | None = None,
    ) -> None:
        self.model = model
        self.catalog = catalog or load_intent_catalog()
        self._person_org = person_org
        load_language_model()
        # The first analysis compiles the error catalog and loads the sentiment lexicon;
        # do it now rather than in a customer's first request.
        self.understand(WARM_UP_MESSAGE)

    @classmethod
    def load(
        cls,
        model_dir: Path | None = None,
        *,
        cache_dir: Path | None = None,
        semantic: bool = False,
        progress: ProgressCallback | None = None,
    ) -> Understander:
        """From a model directory, else the shipped model (trained once, then cached).

        `semantic` trains the shipped model with the MiniLM-distilled static embeddings.
        """
        model = (
            IntentModel.load(model_dir)
            if model_dir is not None
            else shipped_model(
                cache_dir or default_cache_dir(), semantic=semantic, progress=progress
            )
        )
        # PERSON/ORG need spaCy and its small English model; without them they are skipped.
        return cls(model, person_org=load_spacy_recognizer())

    def understand(self, text: str, *, today: date | None = None) -> Understanding:
        """Analyse one message (any length; the intent model reads a bounded part of it)."""
        timings: dict[str, float] = {}
        entities = _timed(timings, "entities", lambda: self._entities(text, today))
        code = [(e.start, e.end) for e in entities if e.type is EntityType.CODE]
        intent_text = intent_view(text, code)
        intent = _timed(timings, "intent", lambda: self._predict(intent_text))
        spans = _timed(
            timings, "multi_intent", lambda: split_intents(intent_text, self.model, whole=intent)
        )
        category = _timed(
            timings,
            "category",
            lambda: predict_category(text, _distribution(intent), entities, self.catalog),
        )
        sentiment = _timed(timings, "sentiment", lambda: analyze_sentiment(text, entities=entities))
        emotion = _timed(timings, "emotion", lambda: detect_emotion(text, entities=entities))
        language = _timed(timings, "language", lambda: detect_language(text, entities=entities))
        spec = self.catalog.get(intent.intent)
        return Understanding(
            intent=_top(intent, 3),
            intents=tuple(spans),
            category=category,
            spec=spec,
            priority=priority_of(spec, sentiment, emotion),
            auto_resolvable=auto_resolvable(intent, spec),
            entities=tuple(entities),
            sentiment=sentiment,
            emotion=emotion,
            language=language,
            timings_ms=timings,
        )

    def _entities(self, text: str, today: date | None) -> list[Entity]:
        return extract_entities(text, today=today, person_org=self._person_org)

    def _predict(self, text: str) -> IntentPrediction:
        # Every in-scope probability, so the category sees the whole distribution.
        return self.model.predict(text, k=len(self.model.labels))


def intent_view(text: str, code_spans: list[tuple[int, int]]) -> str:
    """What the intent model reads: short messages whole; long ones, prose first, then code."""
    if len(text) <= MAX_INTENT_CHARS:
        return text
    prose = " ".join(prose_view(text, code_spans).split())
    head = prose[:MAX_INTENT_CHARS]
    room = min(MAX_INTENT_CHARS - len(head), MAX_INTENT_CODE_CHARS)
    if room > 0 and code_spans:
        start, end = code_spans[0]
        head += "\n" + text[start : min(end, start + room)]
    return head


def priority_of(spec: IntentSpec | None, sentiment: Sentiment, emotion: Emotion) -> float:
    """The intent's priority weight, raised for clearly negative or strongly upset messages."""
    priority = spec.priority_weight if spec is not None else UNKNOWN_INTENT_PRIORITY
    if sentiment.score <= NEGATIVE_SENTIMENT:
        priority += NEGATIVE_BOOST
    if emotion.label in ("anger", "frustration") and emotion.intensity >= STRONG_EMOTION_INTENSITY:
        priority += EMOTION_BOOST
    return min(priority, 1.0)


def auto_resolvable(intent: IntentPrediction, spec: IntentSpec | None) -> bool:
    """Whether the intent is confident enough to be resolved without a person."""
    if not intent.in_scope or spec is None or spec.escalate:
        return False
    return intent.confidence >= spec.auto_resolve_threshold


def _distribution(intent: IntentPrediction) -> dict[str, float]:
    probabilities = {score.intent: score.confidence for score in intent.ranking}
    probabilities[OUT_OF_SCOPE_INTENT] = max(0.0, 1.0 - sum(probabilities.values()))
    return probabilities


def _top(intent: IntentPrediction, k: int) -> IntentPrediction:
    return IntentPrediction(intent.intent, intent.confidence, intent.in_scope, intent.ranking[:k])


def _timed(timings: dict[str, float], name: str, step: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = step()
    timings[name] = round((time.perf_counter() - started) * 1000, 3)
    return result
