"""Sentiment in [-1, 1]: VADER plus a support-desk layer, overall and per product/feature/object."""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

from sfagent.nlu.entities import Entity, EntityType, extract_entities
from sfagent.nlu.entities.prose import prose_view

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
_VADER_ALPHA = 15.0  # VADER's normalisation constant: compound = x / sqrt(x^2 + alpha)

# Words VADER scores that carry no feeling in a Salesforce support request ("please help",
# "sharing rules", "picklist value", "Closed Won", "Opportunity", "security settings"), and
# support words it does not know.
_NEUTRAL_IN_SALESFORCE = [
    "accept",
    "accepted",
    "active",
    "allow",
    "allowed",
    "approval",
    "approve",
    "approved",
    "clean",
    "credit",
    "grant",
    "granted",
    "interest",
    "lost",
    "opportunity",
    "opportunities",
    "profit",
    "protect",
    "reward",
    "save",
    "saved",
    "secure",
    "security",
    "trust",
    "value",
    "values",
    "welcome",
    "win",
    "won",
]
_LEXICON_OVERRIDES: dict[str, float] = {
    **dict.fromkeys(_NEUTRAL_IN_SALESFORCE, 0.0),
    "help": 0.0,
    "please": 0.0,
    "support": 0.0,
    "like": 0.0,
    "true": 0.0,
    "free": 0.0,
    "share": 0.0,
    "sharing": 0.0,
    "alert": 0.0,
    "resolve": 0.0,
    "urgent": 0.0,
    "critical": 0.0,
    "kill": -1.0,
    "killed": -1.0,
    "warning": -0.5,
    "crash": -1.7,
    "crashes": -1.7,
    "crashed": -1.7,
    "crashing": -1.7,
    "bug": -1.0,
    "bugs": -1.0,
    "buggy": -1.8,
    "glitch": -1.2,
    "glitchy": -1.5,
    "slow": -1.0,
    "laggy": -1.2,
    "freezes": -1.2,
    "unusable": -2.0,
    "afraid": -1.5,
}

# (cues, pattern, valence on VADER's word scale of about -4..4). Patterns run on lower-cased
# text, and only when one of their cue substrings occurs in it.
_PHRASES: tuple[tuple[tuple[str, ...], str, float], ...] = (
    (
        ("not", "n't", "stopped", "no longer"),
        r"\b(?:not|isn't|is not|aren't|doesn't|does not|don't|won't|can't|stopped|no longer)\s+"
        r"(?:work|works|working|load|loading|save|saving|sync|syncing|respond|responding|fire|"
        r"firing|run|running)\b",
        -1.8,
    ),
    (
        ("still",),
        r"\bstill\s+(?:not\b|broken|failing|down|crashing|happening|an?\s+(?:issue|problem)|"
        r"waiting|stuck|the\s+same|getting|seeing|no\b)",
        -1.5,
    ),
    (
        ("down",),
        r"\b(?:production|prod|our org|the org|org|site|portal|system|everything|salesforce|"
        r"it)\s+(?:is|was|went|has been|are|were)\s+down\b",
        -2.5,
    ),
    (("outage",), r"\boutage\b", -2.0),
    (
        ("time",),
        r"\b(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)|umpteenth|nth)\s+time\b",
        -1.2,
    ),
    (("again",), r"(?<!thanks )(?<!thank you )\b(?:yet\s+)?again\b", -0.6),
    (
        ("keep",),
        r"\bkeeps?\s+(?:on\s+)?(?:crashing|failing|breaking|happening|timing out|erroring|"
        r"throwing|logging (?:me|us) out)\b",
        -1.5,
    ),
    (
        ("urgent", "asap", "as soon as possible", "critical", "blocker", "sev"),
        r"\b(?:urgent(?:ly)?|asap|as soon as possible|critical|blocker|sev(?:erity)?\s*1)\b",
        -1.0,
    ),
    (
        ("nobody", "no one", "noone"),
        r"\b(?:no\s?one|nobody)\s+(?:has\s+)?(?:responded|replied|answered|helped|got back)\b",
        -2.0,
    ),
    (
        ("waiting",),
        r"\bwaiting\s+(?:for|since)\s+(?:days|weeks|hours|\d+\s+(?:days|weeks|hours))\b",
        -1.5,
    ),
    (("waste",), r"\bwaste of (?:time|money)\b", -1.0),
    (
        ("can't", "cannot", "can not", "unable", "couldn't"),
        r"\b(?:can't|cannot|can not|unable to|couldn't)\s+(?:log ?in|login|access|save|deploy|"
        r"see|find|open|edit|create|update|send|connect)\b",
        -1.2,
    ),
    (("data",), r"\bdata loss\b|\blos(?:e|ing|t)\s+(?:all\s+|our\s+|the\s+)?data\b", -2.0),
    (("tim",), r"\btim(?:es|ed|ing) out\b|\btimeouts?\b", -1.0),
    (
        ("work",),
        r"\b(?:works|working|worked)\s+(?:now|again|perfectly|great|fine|like a charm)\b",
        2.0,
    ),
    (
        ("fixed", "solved", "resolved"),
        r"\b(?:that|this|it|you)\s+(?:fixed|solved|resolved)\s+(?:it|the\s+(?:issue|problem))\b",
        2.0,
    ),
    (
        ("solved", "resolved", "fixed"),
        r"\b(?:problem|issue)\s+(?:is\s+)?(?:solved|resolved|fixed)\b",
        1.5,
    ),
    (("all good",), r"\ball good\b", 1.5),
    (("saved",), r"\b(?:you|that)\s+saved\s+(?:me|us|my|our)\b", 2.0),
)
_COMPILED_PHRASES = tuple(
    (cues, re.compile(pattern), valence) for cues, pattern, valence in _PHRASES
)
# Courtesy formulas say nothing about how the writer feels.
_POLITENESS = re.compile(
    r"\b(?:(?:many\s+)?thanks?(?:\s+you)?\s+in\s+advance|(?:best|kind|warm|warmest)\s+regards|"
    r"best\s+wishes|hope\s+you(?:'re|\s+are)\s+(?:well|doing\s+well)|have\s+a\s+(?:nice|good|great)\s+"
    r"(?:day|weekend)|good\s+(?:morning|afternoon|evening))\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(
    r"(?<=[.!?])\s+|[;\n]+|\s*\b(?:(?P<contrast>but|however)|although|though|whereas|"
    r"nevertheless|except)\b",
    re.IGNORECASE,
)
# Like VADER's "but" rule: what comes before the first contrast counts half, what follows 1.5x.
_BEFORE_CONTRAST = 0.5
_AFTER_CONTRAST = 1.5
_WORD = re.compile(r"[a-z']+")
_EMOTICON_CHARS = frozenset(":;=<")
_ASPECT_TYPES = frozenset({EntityType.PRODUCT, EntityType.FEATURE, EntityType.SALESFORCE_OBJECT})


@dataclass(frozen=True, slots=True)
class AspectSentiment:
    """Sentiment toward one product, feature or object named in the message."""

    aspect: str
    kind: EntityType
    score: float
    label: str
    mentions: int


@dataclass(frozen=True, slots=True)
class Sentiment:
    """Overall score in [-1, 1], its label, and per-aspect scores when aspects are named."""

    score: float
    label: str
    aspects: tuple[AspectSentiment, ...] = ()


def label_for(score: float) -> str:
    """negative / neutral / positive, with VADER's customary ±0.05 band for neutral."""
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(_LEXICON_OVERRIDES)
    return analyzer


@cache
def _feeling_words() -> frozenset[str]:
    """Lexicon words with a non-zero valence: without one, VADER scores a clause 0."""
    return frozenset(word for word, valence in _analyzer().lexicon.items() if valence)


def _raw_to_score(raw: float) -> float:
    """VADER's squashing of a raw valence sum into [-1, 1]."""
    return round(raw / math.sqrt(raw * raw + _VADER_ALPHA), 4)


def _score_to_raw(score: float) -> float:
    clipped = max(-0.9999, min(0.9999, score))
    return clipped * math.sqrt(_VADER_ALPHA / (1 - clipped * clipped))


def _phrase_valence(lowered: str) -> float:
    total = 0.0
    for cues, pattern, valence in _COMPILED_PHRASES:
        if any(cue in lowered for cue in cues):
            total += valence * sum(1 for _ in pattern.finditer(lowered))
    return total


def _raw_valence(clause: str) -> float:
    """Raw (unsquashed) valence of one clause: VADER's sum plus support phrases."""
    lowered = clause.lower().replace("\u2019", "'")
    # VADER costs far more than this check; most clauses of a support message carry no feeling.
    feels = (
        not clause.isascii()
        or not _feeling_words().isdisjoint(_WORD.findall(lowered))
        or not _EMOTICON_CHARS.isdisjoint(clause)
    )
    vader = 0.0
    if feels:
        vader = _score_to_raw(float(_analyzer().polarity_scores(clause)["compound"]))
    return vader + _phrase_valence(lowered)


def analyze_sentiment(text: str, *, entities: Sequence[Entity] | None = None) -> Sentiment:
    """Score a message; pass already extracted `entities` to skip extracting them again."""
    if entities is None:
        entities = extract_entities(text)
    code_spans = [(e.start, e.end) for e in entities if e.type is EntityType.CODE]
    prose = prose_view(text, code_spans)
    prose = _POLITENESS.sub(lambda match: " " * len(match.group()), prose)
    clauses = _clauses(prose)
    raws = [_raw_valence(prose[clause.start : clause.end]) for clause in clauses]
    score = _raw_to_score(
        sum(clause.weight * raw for clause, raw in zip(clauses, raws, strict=True))
    )
    aspects = _aspect_sentiments(entities, clauses, raws)
    return Sentiment(score, label_for(score), aspects)


@dataclass(frozen=True, slots=True)
class _Clause:
    start: int
    end: int
    weight: float


def _clauses(prose: str) -> list[_Clause]:
    """Clauses split at sentence ends and contrasts, weighted around the first "but"."""
    spans: list[tuple[int, int]] = []
    contrast_at: int | None = None
    cursor = 0
    for match in _CLAUSE_BREAK.finditer(prose):
        spans.append((cursor, match.start()))
        if contrast_at is None and match.group("contrast"):
            contrast_at = len(spans)
        cursor = match.end()
    spans.append((cursor, len(prose)))
    clauses = []
    for index, (start, end) in enumerate(spans):
        if not prose[start:end].strip():
            continue
        weight = 1.0
        if contrast_at is not None:
            weight = _BEFORE_CONTRAST if index < contrast_at else _AFTER_CONTRAST
        clauses.append(_Clause(start, end, weight))
    return clauses


def _aspect_sentiments(
    entities: Sequence[Entity], clauses: Sequence[_Clause], raws: Sequence[float]
) -> tuple[AspectSentiment, ...]:
    mentions = sorted(
        (e for e in entities if e.type in _ASPECT_TYPES and not e.in_code), key=lambda e: e.start
    )
    starts = [mention.start for mention in mentions]
    scores: dict[tuple[str, EntityType], list[float]] = {}
    for clause, raw in zip(clauses, raws, strict=True):
        # Only the mentions starting inside the clause: linear, not clauses x mentions.
        first, last = bisect_left(starts, clause.start), bisect_left(starts, clause.end)
        for mention in mentions[first:last]:
            if mention.end <= clause.end:
                scores.setdefault((mention.value, mention.type), []).append(_raw_to_score(raw))
    aspects = []
    for (name, kind), values in scores.items():
        mean = round(sum(values) / len(values), 4)
        aspects.append(AspectSentiment(name, kind, mean, label_for(mean), len(values)))
    return tuple(aspects)
