"""A message with several problems ("reset my password, and my data export also fails"):
each part is diagnosed, searched and answered in order, under its own heading, and the
reply says so up front."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sfagent.nlu.catalog import IntentCatalog
from sfagent.nlu.intents import IntentSpan
from sfagent.pipeline.turn import Turn
from sfagent.responder import composer_phrases as phrases
from sfagent.responder.composer import ComposedReply, DialogueDecision, ReplyType

# Each part must be this sure of its own intent to be answered on its own.
MIN_PART_CONFIDENCE = 0.5
# A clause of fewer words ("Opportunity.") names a detail, not a problem of its own.
MIN_PART_WORDS = 3
MAX_PARTS = 4
_COUNT_WORDS = {2: "two", 3: "three", 4: "four"}

Study = Callable[[Turn], Awaitable[None]]
Compose = Callable[[Turn, DialogueDecision], ComposedReply]


def problem_parts(turn: Turn, catalog: IntentCatalog | None) -> list[IntentSpan]:
    """The message's parts that each name a different support problem; [] for one problem."""
    understanding = turn.understanding
    if understanding is None or catalog is None or not understanding.multi_intent:
        return []
    if _one_pasted_problem(turn):
        return []
    parts: list[IntentSpan] = []
    for span in understanding.intents:
        spec = catalog.get(span.intent)
        if spec is None or spec.group == "DIALOGUE" or spec.name == "oos":
            continue
        if len(span.text.split()) < MIN_PART_WORDS or span.confidence < MIN_PART_CONFIDENCE:
            continue
        if all(part.intent != span.intent for part in parts):
            parts.append(span)
    return parts[:MAX_PARTS] if len(parts) >= 2 else []


def _one_pasted_problem(turn: Turn) -> bool:
    """Pasted code or a log, or an error message the catalog recognises, is one problem: the
    clauses around it ("in an after insert trigger I call our ERP... why?") describe that
    error, and answering them apart buries its fix under guesses. Measured with `sfagent eval
    answers`: splitting such messages cost 4 to 15 points of must-mention recall."""
    diagnosis = turn.diagnosis
    if diagnosis is None:
        return False
    return bool(diagnosis.artifacts or diagnosis.errors)


async def answer_each(
    turn: Turn,
    parts: list[IntentSpan],
    *,
    study: Study,
    compose: Compose,
    min_confidence: float,
) -> ComposedReply:
    """One section per part: its answer when the evidence supports one, else the question
    for its exact error. `study` diagnoses and retrieves for a part; `compose` writes."""
    sections = [phrases.SEVERAL_TOPICS.format(count=_COUNT_WORDS.get(len(parts), len(parts)))]
    citations: list[tuple[str, str]] = []
    confidences: list[float] = []
    for number, span in enumerate(parts, start=1):
        part = _part_turn(turn, span)
        await study(part)
        composed = compose(part, DialogueDecision.answer(closing=False))
        if not (composed.grounded and composed.confidence >= min_confidence):
            composed = compose(part, DialogueDecision.clarify(slot="error"))
        else:
            confidences.append(composed.confidence)
        heading = phrases.TOPIC_HEADING.format(number=number, topic=span.intent.replace("_", " "))
        sections.append(f"**{heading}**\n\n{composed.text}")
        citations += [pair for pair in composed.citations if pair not in citations]
    sections.append(phrases.CONFIRM_QUESTION)
    return ComposedReply(
        text="\n\n".join(sections),
        reply_type=ReplyType.INSTRUCTIONAL,
        citations=tuple(citations),
        confidence=min(confidences, default=0.0),
        grounded=bool(confidences),
    )


def _part_turn(turn: Turn, span: IntentSpan) -> Turn:
    return Turn(
        content=span.text,
        channel=turn.channel,
        intent=span.intent,
        confidence=span.confidence,
        sentiment=turn.sentiment,
        emotion=turn.emotion,
        memory=turn.memory,
    )
