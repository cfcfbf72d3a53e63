"""The tenant's business rules in the decide stage: evaluated on every turn's facts.

A fired `escalate` hands the conversation to a person with the rule's reason; an
`auto_reply` is sent as the answer; priority, SLA, queue, tags and notifications travel with
the turn's analysis and the handoff job, for the people and systems that act on them.
"""

from __future__ import annotations

from typing import Any

from sfagent.admin_rules.facts import build_facts
from sfagent.admin_rules.hours import open_now
from sfagent.admin_rules.service import load_rules
from sfagent.db.base import utcnow
from sfagent.pipeline.turn import PipelineContext, Turn
from sfagent.rules import Decision, Evaluation


async def evaluate_tenant_rules(
    turn: Turn, ctx: PipelineContext, *, clarification_count: int
) -> Decision | None:
    """Run the tenant's enabled rules; None when it has none. Records what fired on the turn."""
    stored = await load_rules(ctx.session, ctx.conversation.organization_id)
    if not stored.rule_set.rules:
        return None
    understander = await ctx.nlu.get() if ctx.nlu is not None else None
    facts = build_facts(
        turn.understanding,
        catalog=understander.catalog if understander is not None else None,
        customer_tier=ctx.tenant.tier,
        channel=turn.channel,
        message_count=ctx.conversation.message_count + 1,
        clarification_count=clarification_count,
        business_hours=await open_now(ctx.session, ctx.conversation.organization_id, utcnow()),
        state=ctx.conversation.status,
    )
    evaluation = stored.rule_set.evaluate(facts)
    decision = evaluation.decision()
    turn.rules = _summary(evaluation, decision, stored.invalid)
    turn.rule_decision = decision
    return decision


def escalation_reason(turn: Turn, decision: Decision) -> str:
    """Why the rules hand off: the rule's own reason, else the names of the rules that fired."""
    if decision.escalation_reason:
        return decision.escalation_reason
    fired = (turn.rules or {}).get("fired", [])
    names = ", ".join(f"{rule['name']} ({rule['id']})" for rule in fired)
    return f"your organization's rule {names} asks for a person"


def _summary(
    evaluation: Evaluation, decision: Decision, invalid: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "fired": [{"id": result.rule_id, "name": result.name} for result in evaluation.fired],
        "decision": decision.to_dict(),
        "invalid_rules": [entry["rule_id"] for entry in invalid],
    }
