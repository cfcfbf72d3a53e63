"""The grounded composer: the default, deterministic responder (no language model).

It builds informational, instructional, technical, clarification and escalation replies
from what the engines found: the diagnosis, retrieved knowledge articles and the
conversation's slots. Every substantive sentence is copied from an article, the diagnosis,
the dialogue decision or the user's own words; the composer adds only the fixed phrases in
`composer_phrases.TEMPLATE_PHRASES`. When there is no evidence it says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sfagent.diagnostics.diagnose import Cause, Diagnosis
from sfagent.knowledge.search import RRF_K
from sfagent.responder import composer_phrases as phrases
from sfagent.responder.composer_blocks import CitationList
from sfagent.responder.composer_render import (
    Shape,
    article_blocks,
    clarification_blocks,
    diagnosis_blocks,
    dont_know_blocks,
    escalation_blocks,
    titles_block,
)
from sfagent.responder.composer_sources import mentions, read_article
from sfagent.responder.composer_types import (
    ComposedReply,
    DialogueAct,
    DialogueDecision,
    EmotionalStrategy,
    ReplyRequest,
    ReplyType,
    RetrievedSource,
    TechnicalLevel,
)
from sfagent.responder.readability import flesch_reading_ease

__all__ = [
    "ComposedReply",
    "DialogueAct",
    "DialogueDecision",
    "EmotionalStrategy",
    "ReplyRequest",
    "ReplyType",
    "RetrievedSource",
    "TechnicalLevel",
    "choose_reply_type",
    "compose_reply",
    "evidence_confidence",
    "flesch_reading_ease",
    "personal_lines",
    "usable_sources",
]

MAX_SOURCES = 3
MAX_SUPPORTING = 2
# A hit far below the best one is usually about something else; it is not worth citing.
RELATED_SCORE_SHARE = 0.5
# How sure each analyser is when it names a cause (see diagnose.py: only sure causes are named).
DIAGNOSIS_CERTAINTY = {"error_catalog": 0.8, "soql": 0.85, "apex_rule": 0.75, "debug_log": 0.6}
LOCATED_BONUS = 0.1  # the cause is pinned to a line of the user's code or log
AGREEMENT_BONUS = 0.1  # independent evidence points the same way
RETRIEVAL_WEIGHT = 0.6  # retrieval alone never makes a reply as sure as a diagnosis
# Without dense ranking, a hit first in both BM25 and exact matching scores 2 / (RRF_K + 1).
_FULL_AGREEMENT_SCORE = 2 / (RRF_K + 1)
MAX_CONFIDENCE = 0.95


def compose_reply(request: ReplyRequest) -> ComposedReply:
    """The reply the dialogue decided on, grounded in the request's evidence."""
    act = request.decision.act
    if act is DialogueAct.CLARIFY:
        return _clarification(request)
    if act is DialogueAct.ESCALATE:
        return _escalation(request)
    return _answer(request)


def choose_reply_type(
    cause: Cause | None, sources: Sequence[RetrievedSource], level: TechnicalLevel
) -> ReplyType:
    """Technical for code or experts, instructional when there are steps, else informational."""
    if cause is not None:
        if cause.example or (level is TechnicalLevel.EXPERT and cause.fix):
            return ReplyType.TECHNICAL
        return ReplyType.INSTRUCTIONAL if cause.fix else ReplyType.INFORMATIONAL
    if not sources or not read_article(sources[0].article).steps:
        return ReplyType.INFORMATIONAL
    return ReplyType.TECHNICAL if level is TechnicalLevel.EXPERT else ReplyType.INSTRUCTIONAL


def usable_sources(sources: Sequence[RetrievedSource]) -> list[RetrievedSource]:
    """The best few sources, one per article, dropping hits far weaker than the best."""
    kept: list[RetrievedSource] = []
    best = max((source.hit.score for source in sources), default=0.0)
    for source in sorted(sources, key=lambda s: -s.hit.score):
        seen = any(source.article.id == other.article.id for other in kept)
        if not seen and source.hit.score >= RELATED_SCORE_SHARE * best:
            kept.append(source)
    return kept[:MAX_SOURCES]


def evidence_confidence(cause: Cause | None, used: Sequence[RetrievedSource]) -> float:
    """How far the evidence in the reply can be trusted, in [0, 1].

    A named cause counts by the certainty of the analyser that found it; retrieval counts by
    how many rankers put the top article first; agreement between the two, or between
    several articles on the same topic, adds a little.
    """
    diagnosed = _diagnosis_certainty(cause)
    retrieved = _retrieval_strength(used)
    confidence = 1 - (1 - diagnosed) * (1 - RETRIEVAL_WEIGHT * retrieved)
    if _sources_agree(cause, used):
        confidence += AGREEMENT_BONUS
    return round(min(MAX_CONFIDENCE, confidence), 3) if cause or used else 0.0


def personal_lines(
    slots: Mapping[str, str], cause: Cause | None, used: Sequence[RetrievedSource]
) -> list[str]:
    """Name the user's error or object when the evidence is about it."""
    evidence = _evidence_text(cause, used)
    lines = []
    error = slots.get("error", "")
    if error and mentions(evidence, error):
        lines.append(phrases.ERROR_MENTIONED.format(error=error))
    sobject = slots.get("object", "")
    # Object API names are capitalised: "Account" the object, not "the customer's account".
    if sobject and mentions(evidence, sobject, case_sensitive=True):
        lines.append(phrases.OBJECT_MENTIONED.format(object=sobject))
    return lines


def _answer(request: ReplyRequest) -> ComposedReply:
    cause = request.diagnosis.primary if request.diagnosis else None
    sources = usable_sources(request.sources)
    if cause is None and not sources:
        return _dont_know(request)
    reply_type = choose_reply_type(cause, sources, request.level)
    shape = Shape(
        level=request.level,
        reply_type=reply_type,
        fix_first=request.strategy is EmotionalStrategy.APOLOGETIC_EXPEDITE,
        brief=request.strategy is EmotionalStrategy.REINFORCING,
    )
    cites = CitationList()
    body, used = _answer_body(request.diagnosis, sources, shape, cites)
    opening = _opening(request.strategy, reply_type, lead=request.decision.lead)
    personal = " ".join(personal_lines(request.slots, cause, used))
    return ComposedReply(
        text=_assemble([*opening, personal], body, _closing(request), cites),
        reply_type=reply_type,
        citations=cites.pairs(),
        confidence=evidence_confidence(cause, used),
        grounded=True,
    )


def _answer_body(
    diagnosis: Diagnosis | None,
    sources: Sequence[RetrievedSource],
    shape: Shape,
    cites: CitationList,
) -> tuple[list[str], list[RetrievedSource]]:
    """The diagnosis with supporting articles, or else the best article; and what was used."""
    if diagnosis is not None and diagnosis.primary is not None:
        used = _supporting(diagnosis.primary, sources)
        body = diagnosis_blocks(diagnosis, shape)
        if used:
            # The article about the diagnosed error adds what the catalog entry leaves out.
            body += article_blocks(used[0], read_article(used[0].article), shape, cites)
        if len(used) > 1:
            body.append(titles_block(phrases.SUPPORTING_INTRO, used[1:], cites))
        return body, used
    used = list(sources) if _shows_related(shape) else list(sources[:1])
    body = article_blocks(used[0], read_article(used[0].article), shape, cites)
    rest = used[1:]
    if rest and shape.level is TechnicalLevel.INTERMEDIATE:
        # Retrieval ranks the runner-up close behind more often than not; a senior engineer
        # names both likely causes rather than bet on one (its gist only: steps, no extras).
        # Experts get titles (concise); beginners one answer (not two to choose from).
        brief = Shape(TechnicalLevel.EXPERT, shape.reply_type, fix_first=True, brief=True)
        body.append(phrases.ALTERNATIVE_INTRO)
        body += article_blocks(rest[0], read_article(rest[0].article), brief, cites)
        rest = rest[1:]
    if rest:
        body.append(titles_block(phrases.RELATED_INTRO, rest, cites))
    return body, used


def _clarification(request: ReplyRequest) -> ComposedReply:
    text = _assemble(
        _opening(request.strategy, lead=request.decision.lead),
        clarification_blocks(request.decision),
        [],
        CitationList(),
    )
    return ComposedReply(text=text, reply_type=ReplyType.CLARIFICATION)


def _escalation(request: ReplyRequest) -> ComposedReply:
    cause = request.diagnosis.primary if request.diagnosis else None
    cites = CitationList()
    used = _supporting(cause, usable_sources(request.sources)) if cause else []
    used = used or usable_sources(request.sources)[:MAX_SUPPORTING]
    body = escalation_blocks(request.decision, request.diagnosis)
    if used:
        # What a person would say first while the handoff happens: the steps that help now.
        shape = Shape(request.level, ReplyType.INSTRUCTIONAL, fix_first=True, brief=True)
        body.append(phrases.WHILE_YOU_WAIT)
        body += article_blocks(used[0], read_article(used[0].article), shape, cites)
        if len(used) > 1:
            body.append(titles_block(phrases.RELATED_INTRO, used[1:], cites))
    text = _assemble(_opening(request.strategy), body, [], cites)
    return ComposedReply(
        text=text,
        reply_type=ReplyType.ESCALATION,
        citations=cites.pairs(),
        confidence=evidence_confidence(cause, used),
        grounded=bool(cause or used),
    )


def _dont_know(request: ReplyRequest) -> ComposedReply:
    text = _assemble(
        _opening(request.strategy),
        dont_know_blocks(request.message),
        [],
        CitationList(),
    )
    return ComposedReply(text=text, reply_type=ReplyType.INFORMATIONAL)


def _opening(
    strategy: EmotionalStrategy, answer: ReplyType | None = None, *, lead: str | None = None
) -> list[str]:
    """The acknowledgement; for an answer, the fix first or a person, as the strategy promises.
    The dialogue's lead ("Back to your data export.") comes before it."""
    sentences = [lead or "", phrases.OPENINGS[strategy]]
    has_fix = answer in (ReplyType.INSTRUCTIONAL, ReplyType.TECHNICAL)
    if has_fix and strategy is EmotionalStrategy.APOLOGETIC_EXPEDITE:
        sentences.append(phrases.FASTEST_FIX_FIRST)
    if answer is not None and strategy is EmotionalStrategy.EMPATHETIC_ESCALATE:
        sentences.append(phrases.OFFER_PERSON_NOW)
    return [" ".join(sentence for sentence in sentences if sentence)]


def _closing(request: ReplyRequest) -> list[str]:
    """The strategy's closing line, then (after a fix) the question whether it worked."""
    decision = request.decision
    lines = [phrases.CLOSINGS[request.strategy]] if decision.closing else []
    if decision.confirm:
        lines.append(phrases.CONFIRM_QUESTION)
    return lines


def _assemble(
    opening: Sequence[str], body: Sequence[str], closing: Sequence[str], cites: CitationList
) -> str:
    footer = cites.footer(phrases.SOURCES_HEADING)
    blocks = [*opening, *body, *closing, footer or ""]
    return "\n\n".join(block for block in blocks if block.strip())


def _shows_related(shape: Shape) -> bool:
    """Related articles are extra reading: not for beginners or a brief, upbeat reply."""
    return shape.level is not TechnicalLevel.BEGINNER and not shape.brief


def _supporting(cause: Cause | None, sources: Sequence[RetrievedSource]) -> list[RetrievedSource]:
    """Articles to read beside a diagnosis: those listing its error, else the best hit."""
    error_id = cause.error_id if cause else None
    matching = [s for s in sources if error_id and error_id in s.article.error_ids]
    return matching[:MAX_SUPPORTING] if matching else list(sources[:1])


def _diagnosis_certainty(cause: Cause | None) -> float:
    if cause is None:
        return 0.0
    certainty = DIAGNOSIS_CERTAINTY.get(cause.source, 0.6)
    return certainty + (LOCATED_BONUS if cause.line is not None else 0.0)


def _retrieval_strength(used: Sequence[RetrievedSource]) -> float:
    """1.0 when the top article ranked first in every lexical ranker, less otherwise."""
    if not used:
        return 0.0
    return min(1.0, used[0].hit.score / _FULL_AGREEMENT_SCORE)


def _sources_agree(cause: Cause | None, used: Sequence[RetrievedSource]) -> bool:
    if cause is not None and cause.error_id:
        return any(cause.error_id in source.article.error_ids for source in used)
    categories = [source.article.category for source in used]
    return len(categories) > 1 and categories.count(categories[0]) > 1


def _evidence_text(cause: Cause | None, used: Sequence[RetrievedSource]) -> str:
    parts = [f"{source.article.title}\n{source.article.body}" for source in used[:1]]
    parts += [" ".join(source.article.error_ids) for source in used[:1]]
    if cause is not None:
        parts += [cause.title, cause.explanation, cause.error_id or "", cause.where or ""]
    return "\n".join(parts)
