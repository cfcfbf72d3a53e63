"""The notifications a turn raises: its escalation, to the channels subscribed to them, and
what the tenant's rules asked for (notify actions), each queued in the turn's transaction."""

from __future__ import annotations

from sfagent.db.base import utcnow
from sfagent.notifications.messages import NotificationEvent
from sfagent.notifications.service import notify_escalation, notify_recipients
from sfagent.pipeline.turn import PipelineContext, Turn


async def raise_notifications(turn: Turn, ctx: PipelineContext, *, escalated: bool) -> None:
    """Queue the turn's notifications; rules' recipients with no channel are recorded."""
    decision = turn.rule_decision
    fired = [rule["id"] for rule in (turn.rules or {}).get("fired", [])]
    organization_id = ctx.conversation.organization_id
    if escalated:
        await notify_escalation(ctx.session, organization_id, _event(turn, ctx, "escalation"))
    if decision is not None and decision.notifications:
        event = _event(turn, ctx, "rule", rules=fired)
        missing = await notify_recipients(
            ctx.session, organization_id, decision.notifications, event
        )
        if missing and turn.rules is not None:
            turn.rules["unmatched_notifications"] = missing


def _event(
    turn: Turn, ctx: PipelineContext, kind: str, *, rules: list[str] | None = None
) -> NotificationEvent:
    decision = turn.rule_decision
    plan = turn.handoff
    reference = ctx.conversation.id.split("-")[0]
    if kind == "escalation":
        title = f"Conversation {reference} needs a person"
    else:
        title = f"Rule {', '.join(rules or [])} fired on conversation {reference}"
    priority: str | None = None
    queue: str | None = None
    sla: int | None = None
    if plan is not None:
        priority, queue, sla = plan.priority, plan.queue, plan.sla_seconds
    elif decision is not None:
        priority, sla = decision.priority, decision.sla_seconds
        queue = decision.escalation_queue or decision.route_queue
    return NotificationEvent(
        kind=kind,
        organization_id=ctx.conversation.organization_id,
        title=title,
        reason=turn.decision_reason,
        conversation_id=ctx.conversation.id,
        priority=priority,
        queue=queue,
        sla_seconds=sla,
        rules=rules or [],
        occurred_at=utcnow().isoformat(),
    )
