"""Classifying a hand-off (reason, priority, queue, SLA) and summarising it for a person."""

from __future__ import annotations

import pytest

from sfagent.escalation.policy import ReasonCode, describe_wait, plan_handoff
from sfagent.escalation.summary import build_summary


@pytest.mark.parametrize(
    ("reason", "code", "priority", "minutes"),
    [
        (
            "a possible security incident needs a person straight away",
            ReasonCode.SECURITY,
            "urgent",
            15,
        ),
        ("a production outage needs a person straight away", ReasonCode.OUTAGE, "urgent", 15),
        (
            "refunds and billing disputes are decided by our billing team",
            ReasonCode.BILLING,
            "high",
            60,
        ),
        ("you asked for a person", ReasonCode.USER_REQUEST, "normal", 240),
        ("still unclear after several questions", ReasonCode.FAILED_CLARIFICATIONS, "normal", 240),
        ("2 suggested fixes did not solve it", ReasonCode.FAILED_FIXES, "normal", 240),
        ("no diagnosis or knowledge article covers this", ReasonCode.LOW_CONFIDENCE, "normal", 240),
    ],
)
def test_reasons_map_to_codes_priorities_and_targets(
    reason: str, code: ReasonCode, priority: str, minutes: int
) -> None:
    plan = plan_handoff(reason, by_rule=False)
    assert (plan.reason_code, plan.priority, plan.sla_seconds) == (code, priority, minutes * 60)
    assert plan.queue == "general"


def test_an_upset_customer_raises_the_priority() -> None:
    assert plan_handoff("you asked for a person", by_rule=False, sentiment=-0.8).priority == "high"
    assert plan_handoff("you asked for a person", by_rule=False, nlu_priority=0.9).priority == (
        "high"
    )


def test_a_rule_sets_queue_and_sla_and_may_only_raise_the_priority() -> None:
    plan = plan_handoff(
        "VIP", by_rule=True, rule_priority="urgent", rule_queue="enterprise", rule_sla_seconds=600
    )
    assert (plan.reason_code, plan.priority, plan.queue, plan.sla_seconds) == (
        ReasonCode.RULE,
        "urgent",
        "enterprise",
        600,
    )
    lowered = plan_handoff("a production outage", by_rule=False, rule_priority="low")
    assert lowered.priority == "urgent"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (900, "15 minutes"),
        (3600, "1 hour"),
        (14400, "4 hours"),
        (86400, "1 day"),
        (90, "2 minutes"),
    ],
)
def test_waits_in_words(seconds: int, words: str) -> None:
    assert describe_wait(seconds) == words


def test_the_summary_says_what_was_tried_and_how_the_customer_feels() -> None:
    summary = build_summary(
        reason="2 suggested fixes did not solve it",
        topic_texts=["Apex CPU time limit exceeded on mass update", "no, still failing"],
        offered=["cause:Apex CPU time limit exceeded", "apex-cpu-time-limit-exceeded"],
        failed_fixes=2,
        clarifications=1,
        diagnosis="Apex CPU time limit exceeded",
        errors=["Apex CPU time limit exceeded", "Apex CPU time limit exceeded"],
        sentiments=[0.1, -0.3, -0.6],
        slots={"object": "Opportunity"},
    )
    assert summary.problem.startswith("Apex CPU time limit exceeded on mass update / no,")
    assert summary.tried == [
        "diagnosed Apex CPU time limit exceeded",
        "article apex-cpu-time-limit-exceeded",
        "2 suggested fix(es) did not work",
        "asked 1 clarifying question(s)",
    ]
    assert summary.errors == ["Apex CPU time limit exceeded"]
    assert summary.sentiment_trend == "declining"
    text = summary.text()
    assert "Known: object=Opportunity" in text and "Sentiment: declining (last -0.60)" in text


def test_a_long_problem_is_cut() -> None:
    summary = build_summary(reason="x", topic_texts=["word " * 500])
    assert len(summary.problem) == 600 and summary.problem.endswith("…")
