"""PERSON and ORG entities from an optional statistical model (spaCy), when one is installed."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from sfagent.nlu.entities.model import Entity, EntityType, make_entity

_LABELS = {"PERSON": EntityType.PERSON, "PER": EntityType.PERSON, "ORG": EntityType.ORG}


class PersonOrgRecognizer(Protocol):
    """Anything that returns (start, end, label) spans; labels other than PERSON/ORG are ignored."""

    def __call__(self, text: str, /) -> Iterable[tuple[int, int, str]]: ...


class SpacyRecognizer:
    """Adapts a loaded spaCy pipeline to PersonOrgRecognizer."""

    def __init__(self, pipeline: Any) -> None:
        """Wrap a pipeline returned by spacy.load()."""
        self._pipeline = pipeline

    def __call__(self, text: str) -> Iterable[tuple[int, int, str]]:
        """Named-entity spans of the text."""
        document = self._pipeline(text)
        return [(ent.start_char, ent.end_char, str(ent.label_)) for ent in document.ents]


def load_spacy_recognizer(model: str = "en_core_web_sm") -> SpacyRecognizer | None:
    """A spaCy-backed recognizer, or None when spaCy or the model is not installed."""
    try:
        spacy = importlib.import_module("spacy")
    except ImportError:
        return None
    try:
        pipeline = spacy.load(model, disable=["parser", "lemmatizer", "textcat"])
    except (OSError, ImportError, ValueError):
        return None
    return SpacyRecognizer(pipeline)


def find_people_and_orgs(text: str, recognizer: PersonOrgRecognizer) -> Iterator[Entity]:
    """PERSON/ORG entities from the recognizer, with spans checked against the text."""
    for start, end, label in recognizer(text):
        kind = _LABELS.get(label.upper())
        if kind is None or not 0 <= start < end <= len(text):
            continue
        surface = text[start:end]
        yield make_entity(kind, text, start, end, " ".join(surface.split()), {"source": "model"})
