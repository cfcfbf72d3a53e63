"""The reply for a message whose cause the diagnostics engine could name.

Deterministic and grounded: every sentence comes from the error catalog, a rule finding or
the debug log, so the reply never states a cause the engines did not establish.
"""

from __future__ import annotations

from sfagent.diagnostics.diagnose import Cause, Diagnosis

_CODE_FENCE = "```"


def compose_diagnosis_reply(diagnosis: Diagnosis) -> str | None:
    """Markdown reply naming the primary cause, where it is, why, and how to fix it."""
    primary = diagnosis.primary
    if primary is None:
        return None
    parts = [_describe(primary)]
    others = diagnosis.causes[1:]
    if others:
        parts.append("I also noticed:\n" + "\n".join(_bullet(cause) for cause in others))
    risk = _governor_summary(diagnosis)
    if risk:
        parts.append(f"**Governor-limit exposure:** {risk}")
    parts.append(
        "Did this fix it? If it did not, reply with the full error message and, if you can, "
        "the debug log of the failing transaction, or ask for a person."
    )
    return "\n\n".join(parts)


def _describe(cause: Cause) -> str:
    lines = [f"**{cause.title}**"]
    if cause.where:
        lines.append(f"**Where:** {cause.where}")
    lines.append(f"**Why it happens:** {cause.explanation}")
    if cause.limit:
        lines.append(f"**Limit:** {cause.limit}")
    text = "\n\n".join(lines)
    if cause.fix:
        steps = "\n".join(f"{number}. {step}" for number, step in enumerate(cause.fix, start=1))
        text += f"\n\n**How to fix it:**\n{steps}"
    if cause.example:
        text += (
            f"\n\nYour code, rewritten:\n{_CODE_FENCE}apex\n{cause.example.rstrip()}\n{_CODE_FENCE}"
        )
    if cause.doc_url:
        text += f"\n\nReference: {cause.doc_url}"
    return text


def _bullet(cause: Cause) -> str:
    where = f" ({cause.where})" if cause.where else ""
    return f"- {cause.title}{where}"


def _governor_summary(diagnosis: Diagnosis) -> str | None:
    for analysis in diagnosis.apex:
        risk = analysis.governor_risk
        if risk is not None and any(unit.risk in {"high", "critical"} for unit in risk.units):
            return risk.summary
    return None
