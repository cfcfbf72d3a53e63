"""Rule documents for the tests: the documented example and small builders."""

from __future__ import annotations

import copy
from typing import Any

from sfagent.rules import Rule, RuleSet, parse_rule

EXAMPLE: dict[str, Any] = {
    "id": "RULE-ESC-001",
    "name": "High Priority Escalation",
    "priority": 10,
    "enabled": True,
    "stop_processing": False,
    "version": 1,
    "conditions": {
        "operator": "AND",
        "rules": [
            {"field": "sentiment_score", "operator": "<", "value": -0.5},
            {"field": "customer_tier", "operator": "==", "value": "enterprise"},
            {"field": "issue_type", "operator": "in", "value": ["billing", "security"]},
        ],
    },
    "actions": [
        {"type": "escalate", "priority": "high", "queue": "enterprise_support"},
        {"type": "notify", "recipient": "support_manager", "method": "email"},
        {"type": "sla", "target": "15_minutes"},
    ],
}

ANGRY_ENTERPRISE_BILLING = {
    "sentiment_score": -0.8,
    "customer_tier": "enterprise",
    "issue_type": "billing",
}


def example() -> dict[str, Any]:
    """A fresh copy of the example, safe to edit."""
    return copy.deepcopy(EXAMPLE)


def leaf(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def group(operator: str, *rules: Any) -> dict[str, Any]:
    return {"operator": operator, "rules": list(rules)}


def rule_document(
    rule_id: str = "R1",
    conditions: dict[str, Any] | None = None,
    actions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A valid rule document; by default it always fires on `{"intent": ...}`."""
    return {
        "id": rule_id,
        "name": f"rule {rule_id}",
        "conditions": conditions or leaf("intent", "exists", True),
        "actions": actions if actions is not None else [{"type": "tag", "tags": [rule_id]}],
        **fields,
    }


def rule_with(condition: dict[str, Any]) -> Rule:
    return parse_rule(rule_document(conditions=condition))


def fires(condition: dict[str, Any], facts: dict[str, Any]) -> bool:
    """Whether a one-rule set with `condition` fires on `facts`, checked with and without trace."""
    rules = RuleSet([rule_with(condition)])
    quick = rules.evaluate(facts).results[0].fired
    traced = rules.evaluate(facts, trace=True).results[0].fired
    assert quick == traced
    return quick
