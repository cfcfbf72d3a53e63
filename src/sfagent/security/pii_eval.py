"""The labelled PII set: loading it and scoring the detector against it, type by type."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sfagent.security.pii import PiiMatch, PiiType, detect

# independent: written by someone who never saw the detector or the other splits.
SPLITS = ("dev", "holdout", "independent")


@dataclass(frozen=True)
class LabelledText:
    id: str
    text: str
    entities: list[tuple[PiiType, str]]
    split: str


def load_labelled(path: Path | None = None) -> list[LabelledText]:
    """Rows of a labelled JSONL file (the shipped set by default); ValueError names a bad line."""
    if path is None:
        shipped = resources.files("sfagent") / "data" / "eval" / "pii" / "labelled.jsonl"
        source, content = "labelled.jsonl", shipped.read_text(encoding="utf-8")
    else:
        source, content = str(path), path.read_text(encoding="utf-8")
    rows = []
    for number, line in enumerate(content.splitlines(), start=1):
        if line.strip():
            try:
                rows.append(_parse_row(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{source} line {number}: {exc}") from exc
    return rows


def _parse_row(raw: dict[str, Any]) -> LabelledText:
    text = raw["text"]
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    split = raw.get("split", "dev")
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of {', '.join(SPLITS)}")
    entities = []
    for entity in raw.get("entities", []):
        try:
            pii_type = PiiType(entity["type"])
        except ValueError:
            raise ValueError(f"unknown PII type {entity['type']!r}") from None
        value = entity["value"]
        if not value or value not in text:
            raise ValueError(f"{pii_type.value} value {value!r} does not occur in the text")
        entities.append((pii_type, value))
    return LabelledText(id=str(raw["id"]), text=text, entities=entities, split=split)


@dataclass
class TypeScore:
    type: PiiType
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
        }


@dataclass(frozen=True)
class Failure:
    id: str
    type: PiiType
    value: str
    kind: str  # "missed" (a labelled value not found) or "spurious" (found, not labelled)


@dataclass
class PiiReport:
    per_type: dict[PiiType, TypeScore]
    texts: int
    split: str | None
    failures: list[Failure] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "texts": self.texts,
            "per_type": {t.value: score.to_dict() for t, score in self.per_type.items()},
            "failures": [
                {"id": f.id, "type": f.type.value, "value": f.value, "kind": f.kind}
                for f in self.failures
            ],
        }


def evaluate(rows: Iterable[LabelledText], split: str | None = None) -> PiiReport:
    """Score detection of every type: a labelled value counts as found when each occurrence
    overlaps a detection of its type; a detection overlapping no labelled value is spurious."""
    report = PiiReport({t: TypeScore(t) for t in PiiType}, texts=0, split=split)
    for row in rows:
        if split is None or row.split == split:
            report.texts += 1
            _score_row(row, detect(row.text, set(PiiType)), report)
    return report


def _score_row(row: LabelledText, found: list[PiiMatch], report: PiiReport) -> None:
    gold_spans: dict[PiiType, list[tuple[int, int]]] = {}
    for pii_type, value in dict.fromkeys(row.entities):
        spans = list(_occurrences(row.text, value))
        gold_spans.setdefault(pii_type, []).extend(spans)
        score = report.per_type[pii_type]
        if all(_overlaps_any(span, found, pii_type) for span in spans):
            score.true_positives += 1
        else:
            score.false_negatives += 1
            report.failures.append(Failure(row.id, pii_type, value, "missed"))
    for match in found:
        spans = gold_spans.get(match.type, [])
        if not any(match.start < end and start < match.end for start, end in spans):
            report.per_type[match.type].false_positives += 1
            report.failures.append(Failure(row.id, match.type, match.value, "spurious"))


def _occurrences(text: str, value: str) -> Iterator[tuple[int, int]]:
    start = text.find(value)
    while start != -1:
        yield start, start + len(value)
        start = text.find(value, start + 1)


def _overlaps_any(span: tuple[int, int], found: list[PiiMatch], pii_type: PiiType) -> bool:
    start, end = span
    return any(m.type is pii_type and m.start < end and start < m.end for m in found)
