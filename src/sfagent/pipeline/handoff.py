"""A turn's hand-off to people: how it is classified (reason, priority, queue, SLA), what
the customer is told about what happens next and when, and the escalation record with the
summary the person reads first."""

from __future__ import annotations

from sfagent.admin_rules.hours import open_now
from sfagent.conversations.lifecycle import ConversationStatus
from sfagent.db.base import utcnow
from sfagent.escalation.models import Escalation
from sfagent.escalation.policy import HandoffPlan, describe_wait, plan_handoff
from sfagent.escalation.service import open_escalation
from sfagent.escalation.summary import HandoffSummary, build_summary
from sfagent.pipeline.turn import PipelineContext, Turn


def plan_for(turn: Turn, *, by_rule: bool) -> HandoffPlan:
    decision = turn.rule_decision
    understanding = turn.understanding
    return plan_handoff(
        turn.decision_reason or "escalated",
        by_rule=by_rule,
        nlu_priority=understanding.priority if understanding is not None else None,
        sentiment=turn.sentiment,
        rule_priority=decision.priority if decision is not None else None,
        rule_queue=(decision.escalation_queue or decision.route_queue) if decision else None,
        rule_sla_seconds=decision.sla_seconds if decision is not None else None,
    )


async def next_step(turn: Turn, ctx: PipelineContext) -> str:
    """What happens now and when, honestly: the target for this priority, and a warning
    when the tenant is outside its business hours."""
    reference = ctx.conversation.id.split("-")[0]
    if ConversationStatus(ctx.conversation.status) is ConversationStatus.ESCALATED:
        return (
            f"Your message is added to your request (reference {reference}); the support "
            "engineer handling it will see it and reply here."
        )
    text = f"A support engineer will read this conversation and reply here (reference {reference})."
    plan = turn.handoff
    if plan is None:
        return text
    article = "an" if plan.priority[:1] in "aeiou" else "a"
    text += (
        f" Our target for {article} {plan.priority}-priority request is a reply within "
        f"{describe_wait(plan.sla_seconds)}."
    )
    if await open_now(ctx.session, ctx.conversation.organization_id, utcnow()) is False:
        text += " We are outside business hours right now, so it may take longer."
    return text


def summary_for(turn: Turn) -> HandoffSummary:
    memory = turn.memory
    topic = memory.topic if memory is not None else None
    diagnosis = turn.diagnosis
    primary = diagnosis.primary if diagnosis is not None else None
    errors = [match.entry.title for match in diagnosis.errors] if diagnosis is not None else []
    return build_summary(
        reason=turn.decision_reason or "escalated",
        topic_texts=topic.texts if topic is not None else [turn.content],
        offered=topic.offered if topic is not None else [],
        failed_fixes=topic.failed_fixes if topic is not None else 0,
        clarifications=topic.clarifications if topic is not None else 0,
        diagnosis=primary.title if primary is not None else None,
        errors=errors,
        sentiments=memory.sentiments if memory is not None else [],
        slots=memory.all_slots() if memory is not None else {},
    )


def open_for(turn: Turn, ctx: PipelineContext) -> Escalation:
    """The escalation record, in the turn's transaction."""
    plan = turn.handoff or plan_for(turn, by_rule=False)
    return open_escalation(
        ctx.session,
        organization_id=ctx.conversation.organization_id,
        conversation_id=ctx.conversation.id,
        plan=plan,
        summary=summary_for(turn),
    )
