"""What the person who takes over reads first: the problem, what was tried, what the
diagnostics found, how the customer feels, and what is known (slots)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PROBLEM_CHARS = 600
TREND_STEP = 0.2


@dataclass(frozen=True, slots=True)
class HandoffSummary:
    reason: str
    problem: str
    tried: list[str] = field(default_factory=list)
    diagnosis: str | None = None
    errors: list[str] = field(default_factory=list)
    sentiment: list[float] = field(default_factory=list)
    sentiment_trend: str = "steady"
    slots: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        """Plain text for an email, a Case description, a console card."""
        lines = [f"Why: {self.reason}", f"Problem: {self.problem}"]
        if self.diagnosis:
            lines.append(f"Diagnosis: {self.diagnosis}")
        if self.errors:
            lines.append(f"Errors: {', '.join(self.errors)}")
        if self.tried:
            lines.append("Tried: " + "; ".join(self.tried))
        if self.sentiment:
            lines.append(f"Sentiment: {self.sentiment_trend} (last {self.sentiment[-1]:+.2f})")
        if self.slots:
            lines.append("Known: " + ", ".join(f"{k}={v}" for k, v in sorted(self.slots.items())))
        return "\n".join(lines)


def build_summary(
    *,
    reason: str,
    topic_texts: Sequence[str],
    offered: Sequence[str] = (),
    failed_fixes: int = 0,
    clarifications: int = 0,
    diagnosis: str | None = None,
    errors: Sequence[str] = (),
    sentiments: Sequence[float] = (),
    slots: dict[str, str] | None = None,
) -> HandoffSummary:
    problem = " / ".join(text.strip() for text in topic_texts if text.strip())
    if len(problem) > PROBLEM_CHARS:
        problem = problem[: PROBLEM_CHARS - 1] + "…"
    return HandoffSummary(
        reason=reason,
        problem=problem or "(no details given)",
        tried=_tried(offered, failed_fixes, clarifications),
        diagnosis=diagnosis,
        errors=list(dict.fromkeys(errors)),
        sentiment=[round(value, 2) for value in sentiments],
        sentiment_trend=_trend(sentiments),
        slots=dict(slots or {}),
    )


def _tried(offered: Sequence[str], failed_fixes: int, clarifications: int) -> list[str]:
    tried = []
    for item in offered:
        kind, _, name = item.partition(":")
        tried.append(f"diagnosed {name}" if kind == "cause" and name else f"article {item}")
    if failed_fixes:
        tried.append(f"{failed_fixes} suggested fix(es) did not work")
    if clarifications:
        tried.append(f"asked {clarifications} clarifying question(s)")
    return tried


def _trend(sentiments: Sequence[float]) -> str:
    if len(sentiments) < 2:
        return "steady"
    change = sentiments[-1] - sentiments[0]
    if change <= -TREND_STEP:
        return "declining"
    if change >= TREND_STEP:
        return "improving"
    return "steady"
