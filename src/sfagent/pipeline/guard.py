"""The guard stage: what later stages read, and what is stored, is the protected text.

Personal data and secrets are replaced according to the tenant's policy (redacted, or
tokenized with the original kept encrypted for staff allowed to see it). Attack patterns
(SQL, script, command and prompt injection) are recorded as security events; prompt
injection is removed from what an LLM will be shown, while the customer's real question
stays for the rule-based stages.
"""

from __future__ import annotations

from collections import Counter

from sfagent.observability.metrics import PII_REPLACED, SECURITY_EVENTS
from sfagent.pipeline.turn import PipelineContext, Turn
from sfagent.security.abuse import AttackFinding, AttackKind, neutralise_prompt_injection, scan
from sfagent.security.models import SecurityEvent
from sfagent.security.pii import PiiAction
from sfagent.security.pii_service import load_privacy, protect_text

EXCERPT_CHARS = 120


async def guard(turn: Turn, ctx: PipelineContext) -> None:
    privacy = await load_privacy(ctx.session, ctx.conversation.organization_id)
    turn.privacy = privacy
    protected = await protect_text(
        ctx.session, ctx.conversation.organization_id, turn.content, privacy
    )
    turn.content = protected.text
    replaced = Counter(
        (finding.type.value, finding.action.value)
        for finding in protected.findings
        if finding.action is not PiiAction.ALLOW
    )
    for (pii_type, action), count in replaced.items():
        PII_REPLACED.labels(pii_type, action).inc(count)
    turn.pii = [
        {"type": pii_type, "action": action, "count": count}
        for (pii_type, action), count in sorted(replaced.items())
    ]
    attacks = scan(turn.content)
    if attacks:
        _record_attacks(turn, ctx, attacks)
    if any(attack.kind is AttackKind.PROMPT_INJECTION for attack in attacks):
        turn.llm_text = neutralise_prompt_injection(turn.content, attacks)


def _record_attacks(turn: Turn, ctx: PipelineContext, attacks: list[AttackFinding]) -> None:
    conversation = ctx.conversation
    turn.attacks = [{"kind": attack.kind.value, "rule": attack.rule} for attack in attacks]
    for attack in attacks:
        SECURITY_EVENTS.labels(attack.kind.value).inc()
        ctx.session.add(
            SecurityEvent(
                organization_id=conversation.organization_id,
                conversation_id=conversation.id,
                message_sequence=conversation.message_count + 1,
                kind=attack.kind.value,
                rule=attack.rule,
                excerpt=attack.excerpt[:EXCERPT_CHARS],
                actor=ctx.tenant.principal.label,
            )
        )
