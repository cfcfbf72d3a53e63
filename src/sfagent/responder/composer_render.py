"""Body blocks of a composed reply: an article answer, a diagnosis, handoff and questions.

Each function returns Markdown blocks (joined by blank lines by the composer). The prose in
them is copied from an article, the diagnosis or the dialogue decision; the rest comes from
`composer_phrases`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sfagent.diagnostics.diagnose import Cause, Diagnosis
from sfagent.responder import composer_phrases as phrases
from sfagent.responder.composer_blocks import (
    CitationList,
    bulleted,
    cause_sentences,
    check_items,
    code_markdown,
    expert_code,
    fix_items,
    numbered,
    step_items,
)
from sfagent.responder.composer_sources import ArticleParts, CodeBlock
from sfagent.responder.composer_types import (
    DialogueDecision,
    ReplyType,
    RetrievedSource,
    TechnicalLevel,
)
from sfagent.responder.readability import split_sentences

_RISKY = frozenset({"high", "critical"})
EXCERPT_WORDS = 20


@dataclass(frozen=True, slots=True)
class Shape:
    """How the body is laid out for this reader and mood."""

    level: TechnicalLevel
    reply_type: ReplyType
    fix_first: bool  # apologetic-and-expedite: the fix before the explanation
    brief: bool  # reinforcing: no extra sections

    @property
    def code_first(self) -> bool:
        """Experts reading a technical reply see the code before any prose."""
        return self.reply_type is ReplyType.TECHNICAL and self.level is TechnicalLevel.EXPERT


def article_blocks(
    source: RetrievedSource, parts: ArticleParts, shape: Shape, cites: CitationList
) -> list[str]:
    """The answer drawn from one article: cause, steps, code and checks, in reading order."""
    marker = cites.marker(source.article)
    if shape.reply_type is ReplyType.INFORMATIONAL or not parts.steps:
        sentences = cause_sentences([*parts.problem, *parts.cause], _informational(shape.level))
        return [f"{phrases.ABOUT_INTRO}\n\n{' '.join(sentences)}{marker}"]
    # An article about an error explains a cause and fixes it; a how-to gives background.
    fixes_error = bool(source.article.error_ids)
    cause_intro = phrases.CAUSE_INTRO if fixes_error else phrases.BACKGROUND_INTRO
    cause = _cause_block(parts.cause or parts.problem, shape.level, cause_intro + marker)
    steps = _steps_block(parts, shape, marker, fixes_error=fixes_error)
    if shape.code_first and parts.code:
        code = f"{phrases.CODE_INTRO}{marker}\n\n{code_markdown(expert_code(parts.steps))}"
        return [code, steps, *cause]
    checks = [] if shape.brief else _checks_block(parts.checks, shape.level, marker)
    if shape.fix_first:
        return [steps, *cause, *checks]
    return [*cause, steps, *checks]


def diagnosis_blocks(diagnosis: Diagnosis, shape: Shape) -> list[str]:
    """The diagnosed cause: what, where, why, how to fix, the rewritten code, what else."""
    primary = diagnosis.primary
    if primary is None:
        return []
    head = [f"**{primary.title}**"]
    if primary.where:
        head.append(f"**{phrases.WHERE_LABEL}:** {primary.where}")
    why = _why_block(primary, shape.level)
    fix = _fix_block(primary.fix, shape.level)
    code = _rewrite_block(primary.example)
    if shape.code_first:
        body = [*code, *fix, *why]
    elif shape.fix_first:
        body = [*fix, *why, *code]
    else:
        body = [*why, *fix, *code]
    return ["\n\n".join(head), *body, *_diagnosis_extras(diagnosis, primary, shape)]


def titles_block(intro: str, sources: Sequence[RetrievedSource], cites: CitationList) -> str:
    """A short list of article titles with their citation markers."""
    items = [f"{source.article.title}{cites.marker(source.article)}" for source in sources]
    return f"{intro}\n{bulleted(items)}"


def clarification_blocks(decision: DialogueDecision) -> list[str]:
    """One question, then the likely answers to pick from."""
    question = decision.question or phrases.SLOT_QUESTIONS.get(
        decision.slot or "", phrases.GENERIC_QUESTION
    )
    blocks = [phrases.NEED_ONE_DETAIL, f"**{question}**"]
    if decision.options:
        blocks.append(f"{phrases.OPTIONS_INTRO}\n{bulleted(decision.options)}")
        blocks.append(phrases.OWN_WORDS)
    return blocks


def escalation_blocks(decision: DialogueDecision, diagnosis: Diagnosis | None) -> list[str]:
    """The handoff: that a person takes over, why, and what happens next."""
    blocks = [phrases.HANDOFF]
    if decision.reason:
        blocks.append(f"**{phrases.HANDOFF_WHY_LABEL}:** {decision.reason}")
    next_step = decision.next_step or phrases.DEFAULT_NEXT_STEP
    blocks.append(f"**{phrases.NEXT_LABEL}:** {next_step}")
    if diagnosis is not None and diagnosis.primary is not None:
        blocks.append(f"**{phrases.FOUND_SO_FAR}:** {diagnosis.primary.title}")
    return blocks


def dont_know_blocks(message: str) -> list[str]:
    """Say plainly that there is no answer, quote what was asked, and offer the ways on."""
    blocks = [phrases.DONT_KNOW]
    excerpt = _excerpt(message)
    if excerpt:
        blocks.append(phrases.YOU_WROTE.format(excerpt=excerpt))
    blocks.append(phrases.DONT_KNOW_NEXT)
    return blocks


def _informational(level: TechnicalLevel) -> TechnicalLevel:
    """Without steps, the explanation is the answer, so experts get more than one sentence."""
    return TechnicalLevel.INTERMEDIATE if level is TechnicalLevel.EXPERT else level


def _cause_block(sentences: Sequence[str], level: TechnicalLevel, intro: str) -> list[str]:
    chosen = cause_sentences(sentences, level)
    return [f"{intro}\n\n{' '.join(chosen)}"] if chosen else []


def _steps_block(parts: ArticleParts, shape: Shape, marker: str, *, fixes_error: bool) -> str:
    # Experts saw the code first, so their steps are the gist of each one.
    level = TechnicalLevel.EXPERT if shape.code_first else shape.level
    if level is TechnicalLevel.EXPERT:
        intro = phrases.STEPS_INTRO_SHORT
    else:
        intro = phrases.FIX_STEPS_INTRO if fixes_error else phrases.STEPS_INTRO
    return f"{intro}{marker}\n\n{numbered(step_items(parts.steps, level))}"


def _checks_block(checks: Sequence[str], level: TechnicalLevel, marker: str) -> list[str]:
    items = check_items(checks, level)
    if not items or level is TechnicalLevel.EXPERT:
        return []
    return [f"{phrases.CHECKS_INTRO}{marker}\n{bulleted(items)}"]


def _why_block(cause: Cause, level: TechnicalLevel) -> list[str]:
    sentences = cause_sentences(split_sentences(cause.explanation), level)
    if not sentences:
        return []
    text = f"**{phrases.WHY_LABEL}:** {' '.join(sentences)}"
    if cause.limit and level is not TechnicalLevel.BEGINNER:
        text += f"\n\n**{phrases.LIMIT_LABEL}:** {cause.limit}"
    return [text]


def _fix_block(fixes: Sequence[str], level: TechnicalLevel) -> list[str]:
    if not fixes:
        return []
    return [f"**{phrases.FIX_LABEL}:**\n\n{numbered(fix_items(fixes, level))}"]


def _rewrite_block(example: str | None) -> list[str]:
    if not example:
        return []
    return [f"{phrases.REWRITE_LABEL}\n\n{CodeBlock('apex', example).markdown()}"]


def _diagnosis_extras(diagnosis: Diagnosis, primary: Cause, shape: Shape) -> list[str]:
    """Other causes, governor-limit exposure and the reference, for readers who want them."""
    extras: list[str] = []
    others = diagnosis.causes[1:]
    if others and not shape.brief:
        items = [
            f"{cause.title}: {cause.where}" if cause.where else cause.title for cause in others
        ]
        extras.append(f"{phrases.ALSO_NOTICED}\n{bulleted(items)}")
    risk = _governor_summary(diagnosis)
    if risk and shape.level is TechnicalLevel.INTERMEDIATE:
        extras.append(f"**{phrases.GOVERNOR_LABEL}:** {risk}")
    if primary.doc_url:
        extras.append(f"{phrases.REFERENCE_LABEL}: {primary.doc_url}")
    return extras


def _governor_summary(diagnosis: Diagnosis) -> str | None:
    """The Apex analyser's summary when some method is at high or critical risk."""
    for analysis in diagnosis.apex:
        risk = analysis.governor_risk
        if risk is not None and any(unit.risk in _RISKY for unit in risk.units):
            return risk.summary
    return None


def _excerpt(message: str) -> str:
    """The first line of the user's message, cut to a few words."""
    line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    words = line.split()
    return " ".join(words[:EXCERPT_WORDS]) + ("…" if len(words) > EXCERPT_WORDS else "")
