"""What the grounded composer takes and returns (re-exported by `sfagent.responder.composer`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sfagent.diagnostics.diagnose import Diagnosis
from sfagent.knowledge import Article, SearchHit


class TechnicalLevel(StrEnum):
    """How technical the writer is, as the understand stage judged it."""

    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    EXPERT = "expert"


class EmotionalStrategy(StrEnum):
    """How the reply opens and closes, chosen from the writer's sentiment and emotion."""

    APOLOGETIC_EXPEDITE = "apologetic_expedite"
    EMPATHETIC_ESCALATE = "empathetic_escalate"
    CLARIFYING = "clarifying"
    REINFORCING = "reinforcing"
    PROFESSIONAL = "professional"


class ReplyType(StrEnum):
    """The shape of a composed reply."""

    INFORMATIONAL = "informational"
    INSTRUCTIONAL = "instructional"
    TECHNICAL = "technical"
    CLARIFICATION = "clarification"
    ESCALATION = "escalation"


class DialogueAct(StrEnum):
    """What the dialogue policy decided to do with this turn."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATE = "escalate"


@dataclass(frozen=True, slots=True)
class DialogueDecision:
    """The decide stage's verdict, with what the reply needs to carry it out.

    For CLARIFY, `question` is the question to ask (or `slot` names what is missing, e.g.
    "object", and the composer asks its standard question for it) and `options` lists the
    likely answers. For ESCALATE, `reason` says why and `next_step` what happens now.
    """

    act: DialogueAct = DialogueAct.ANSWER
    slot: str | None = None
    question: str | None = None
    options: tuple[str, ...] = ()
    reason: str | None = None
    next_step: str | None = None
    lead: str | None = None  # said first: "Back to your data export."
    confirm: bool = False  # end an answer by asking whether it fixed the problem
    closing: bool = True  # False for one section of a reply about several topics

    @classmethod
    def answer(
        cls, *, lead: str | None = None, confirm: bool = False, closing: bool = True
    ) -> DialogueDecision:
        """Answer from the evidence."""
        return cls(lead=lead, confirm=confirm, closing=closing)

    @classmethod
    def clarify(
        cls,
        *,
        slot: str | None = None,
        question: str | None = None,
        options: Sequence[str] = (),
        lead: str | None = None,
    ) -> DialogueDecision:
        """Ask one question about `slot` (or the given `question`), offering `options`."""
        return cls(
            DialogueAct.CLARIFY, slot=slot, question=question, options=tuple(options), lead=lead
        )

    @classmethod
    def escalate(
        cls, *, reason: str | None = None, next_step: str | None = None
    ) -> DialogueDecision:
        """Hand the conversation to a person."""
        return cls(DialogueAct.ESCALATE, reason=reason, next_step=next_step)


@dataclass(frozen=True, slots=True)
class RetrievedSource:
    """One retrieved article with the hit that found it."""

    article: Article
    hit: SearchHit


@dataclass(frozen=True, slots=True)
class ReplyRequest:
    """Everything the composer may use: the reply states nothing that is not in here."""

    message: str
    diagnosis: Diagnosis | None = None
    sources: tuple[RetrievedSource, ...] = ()
    slots: Mapping[str, str] = field(default_factory=dict)
    level: TechnicalLevel = TechnicalLevel.INTERMEDIATE
    strategy: EmotionalStrategy = EmotionalStrategy.PROFESSIONAL
    decision: DialogueDecision = field(default_factory=DialogueDecision)

    @classmethod
    def build(
        cls,
        message: str,
        *,
        diagnosis: Diagnosis | None = None,
        sources: Sequence[tuple[Article, SearchHit]] = (),
        slots: Mapping[str, str] | None = None,
        level: TechnicalLevel = TechnicalLevel.INTERMEDIATE,
        strategy: EmotionalStrategy = EmotionalStrategy.PROFESSIONAL,
        decision: DialogueDecision | None = None,
    ) -> ReplyRequest:
        """A request from `(article, hit)` pairs as the retrieve stage produces them."""
        return cls(
            message=message,
            diagnosis=diagnosis,
            sources=tuple(RetrievedSource(article, hit) for article, hit in sources),
            slots=dict(slots or {}),
            level=level,
            strategy=strategy,
            decision=decision or DialogueDecision(),
        )


@dataclass(frozen=True, slots=True)
class ComposedReply:
    """A reply ready to send, with the evidence it rests on.

    `citations` are `(article_id, title)` for every article the text uses, in the order of
    their `[n]` markers. `grounded` is True when the text rests on at least one source or
    diagnosis; a reply that only asks, hands over, or says it does not know is not grounded.
    """

    text: str
    reply_type: ReplyType
    citations: tuple[tuple[str, str], ...] = ()
    confidence: float = 0.0
    grounded: bool = False
