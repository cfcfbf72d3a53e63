"""Merging fired actions into one decision: the stricter wins, queues and replies go first."""

from __future__ import annotations

from typing import Any

from sfagent.rules import Action, Decision, NotifyAction, RuleSet, merge_actions, parse_rule
from tests.rules.documents import ANGRY_ENTERPRISE_BILLING, example, rule_document


def actions(*documents: dict[str, Any]) -> list[Action]:
    return list(parse_rule(rule_document(actions=list(documents))).actions)


def test_no_actions_decide_nothing() -> None:
    assert merge_actions([]) == Decision()


def test_highest_escalation_wins_with_its_queue_and_reason() -> None:
    decision = merge_actions(
        actions(
            {"type": "escalate", "priority": "normal", "queue": "tier1"},
            {"type": "escalate", "priority": "urgent", "queue": "security", "reason": "breach"},
            {"type": "escalate", "priority": "high", "queue": "tier2"},
            {"type": "escalate", "priority": "urgent", "queue": "later"},
        )
    )
    assert decision.escalate is True
    assert decision.escalation_queue == "security"
    assert decision.escalation_reason == "breach"
    assert decision.priority == "urgent"


def test_priority_is_the_highest_of_set_priority_and_escalate() -> None:
    decision = merge_actions(
        actions(
            {"type": "set_priority", "priority": "low"},
            {"type": "escalate", "priority": "normal", "queue": "q"},
            {"type": "set_priority", "priority": "high"},
        )
    )
    assert decision.priority == "high"
    assert merge_actions(actions({"type": "set_priority", "priority": "low"})).escalate is False


def test_shortest_sla_wins() -> None:
    decision = merge_actions(
        actions(
            {"type": "sla", "target": "2_hours"},
            {"type": "sla", "target": "90_minutes"},
            {"type": "sla", "target": "1_days"},
        )
    )
    assert (decision.sla_target, decision.sla_seconds) == ("90_minutes", 5400)


def test_tags_are_deduplicated_in_order() -> None:
    decision = merge_actions(
        actions(
            {"type": "tag", "tags": ["vip", "billing"]}, {"type": "tag", "tags": ["new", "vip"]}
        )
    )
    assert decision.tags == ("vip", "billing", "new")


def test_notifications_are_all_kept_once_each() -> None:
    manager = {"type": "notify", "recipient": "support_manager", "method": "email"}
    slack = {"type": "notify", "recipient": "#support", "method": "slack", "template": "alert"}
    decision = merge_actions(actions(manager, slack, manager))
    assert decision.notifications == (
        NotifyAction(type="notify", recipient="support_manager", method="email"),
        NotifyAction(type="notify", recipient="#support", method="slack", template="alert"),
    )


def test_first_route_and_first_auto_reply_win() -> None:
    decision = merge_actions(
        actions(
            {"type": "route", "queue": "billing"},
            {"type": "auto_reply", "text": "We are on it."},
            {"type": "route", "queue": "general"},
            {"type": "auto_reply", "text": "Hello!"},
        )
    )
    assert decision.route_queue == "billing"
    assert decision.auto_reply == "We are on it."
    assert decision.escalate is False


def test_evaluation_decision_merges_in_rule_order() -> None:
    reply = rule_document(
        "reply",
        actions=[
            {"type": "auto_reply", "text": "A human will follow up."},
            {"type": "sla", "target": "4_hours"},
            {"type": "tag", "tags": ["escalated"]},
        ],
        priority=5,
    )
    facts = {**ANGRY_ENTERPRISE_BILLING, "intent": "billing_dispute"}
    decision = RuleSet.from_documents([reply, example()]).evaluate(facts).decision()
    assert decision.to_dict() == {
        "escalate": True,
        "escalation_queue": "enterprise_support",
        "escalation_reason": None,
        "priority": "high",
        "sla_target": "15_minutes",
        "sla_seconds": 900,
        "tags": ["escalated"],
        "notifications": [{"type": "notify", "recipient": "support_manager", "method": "email"}],
        "route_queue": None,
        "auto_reply": "A human will follow up.",
    }
