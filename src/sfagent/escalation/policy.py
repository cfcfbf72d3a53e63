"""How a hand-off is classified: its reason, its priority and its response-time target.
Pure functions; the pipeline supplies what the turn learned."""

from __future__ import annotations

import enum
from dataclasses import dataclass

# Response-time targets by priority, in minutes (a rule's `sla` action overrides them).
DEFAULT_SLA_MINUTES: dict[str, int] = {"urgent": 15, "high": 60, "normal": 240, "low": 1440}
PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
# NLU priority (0-1: the intent's weight, raised by negative sentiment and strong emotion)
# from which a hand-off is high priority; a plain request for a person weighs 0.7.
HIGH_NLU_PRIORITY = 0.8
NEGATIVE_SENTIMENT = -0.5


class ReasonCode(enum.StrEnum):
    USER_REQUEST = "user_request"
    SECURITY = "security"
    OUTAGE = "outage"
    DATA_LOSS = "data_loss"
    BILLING = "billing"
    LEGAL = "legal"
    ACCESS_RECOVERY = "access_recovery"
    DATA_EXPOSURE = "data_exposure"
    PLATFORM_ERROR = "platform_error"
    COMPLAINT = "complaint"
    RULE = "rule"
    FAILED_CLARIFICATIONS = "failed_clarifications"
    FAILED_FIXES = "failed_fixes"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    LOW_CONFIDENCE = "low_confidence"


# Words of the decide stage's reason -> the code people filter on. First match wins.
_REASON_WORDS: tuple[tuple[str, ReasonCode], ...] = (
    ("security incident", ReasonCode.SECURITY),
    ("data exposure", ReasonCode.DATA_EXPOSURE),
    ("outage", ReasonCode.OUTAGE),
    ("data loss", ReasonCode.DATA_LOSS),
    ("legal", ReasonCode.LEGAL),
    ("only administrator", ReasonCode.ACCESS_RECOVERY),
    ("internal salesforce error", ReasonCode.PLATFORM_ERROR),
    ("refund", ReasonCode.BILLING),
    ("billing", ReasonCode.BILLING),
    ("complaint", ReasonCode.COMPLAINT),
    ("asked for a person", ReasonCode.USER_REQUEST),
    ("your organization's rule", ReasonCode.RULE),
    ("still unclear", ReasonCode.FAILED_CLARIFICATIONS),
    ("did not solve", ReasonCode.FAILED_FIXES),
    ("did not work", ReasonCode.FAILED_FIXES),
    ("not going well", ReasonCode.NEGATIVE_SENTIMENT),
)
_URGENT = frozenset(
    {ReasonCode.SECURITY, ReasonCode.DATA_EXPOSURE, ReasonCode.OUTAGE, ReasonCode.DATA_LOSS}
)
_HIGH = frozenset(
    {
        ReasonCode.BILLING,
        ReasonCode.LEGAL,
        ReasonCode.COMPLAINT,
        ReasonCode.ACCESS_RECOVERY,
        ReasonCode.PLATFORM_ERROR,
    }
)


@dataclass(frozen=True, slots=True)
class HandoffPlan:
    """What the hand-off will be: the customer is told its target before the row exists."""

    reason: str
    reason_code: ReasonCode
    priority: str
    queue: str
    sla_seconds: int


def reason_code(reason: str, *, by_rule: bool) -> ReasonCode:
    if by_rule:
        return ReasonCode.RULE
    lowered = reason.lower()
    for words, code in _REASON_WORDS:
        if words in lowered:
            return code
    return ReasonCode.LOW_CONFIDENCE


def priority_for(code: ReasonCode, *, nlu_priority: float | None, sentiment: float | None) -> str:
    """Urgent for incidents; high for money, legal, complaints, a strongly negative or
    high-priority message; normal otherwise."""
    if code in _URGENT:
        return "urgent"
    if code in _HIGH:
        return "high"
    if (nlu_priority or 0.0) >= HIGH_NLU_PRIORITY or (sentiment or 0.0) <= NEGATIVE_SENTIMENT:
        return "high"
    return "normal"


def plan_handoff(
    reason: str,
    *,
    by_rule: bool,
    nlu_priority: float | None = None,
    sentiment: float | None = None,
    rule_priority: str | None = None,
    rule_queue: str | None = None,
    rule_sla_seconds: int | None = None,
    sla_minutes: dict[str, int] | None = None,
) -> HandoffPlan:
    """The hand-off's classification; a rule's priority counts when it is higher, its queue
    and SLA replace the defaults."""
    code = reason_code(reason, by_rule=by_rule)
    priority = priority_for(code, nlu_priority=nlu_priority, sentiment=sentiment)
    if rule_priority is not None and PRIORITY_RANK[rule_priority] > PRIORITY_RANK[priority]:
        priority = rule_priority
    minutes = (sla_minutes or DEFAULT_SLA_MINUTES)[priority]
    return HandoffPlan(
        reason=reason,
        reason_code=code,
        priority=priority,
        queue=rule_queue or "general",
        sla_seconds=rule_sla_seconds or minutes * 60,
    )


def describe_wait(seconds: int) -> str:
    """ "15 minutes", "1 hour", "4 hours", "1 day" for the customer."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
