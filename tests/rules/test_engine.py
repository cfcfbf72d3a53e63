"""Running rule sets: which rules fire, in what order, and the dry-run trace."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from sfagent.rules import EscalateAction, RuleSet, parse_rule
from tests.rules.documents import (
    ANGRY_ENTERPRISE_BILLING,
    example,
    fires,
    group,
    leaf,
    rule_document,
)


def fired_ids(rules: RuleSet, facts: dict[str, Any]) -> list[str]:
    return [result.rule_id for result in rules.evaluate(facts).fired]


def test_example_fires_for_an_unhappy_enterprise_billing_customer() -> None:
    evaluation = RuleSet.from_documents([example()]).evaluate(ANGRY_ENTERPRISE_BILLING)
    assert [result.rule_id for result in evaluation.fired] == ["RULE-ESC-001"]
    assert [action.type for action in evaluation.actions] == ["escalate", "notify", "sla"]
    assert evaluation.actions[0] == EscalateAction(
        type="escalate", priority="high", queue="enterprise_support"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"sentiment_score": -0.5},
        {"sentiment_score": 0.3},
        {"customer_tier": "pro"},
        {"issue_type": "login"},
        {"issue_type": None},
    ],
)
def test_example_does_not_fire_when_one_condition_fails(change: dict[str, Any]) -> None:
    facts = {**ANGRY_ENTERPRISE_BILLING, **change}
    evaluation = RuleSet.from_documents([example()]).evaluate(facts)
    assert evaluation.fired == ()
    assert evaluation.actions == ()
    assert evaluation.results[0].outcome == "not_fired"


def test_example_does_not_fire_without_sentiment() -> None:
    facts = {
        key: value for key, value in ANGRY_ENTERPRISE_BILLING.items() if key != "sentiment_score"
    }
    assert RuleSet.from_documents([example()]).evaluate(facts).fired == ()


NESTED = group(
    "AND",
    group(
        "OR",
        leaf("customer_tier", "==", "enterprise"),
        group("AND", leaf("customer_tier", "==", "pro"), leaf("message_count", ">=", 3)),
    ),
    group("NOT", group("OR", leaf("tags", "contains", "spam"), leaf("intent", "==", "greeting"))),
)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"customer_tier": "enterprise"}, True),
        ({"customer_tier": "pro", "message_count": 3}, True),
        ({"customer_tier": "pro", "message_count": 2}, False),
        ({"customer_tier": "free", "message_count": 9}, False),
        ({"customer_tier": "enterprise", "tags": ["spam"]}, False),
        ({"customer_tier": "enterprise", "intent": "greeting"}, False),
        ({"customer_tier": "pro", "message_count": 5, "intent": "refund"}, True),
    ],
)
def test_nested_groups_three_levels_deep(facts: dict[str, Any], expected: bool) -> None:
    assert fires(NESTED, facts) is expected


def test_rules_run_highest_priority_first_and_ties_by_id() -> None:
    rules = RuleSet.from_documents(
        [
            rule_document("b-low", priority=1),
            rule_document("z-high", priority=50),
            rule_document("a-low", priority=1),
            rule_document("default"),
            rule_document("negative", priority=-5),
        ]
    )
    expected = ["z-high", "a-low", "b-low", "default", "negative"]
    assert [rule.id for rule in rules.rules] == expected
    assert fired_ids(rules, {"intent": "x"}) == expected
    tags = rules.evaluate({"intent": "x"}).decision().tags
    assert tags == tuple(expected)


def test_stop_processing_ends_the_run_after_a_fired_rule() -> None:
    rules = RuleSet.from_documents(
        [
            rule_document("first", priority=30),
            rule_document("stopper", priority=20, stop_processing=True),
            rule_document("later", priority=10),
        ]
    )
    evaluation = rules.evaluate({"intent": "x"})
    assert [result.outcome for result in evaluation.results] == ["fired", "fired", "not_reached"]
    assert [action.type for action in evaluation.actions] == ["tag", "tag"]


def test_stop_processing_on_a_rule_that_does_not_fire_changes_nothing() -> None:
    stopper = rule_document(
        "stopper", leaf("intent", "==", "never"), priority=20, stop_processing=True
    )
    rules = RuleSet.from_documents([stopper, rule_document("later", priority=10)])
    assert fired_ids(rules, {"intent": "x"}) == ["later"]


def test_disabled_rules_are_skipped() -> None:
    rules = RuleSet.from_documents(
        [rule_document("off", priority=9, enabled=False, stop_processing=True), rule_document("on")]
    )
    evaluation = rules.evaluate({"intent": "x"}, trace=True)
    assert [(r.rule_id, r.outcome) for r in evaluation.results] == [
        ("off", "disabled"),
        ("on", "fired"),
    ]
    assert evaluation.results[0].trace is None


def test_dry_run_trace_shows_why_a_rule_did_not_fire() -> None:
    facts = {"sentiment_score": -0.9, "customer_tier": "pro"}
    result = RuleSet.from_documents([example()]).evaluate(facts, trace=True).results[0]
    assert result.outcome == "not_fired"
    assert result.trace is not None
    assert [step.to_dict() for step in result.trace] == [
        {"path": "conditions", "operator": "AND", "kind": "group", "result": False},
        {
            "path": "conditions.rules[0]",
            "operator": "<",
            "kind": "leaf",
            "field": "sentiment_score",
            "expected": -0.5,
            "actual": -0.9,
            "present": True,
            "result": True,
        },
        {
            "path": "conditions.rules[1]",
            "operator": "==",
            "kind": "leaf",
            "field": "customer_tier",
            "expected": "enterprise",
            "actual": "pro",
            "present": True,
            "result": False,
        },
        {
            "path": "conditions.rules[2]",
            "operator": "in",
            "kind": "leaf",
            "field": "issue_type",
            "expected": ["billing", "security"],
            "actual": None,
            "present": False,
            "result": False,
        },
    ]


def test_trace_covers_nested_groups_in_document_order() -> None:
    rules = RuleSet([parse_rule(rule_document(conditions=NESTED))])
    trace = rules.evaluate({"customer_tier": "enterprise"}, trace=True).results[0].trace
    assert trace is not None
    assert [(step.path, step.result) for step in trace] == [
        ("conditions", True),
        ("conditions.rules[0]", True),
        ("conditions.rules[0].rules[0]", True),
        ("conditions.rules[0].rules[1]", False),
        ("conditions.rules[0].rules[1].rules[0]", False),
        ("conditions.rules[0].rules[1].rules[1]", False),
        ("conditions.rules[1]", True),
        ("conditions.rules[1].rules[0]", False),
        ("conditions.rules[1].rules[0].rules[0]", False),
        ("conditions.rules[1].rules[0].rules[1]", False),
    ]


def test_without_trace_no_trace_is_kept() -> None:
    evaluation = RuleSet.from_documents([example()]).evaluate(ANGRY_ENTERPRISE_BILLING)
    assert evaluation.results[0].trace is None
    assert "trace" not in evaluation.to_dict()["results"][0]


def test_entity_values_are_reached_by_dotted_path() -> None:
    condition = group(
        "AND",
        leaf("entities.SALESFORCE_OBJECT", "in", ["Opportunity"]),
        leaf("entities.RECORD_ID", "matches", "^006"),
    )
    facts = {"entities": {"SALESFORCE_OBJECT": ["Opportunity"], "RECORD_ID": ["006Ab000001"]}}
    assert fires(condition, facts) is True
    assert fires(condition, {"entities": {"SALESFORCE_OBJECT": ["Opportunity"]}}) is False


def test_evaluation_is_deterministic_and_leaves_the_facts_alone() -> None:
    documents = [example(), rule_document("other", priority=10), rule_document("x", priority=10)]
    facts = {**ANGRY_ENTERPRISE_BILLING, "intent": "billing_dispute", "tags": ["a"]}
    before = copy.deepcopy(facts)
    outputs = {
        json.dumps(
            RuleSet.from_documents(list(order)).evaluate(facts, trace=True).to_dict(),
            sort_keys=True,
        )
        for order in (documents, documents[::-1], documents[1:] + documents[:1])
    }
    assert len(outputs) == 1
    assert facts == before


def test_evaluation_to_dict_is_json_safe() -> None:
    facts = {
        **ANGRY_ENTERPRISE_BILLING,
        "intents": ("a", "b"),
        "confidence": float("nan"),
        "tags": ["x"],
    }
    condition = group("OR", leaf("intents", "contains", "a"), leaf("confidence", ">", 0.1))
    rules = RuleSet.from_documents([example(), rule_document("t", conditions=condition)])
    data = rules.evaluate(facts, trace=True).to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["fired"] == ["RULE-ESC-001", "t"]
    assert data["decision"]["escalate"] is True


def test_rule_set_reports_its_size() -> None:
    assert len(RuleSet.from_documents([example(), rule_document()])) == 2
    assert len(RuleSet([])) == 0
    assert RuleSet([]).evaluate({}).results == ()
