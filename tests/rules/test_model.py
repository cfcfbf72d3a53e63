"""Rule documents round-trip, defaults are filled in, and field lists stay in step."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sfagent.nlu.entities.model import EntityType
from sfagent.rules import ENTITY_TYPES, SlaAction, parse_rule, sla_seconds
from tests.rules.documents import example, group, leaf, rule_document


def test_example_round_trips_exactly() -> None:
    rule = parse_rule(example())
    assert rule.to_dict() == example()
    assert parse_rule(rule.to_dict()) == rule


def test_every_kind_of_condition_and_action_round_trips_through_json() -> None:
    conditions = group(
        "OR",
        group("NOT", leaf("entities.RECORD_ID", "exists", True)),
        leaf("intents", "not_in", ["a", "b"]),
        leaf("intent", "matches", r"^sso_\w+"),
        leaf("message_count", ">=", 3),
        leaf("business_hours", "==", False),
    )
    all_actions: list[dict[str, Any]] = [
        {"type": "escalate", "priority": "urgent", "queue": "q", "reason": "r"},
        {"type": "notify", "recipient": "ops", "method": "webhook", "template": "t"},
        {"type": "sla", "target": "1_day"},
        {"type": "set_priority", "priority": "low"},
        {"type": "tag", "tags": ["a", "b"]},
        {"type": "route", "queue": "billing"},
        {"type": "auto_reply", "text": "Thanks!"},
    ]
    document = rule_document("ALL_KINDS", conditions, all_actions, description="everything")
    rule = parse_rule(document)
    assert parse_rule(json.loads(json.dumps(rule.to_dict()))) == rule


def test_defaults_are_filled_in() -> None:
    rule = parse_rule({"id": "r", "name": "n", "conditions": leaf("intent", "exists", True)})
    assert (rule.priority, rule.enabled, rule.stop_processing, rule.version) == (0, True, False, 1)
    assert rule.description is None and rule.actions == ()
    assert rule.to_dict()["enabled"] is True


def test_rules_are_immutable() -> None:
    rule = parse_rule(example())
    with pytest.raises(ValueError, match="frozen"):
        rule.priority = 99  # type: ignore[misc]


@pytest.mark.parametrize(
    ("target", "seconds"),
    [("15_minutes", 900), ("1_minute", 60), ("2_hours", 7200), ("1_days", 86400), ("1_day", 86400)],
)
def test_sla_targets_are_read_as_seconds(target: str, seconds: int) -> None:
    assert sla_seconds(target) == seconds
    assert SlaAction(type="sla", target=target).seconds == seconds


def test_sla_longer_than_a_year_is_refused() -> None:
    with pytest.raises(ValueError, match="365_days"):
        sla_seconds("366_days")


def test_entity_types_match_the_nlu() -> None:
    assert set(ENTITY_TYPES) == {member.value for member in EntityType}
