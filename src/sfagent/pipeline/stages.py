"""The pipeline stages, in order. Stages of later capabilities plug into STAGES.

The understand stage records what the message asks for (intents, support category, priority),
what it names (entities), how the writer feels and in which language. The diagnose stage
analyses pasted code, queries, logs and error text; retrieve finds the tenant's best articles.
decide answers when a diagnosis or well-matched articles support an answer, and otherwise
(or when a person must decide: refunds, incidents, a request for a human) hands the
conversation to a person. respond writes the grounded reply, citing its sources: never an
invented answer.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from sfagent.conversations.lifecycle import ConversationStatus
from sfagent.conversations.models import Message
from sfagent.conversations.transitions import record_dialogue_moves, transition
from sfagent.db.base import utcnow
from sfagent.diagnostics.detect import ArtifactKind
from sfagent.diagnostics.diagnose import diagnose_message
from sfagent.errors import ValidationFailed
from sfagent.kb.service import record_usage
from sfagent.knowledge import SearchFilters
from sfagent.outbox.service import enqueue
from sfagent.pipeline import policy
from sfagent.pipeline.confirmation import Confirmation
from sfagent.pipeline.context_stack import slot_values
from sfagent.pipeline.dialogue import DialogueState, Topic
from sfagent.pipeline.dialogue_turn import cause_key, remember_outcome, turn_moves
from sfagent.pipeline.guard import guard
from sfagent.pipeline.handoff import next_step, open_for, plan_for
from sfagent.pipeline.llm_answer import llm_answer
from sfagent.pipeline.multi_intent import answer_each, problem_parts
from sfagent.pipeline.notify import raise_notifications
from sfagent.pipeline.recall import recall
from sfagent.pipeline.tenant_rules import escalation_reason, evaluate_tenant_rules
from sfagent.pipeline.turn import Action, PipelineContext, Turn
from sfagent.responder import composer_phrases as phrases
from sfagent.responder.composer import (
    ComposedReply,
    DialogueDecision,
    EmotionalStrategy,
    ReplyRequest,
    compose_reply,
)
from sfagent.responder.small_talk import small_talk_reply
from sfagent.salesforce.service import enqueue_case_sync

if TYPE_CHECKING:
    from sfagent.llm_usage.runtime import LlmRuntime
    from sfagent.nlu.understand import Understanding

Stage = Callable[[Turn, PipelineContext], Awaitable[None]]

HANDOFF_JOB = "conversations.handoff_requested"
RETRIEVED_ARTICLES = 5
# A pasted 20,000-character log is searched by its first part; the error lines lead it.
RETRIEVAL_QUERY_CHARS = 4_000
_LOG_ERROR_LINE = re.compile(r"FATAL_ERROR|EXCEPTION_THROWN|FLOW_ELEMENT_ERROR|VALIDATION_FAIL")
# Below this the composer's answer is too weakly supported to send without a person.
MIN_ANSWER_CONFIDENCE = 0.3
# A confirmed fix resolves a conversation the assistant is handling.
OPEN_FOR_RESOLVING = frozenset({ConversationStatus.ACTIVE, ConversationStatus.WAITING})
# The runner-up after a fix that did not work: weaker evidence than a first answer needs,
# but still a source about the same problem (retrieval ran on everything said about it).
NEXT_BEST_MIN_CONFIDENCE = 0.1
# A rating this low gets an apology and an open door.
LOW_RATING = 2
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


async def ingest(turn: Turn, ctx: PipelineContext) -> None:
    """Normalise line endings, drop control characters, enforce the tenant's length limit."""
    content = _CONTROL_CHARACTERS.sub("", turn.content.replace("\r\n", "\n").replace("\r", "\n"))
    if not content.strip():
        raise ValidationFailed("content", "must contain visible text")
    if len(content) > ctx.max_message_length:
        raise ValidationFailed(
            "content",
            f"is {len(content)} characters; this organization allows at most "
            f"{ctx.max_message_length}",
        )
    turn.content = content


async def understand(turn: Turn, ctx: PipelineContext) -> None:
    """Intents, category, entities, sentiment, emotion and language (CPU-bound: in a thread)."""
    understander = await ctx.nlu.get() if ctx.nlu is not None else None
    if understander is None:
        return
    understanding = await anyio.to_thread.run_sync(understander.understand, turn.content)
    turn.understanding = understanding
    turn.intent = understanding.intent.intent
    turn.confidence = round(understanding.intent.confidence, 4)
    turn.category = understanding.category.category
    turn.entities = entities_by_type(understanding)
    turn.sentiment = round(understanding.sentiment.score, 4)
    turn.emotion = understanding.emotion.label
    turn.language = understanding.language.code


def entities_by_type(understanding: Understanding) -> dict[str, Any]:
    """What a message's `entities` column holds: values by type, and every span."""
    by_type: dict[str, list[str]] = {}
    for entity in understanding.entities:
        values = by_type.setdefault(entity.type.value, [])
        if entity.value not in values:
            values.append(entity.value)
    return {"by_type": by_type, "items": [entity.to_dict() for entity in understanding.entities]}


async def diagnose(turn: Turn, ctx: PipelineContext) -> None:
    """Analyse pasted code, queries, logs and errors (CPU-bound: off the event loop)."""
    diagnosis = await anyio.to_thread.run_sync(diagnose_message, turn.text)
    turn.diagnosis = diagnosis
    if diagnosis.found_anything:
        turn.diagnostics = [diagnosis.summary()]


async def retrieve(turn: Turn, ctx: PipelineContext) -> None:
    """The tenant's best knowledge articles for the message, scoped to its API version."""
    if ctx.knowledge is None:
        return
    query = retrieval_query(turn)
    filters = SearchFilters(api_version=_api_version(turn))
    turn.retrieved = await ctx.knowledge.search(
        ctx.session, ctx.conversation.organization_id, query, k=RETRIEVED_ARTICLES, filters=filters
    )
    turn.sources = [
        {
            "article_id": found.hit.article_id,
            "title": found.hit.title,
            "score": found.hit.score,
            "section": found.hit.section,
            "origin": found.origin,
        }
        for found in turn.retrieved
    ]
    turn.category = policy.support_category(turn)


def retrieval_query(turn: Turn) -> str:
    """What to search for: the message, with a pasted debug log replaced by its error lines
    and the errors the catalog recognised (a log's thousands of event lines are noise)."""
    diagnosis = turn.diagnosis
    logs = [a for a in diagnosis.artifacts if a.kind is ArtifactKind.LOG] if diagnosis else []
    text = turn.text
    if diagnosis is None or not logs:
        return text[:RETRIEVAL_QUERY_CHARS]
    pieces, position = [], 0
    for log in logs:
        pieces.append(text[position : log.start])
        pieces.extend(line for line in log.text.splitlines() if _LOG_ERROR_LINE.search(line))
        position = log.end
    pieces.append(text[position:])
    pieces.extend(match.entry.title for match in diagnosis.errors)
    return "\n".join(piece for piece in pieces if piece.strip())[:RETRIEVAL_QUERY_CHARS]


async def decide(turn: Turn, ctx: PipelineContext) -> None:
    """Answer what the evidence supports; hand the rest to a person, saying why."""
    if turn.action is not None:
        return
    if ConversationStatus(ctx.conversation.status) is ConversationStatus.ESCALATED:
        _escalate(turn, "a person is already handling this conversation")
        if not policy.knowledge_answer_allowed(turn):
            turn.retrieved = []  # "ok thanks" needs no reading list while a person takes over
        return
    if turn.rating is not None:
        turn.action = Action.CONFIRM
        turn.decision_reason = f"the user rated the conversation {turn.rating} out of 5"
        return
    topic = turn.memory.topic if turn.memory is not None else None
    if await _ruled(turn, ctx, topic) or _handed_off(turn):
        return
    if turn.memory is not None and policy.spiralling(turn.memory.sentiments):
        _escalate(turn, "the conversation is not going well: each message is more upset")
        return
    if turn.confirmation is Confirmation.WORKED and not _new_problem(turn):
        turn.action = Action.CONFIRM
        turn.decision_reason = "the user confirmed the fix worked"
        return
    if policy.is_small_talk(turn):
        turn.action = Action.ANSWER
        turn.decision_reason = f"small talk: {turn.intent}"
        return
    if turn.confirmation is Confirmation.FAILED:
        _next_best_step(turn, topic)
        return
    if (topic is None or topic.asked is None) and await _answered_each_part(turn, ctx):
        return  # an answer to our question is one problem, however many clauses it has
    if policy.area_unknown(turn):
        _ask(turn, topic, "feature", "could not tell which feature this is about; asked")
        return
    if policy.object_missing(turn, topic):
        _ask(turn, topic, "object", "access is set per object; asked which object")
        return
    if (
        policy.too_vague(turn)
        or policy.still_missing_error(turn, topic)
        or policy.named_area_only(turn, topic)
    ):
        _ask(turn, topic, "error", "too little to go on; asked for the exact error")
        return
    if _answered(turn):
        return
    if policy.needs_clarification(turn) or policy.unsure_of_intent(turn, topic):
        _ask(turn, topic, "feature", "could not tell what this is about; asked which feature")
        return
    _escalate(turn, "no diagnosis or knowledge article covers this with enough confidence")


async def _ruled(turn: Turn, ctx: PipelineContext, topic: Topic | None) -> bool:
    """The tenant's rules: an escalation or an automatic reply settles the turn."""
    asked = topic.clarifications if topic is not None else 0
    ruled = await evaluate_tenant_rules(turn, ctx, clarification_count=asked)
    if ruled is not None and ruled.escalate:
        _escalate(turn, escalation_reason(turn, ruled))
        turn.escalated_by_rule = True
        return True
    if ruled is not None and ruled.auto_reply:
        turn.action, turn.reply, turn.model_used = Action.ANSWER, ruled.auto_reply, "rules"
        turn.decision_reason = "a rule of your organization answers this"
        return True
    return False


def _handed_off(turn: Turn) -> bool:
    handoff = policy.handoff_needed(turn)
    if handoff is not None:
        _escalate(turn, handoff.reason)
    return handoff is not None


def _new_problem(turn: Turn) -> bool:
    """ "Yes, but now I get ..." names an error the topic did not have: a new problem."""
    topic = turn.memory.topic if turn.memory is not None else None
    known = topic.slots.get("error") if topic is not None else None
    errors = turn.entities.get("by_type", {}).get("ERROR", []) if turn.entities else []
    return any(error != known for error in errors)


def _answered(
    turn: Turn, *, fresh_only: bool = False, min_confidence: float = MIN_ANSWER_CONFIDENCE
) -> bool:
    """Answer from the diagnosis or the knowledge base when the evidence supports it.
    `fresh_only` leaves out what was already offered on this topic."""
    decision = DialogueDecision.answer(lead=turn.lead, confirm=True)
    request = _reply_request(turn, decision, fresh_only=fresh_only)
    composed = compose_reply(request)
    if request.diagnosis is not None and request.diagnosis.primary is not None:
        turn.action, turn.composed = Action.ANSWER, composed
        turn.decision_reason = f"diagnosed: {request.diagnosis.primary.title}"
        return True
    if (
        composed.grounded
        and composed.confidence >= min_confidence
        and (fresh_only or policy.knowledge_answer_allowed(turn))
    ):
        turn.action, turn.composed = Action.ANSWER, composed
        turn.decision_reason = f"answered from {len(composed.citations)} article(s)"
        return True
    return False


def _next_best_step(turn: Turn, topic: Topic | None) -> None:
    """The fix did not work: the next thing to try, or a person after MAX_FAILED_FIXES."""
    failed = (topic.failed_fixes if topic is not None else 0) + 1
    if topic is not None:
        topic.failed_fixes = failed
    if failed >= policy.MAX_FAILED_FIXES:
        _escalate(turn, f"{failed} suggested fixes did not solve it")
        return
    turn.lead = phrases.NEXT_BEST_STEP
    if _answered(turn, fresh_only=True, min_confidence=NEXT_BEST_MIN_CONFIDENCE):
        turn.decision_reason = f"the first fix did not work; next: {turn.decision_reason}"
        return
    turn.lead = None
    _escalate(turn, "the suggested fix did not work and I have no other to offer")


async def _answered_each_part(turn: Turn, ctx: PipelineContext) -> bool:
    """A message with several problems gets one answer per problem, in order."""
    understander = await ctx.nlu.get() if ctx.nlu is not None else None
    parts = problem_parts(turn, understander.catalog if understander is not None else None)
    if not parts:
        return False

    async def study(part: Turn) -> None:
        await diagnose(part, ctx)
        await retrieve(part, ctx)

    turn.composed = await answer_each(
        turn,
        parts,
        study=study,
        compose=lambda part, decision: compose_reply(_reply_request(part, decision)),
        min_confidence=MIN_ANSWER_CONFIDENCE,
    )
    turn.action = Action.ANSWER
    names = ", ".join(part.intent for part in parts)
    turn.decision_reason = f"{len(parts)} problems in one message, answered in order: {names}"
    return True


def _ask(turn: Turn, topic: Topic | None, slot: str, reason: str) -> None:
    """Ask the one question for `slot`, unless asking has stopped helping."""
    if policy.clarification_exhausted(topic):
        _escalate(turn, "still unclear after several questions")
        return
    turn.action = Action.CLARIFY
    turn.asked = slot
    turn.decision_reason = reason


async def respond(turn: Turn, ctx: PipelineContext) -> None:
    """Compose the reply for the decided action, citing every source it used."""
    if turn.reply is not None:
        return
    if turn.action is Action.CONFIRM:
        turn.reply = confirmation_reply(turn)
        turn.model_used = "dialogue"
        turn.suggested_actions = ["rate_conversation"] if turn.rating is None else []
        return
    if turn.action is Action.ANSWER and turn.composed is None:
        turn.reply = small_talk_reply(turn.intent or "")
        turn.model_used = "small_talk"
        turn.suggested_actions = ["ask_question"]
        return
    if turn.action is Action.ANSWER and turn.composed is not None:
        _use(turn, turn.composed)
        turn.model_used = "diagnostics" if turn.diagnosis and turn.diagnosis.primary else "composer"
        turn.suggested_actions = ["confirm_fixed", "still_failing", "talk_to_person"]
        if ctx.llm is not None:
            await _ask_llm(turn, ctx, ctx.llm)
        return
    if turn.action is Action.CLARIFY:
        _use(turn, compose_reply(_reply_request(turn, _question(turn))))
        turn.model_used = "composer"
        turn.suggested_actions = ["add_details", "talk_to_person"]
        return
    if ConversationStatus(ctx.conversation.status) is not ConversationStatus.ESCALATED:
        turn.handoff = plan_for(turn, by_rule=turn.escalated_by_rule)
    decision = DialogueDecision.escalate(
        reason=turn.decision_reason, next_step=await next_step(turn, ctx)
    )
    _use(turn, compose_reply(_reply_request(turn, decision)))
    turn.model_used = "composer"
    turn.suggested_actions = ["add_details", "close_conversation"]


async def _ask_llm(turn: Turn, ctx: PipelineContext, llm: LlmRuntime) -> None:
    if turn.privacy is not None and not turn.privacy.llm_allowed:
        # HIPAA without a BAA: the grounded composer's answer stands.
        turn.llm = {"model_used": None, "skipped": "HIPAA profile without a declared BAA"}
        return
    await llm_answer(turn, ctx, llm)


def _question(turn: Turn) -> DialogueDecision:
    if turn.asked == "feature":
        return DialogueDecision.clarify(
            question=policy.CLARIFYING_QUESTION, options=policy.CLARIFYING_OPTIONS, lead=turn.lead
        )
    return DialogueDecision.clarify(slot=turn.asked or "error", lead=turn.lead)


def confirmation_reply(turn: Turn) -> str:
    """The reply to "it worked" (glad, and the rating question) or to the rating itself."""
    if turn.rating is not None:
        lines = [phrases.CSAT_THANKS.format(score=turn.rating)]
        if turn.rating <= LOW_RATING:
            lines.append(phrases.CSAT_LOW)
        return " ".join(lines)
    lines = [phrases.FIX_CONFIRMED]
    waiting = turn.memory.topics[:-1] if turn.memory is not None else []
    if waiting:
        lines.append(phrases.OPEN_TOPIC_REMINDER.format(topic=waiting[-1].label))
    lines.append(phrases.CSAT_QUESTION)
    return " ".join(lines)


def _escalate(turn: Turn, reason: str) -> None:
    turn.action = Action.ESCALATE
    turn.decision_reason = reason


def _use(turn: Turn, composed: ComposedReply) -> None:
    turn.composed = composed
    turn.reply = composed.text
    turn.citations = [{"article_id": aid, "title": title} for aid, title in composed.citations]


def _reply_request(
    turn: Turn, decision: DialogueDecision, *, fresh_only: bool = False
) -> ReplyRequest:
    """What the composer may use; `fresh_only` leaves out the cause and the articles already
    offered on the current topic (the user said they did not work)."""
    topic = turn.memory.topic if turn.memory is not None else None
    offered = set(topic.offered) if topic is not None and fresh_only else set()
    diagnosis = turn.diagnosis
    if diagnosis is not None and diagnosis.primary is not None and cause_key(turn) in offered:
        diagnosis = None
    sources = [found for found in turn.retrieved if found.hit.article_id not in offered]
    if fresh_only and turn.diagnosis is not None and turn.diagnosis.errors:
        # After a failed fix for a recognised error, only articles about that error: an
        # article about a neighbouring limit would be a wrong fix.
        errors = {match.entry.id for match in turn.diagnosis.errors}
        sources = [found for found in sources if errors & set(found.article.error_ids)]
    return ReplyRequest.build(
        turn.text,
        diagnosis=diagnosis,
        sources=[(found.article, found.hit) for found in sources],
        slots=_slots(turn),
        level=policy.technical_level(turn),
        # After "sorry that did not fix it", the strategy's own apology would be a second.
        strategy=EmotionalStrategy.PROFESSIONAL if fresh_only else policy.emotional_strategy(turn),
        decision=decision,
    )


def _slots(turn: Turn) -> dict[str, str]:
    """The conversation's slots, the current topic's, then this message's on top."""
    slots = turn.memory.all_slots() if turn.memory is not None else {}
    by_type: dict[str, list[str]] = turn.entities.get("by_type", {}) if turn.entities else {}
    return {**slots, **slot_values(by_type)}


def _api_version(turn: Turn) -> float | None:
    value = _slots(turn).get("api_version")
    try:
        return float(value.lstrip("vV")) if value else None
    except ValueError:
        return None


def _advance_dialogue(turn: Turn, ctx: PipelineContext) -> None:
    conversation = ctx.conversation
    sequence = conversation.message_count + 1
    moves = turn_moves(turn)
    turn.dialogue_moves = moves
    record_dialogue_moves(ctx.session, conversation, moves, sequence=sequence)
    state = moves[-1].to_state if moves else DialogueState(conversation.dialogue_state)
    remember_outcome(turn, state, sequence=sequence)
    if turn.memory is not None:
        conversation.dialogue = turn.memory.to_json()


async def _advance_lifecycle(turn: Turn, ctx: PipelineContext) -> None:
    """Reopen on a new message, hand over on an escalation, resolve on a confirmed fix."""
    conversation = ctx.conversation
    status = ConversationStatus(conversation.status)
    actor = ctx.tenant.principal.label
    rating_only = turn.action is Action.CONFIRM and turn.rating is not None
    if turn.rating is not None:
        conversation.csat_score = turn.rating
    if status in (ConversationStatus.RESOLVED, ConversationStatus.ABANDONED) and not rating_only:
        transition(
            ctx.session,
            conversation,
            ConversationStatus.ACTIVE,
            reason="customer wrote again",
            actor=actor,
        )
        status = ConversationStatus.ACTIVE
    if turn.action is Action.CONFIRM and not rating_only and status in OPEN_FOR_RESOLVING:
        transition(
            ctx.session,
            conversation,
            ConversationStatus.RESOLVED,
            reason=turn.decision_reason or "the user confirmed the fix",
            actor=actor,
        )
    escalating = turn.action is Action.ESCALATE and status is not ConversationStatus.ESCALATED
    await raise_notifications(turn, ctx, escalated=escalating)
    if escalating:
        transition(
            ctx.session,
            conversation,
            ConversationStatus.ESCALATED,
            reason=turn.decision_reason or "escalated",
            actor="pipeline",
        )
        escalation = open_for(turn, ctx)
        await ctx.session.flush()
        await enqueue_case_sync(
            ctx.session, conversation.organization_id, conversation.id, escalation.id
        )
        await enqueue(
            ctx.session,
            name=HANDOFF_JOB,
            payload={
                "conversation_id": conversation.id,
                "escalation_id": escalation.id,
                "reason": turn.decision_reason,
                "priority": escalation.priority,
                "queue": escalation.queue,
                "sla_due_at": escalation.sla_due_at.isoformat(),
                "rules": (turn.rules or {}).get("decision"),
            },
            organization_id=conversation.organization_id,
        )


async def record(turn: Turn, ctx: PipelineContext) -> None:
    """Store the user's message with its analysis and the reply; move the dialogue and the
    conversation on."""
    conversation = ctx.conversation
    now = utcnow()
    _advance_dialogue(turn, ctx)
    await _advance_lifecycle(turn, ctx)
    sequence = conversation.message_count
    turn.user_message = _message(ctx, sequence + 1, "user", turn.content, now)
    turn.user_message.intent = turn.intent
    turn.user_message.confidence = turn.confidence
    turn.user_message.entities = turn.entities or None
    turn.user_message.sentiment = turn.sentiment
    turn.user_message.emotion = turn.emotion
    turn.user_message.language = turn.language
    turn.user_message.analysis = {
        "action": turn.action.value if turn.action else None,
        "decision_reason": turn.decision_reason,
        "nlu": nlu_summary(turn.understanding) if turn.understanding else None,
        "diagnostics": turn.diagnostics,
        "sources": turn.sources,
        "citations": turn.citations,
        "llm": turn.llm,
        "rules": turn.rules,
        "reply_type": turn.composed.reply_type.value if turn.composed else None,
        "response_confidence": turn.composed.confidence if turn.composed else None,
        "dialogue": dialogue_summary(turn),
        "pii": turn.pii or None,
        "attacks": turn.attacks or None,
        "stage_timings_ms": dict(turn.timings_ms),
    }
    turn.reply_message = _message(ctx, sequence + 2, "assistant", turn.reply or "", now)
    turn.reply_message.model_used = turn.model_used or "none"
    conversation.message_count = sequence + 2
    conversation.last_activity_at = now
    conversation.updated_at = now
    ctx.session.add_all([turn.user_message, turn.reply_message])
    if turn.citations:
        await record_usage(
            ctx.session,
            conversation.organization_id,
            [citation["article_id"] for citation in turn.citations],
        )
    await ctx.session.flush()


def dialogue_summary(turn: Turn) -> dict[str, Any] | None:
    """The dialogue as a message's analysis keeps it: the moves, the topic, the slots."""
    memory = turn.memory
    if memory is None:
        return None
    topic = memory.topic
    return {
        "state": memory.state.value,
        "moves": [
            {"from": move.from_state.value, "to": move.to_state.value, "reason": move.reason}
            for move in turn.dialogue_moves
        ],
        "topic": topic.key if topic is not None else None,
        "shift": turn.shift.kind.value if turn.shift is not None else None,
        "slots": memory.all_slots(),
        "referenced_sequence": turn.referenced_sequence,
    }


def nlu_summary(understanding: Understanding) -> dict[str, Any]:
    """The understanding as stored in a message's analysis (entities have their own column)."""
    summary = understanding.to_dict()
    del summary["entities"]
    return summary


def _message(ctx: PipelineContext, sequence: int, role: str, content: str, now: object) -> Message:
    return Message(
        organization_id=ctx.conversation.organization_id,
        conversation_id=ctx.conversation.id,
        sequence=sequence,
        role=role,
        content=content,
        created_at=now,
    )


# The order a message flows through.
STAGES: list[tuple[str, Stage]] = [
    ("ingest", ingest),
    ("guard", guard),
    ("understand", understand),
    ("recall", recall),
    ("diagnose", diagnose),
    ("retrieve", retrieve),
    ("decide", decide),
    ("respond", respond),
    ("record", record),
]
