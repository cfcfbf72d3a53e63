"""Invalid documents are refused with errors that name the JSON path to fix."""

from __future__ import annotations

from typing import Any

import pytest

from sfagent.rules import RuleLimits, RuleSet, RuleValidationError, parse_rule, validation_errors
from tests.rules.documents import example, group, leaf, rule_document


def paths(document: Any, **kwargs: Any) -> dict[str, str]:
    return {error["path"]: error["message"] for error in validation_errors(document, **kwargs)}


def test_the_example_is_valid() -> None:
    assert validation_errors(example()) == []


def test_bad_operator_deep_inside_names_its_path() -> None:
    document = rule_document(
        conditions=group(
            "AND",
            leaf("intent", "exists", True),
            group("OR", leaf("confidence", "<", 0.2), group("NOT", leaf("intent", "=~", "x"))),
        )
    )
    assert paths(document) == {
        "conditions.rules[1].rules[1].rules[0].operator": (
            "must be one of == != < <= > >= in not_in contains matches exists"
        )
    }


def test_example_with_a_bad_operator_names_its_path() -> None:
    document = example()
    document["conditions"]["rules"][2]["operator"] = "IN"
    assert list(paths(document)) == ["conditions.rules[2].operator"]


def test_unknown_field_lists_the_known_ones() -> None:
    message = paths(rule_document(conditions=leaf("sentiment", "<", 0)))["conditions.field"]
    assert "unknown field 'sentiment'" in message
    assert "sentiment_score" in message and "entities.<SALESFORCE_OBJECT|" in message


def test_unknown_entity_type_is_an_unknown_field() -> None:
    errors = paths(rule_document(conditions=leaf("entities.ACCOUNT", "exists", True)))
    assert "unknown field 'entities.ACCOUNT'" in errors["conditions.field"]


@pytest.mark.parametrize(
    ("edit", "path", "expected"),
    [
        (lambda d: d.update(stop_procesing=True), "stop_procesing", "stop_processing"),
        (lambda d: d["conditions"].update(rule=[]), "conditions.rule", "operator, rules"),
        (lambda d: d["conditions"]["rules"][0].update(val=1), "conditions.rules[0].val", "value"),
        (lambda d: d["actions"][0].update(queues="x"), "actions[0].queues", "queue, reason"),
    ],
)
def test_unknown_key_is_an_error_naming_the_expected_keys(
    edit: Any, path: str, expected: str
) -> None:
    document = example()
    edit(document)
    message = paths(document)[path]
    assert message.startswith("unknown key; expected one of:") and expected in message


def test_unknown_key_does_not_hide_other_errors() -> None:
    document = example()
    document["actionz"] = []
    document["actions"][2]["target"] = "soon"
    assert set(paths(document)) == {"actionz", "actions[2].target"}


def test_bad_regex_is_refused_at_its_path() -> None:
    document = rule_document(conditions=group("OR", leaf("intent", "matches", "(unclosed")))
    message = paths(document)["conditions.rules[0].value"]
    assert message.startswith("not a valid RE2 regular expression")


def test_regex_features_re2_lacks_are_refused() -> None:
    errors = paths(rule_document(conditions=leaf("intent", "matches", r"(a)\1")))
    assert "conditions.value" in errors


@pytest.mark.parametrize("target", ["15 minutes", "15_min", "0_hours", "-1_days", "1_weeks", ""])
def test_bad_sla_target_is_refused(target: str) -> None:
    document = example()
    document["actions"][2]["target"] = target
    assert list(paths(document)) == ["actions[2].target"]


def test_in_with_a_non_list_is_refused() -> None:
    document = example()
    document["conditions"]["rules"][2]["value"] = "billing"
    assert paths(document) == {"conditions.rules[2].value": "must be a list for in"}


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        (leaf("customer_tier", "<", "gold"), "conditions.operator", "does not apply to a text"),
        (leaf("confidence", "<", "0.5"), "conditions.value", "must be a number for <"),
        (leaf("confidence", "<", True), "conditions.value", "must be a number for <"),
        (leaf("message_count", "in", [1, "2"]), "conditions.value", "item 1 must be a number"),
        (leaf("issue_type", "not_in", []), "conditions.value", "must list 1 to 200 values"),
        (leaf("intent", "exists", "yes"), "conditions.value", "must be true or false"),
        (leaf("tags", "==", "vip"), "conditions.operator", "use one of in not_in contains"),
        (leaf("entities", "contains", "x"), "conditions.operator", "use one of exists"),
        (leaf("business_hours", "==", 1), "conditions.value", "must be true or false"),
        (leaf("intent", "contains", 3), "conditions.value", "must be text for contains"),
    ],
)
def test_value_and_operator_must_fit_the_field(condition: Any, path: str, message: str) -> None:
    assert message in paths(rule_document(conditions=condition))[path]


def test_not_with_two_children_is_refused() -> None:
    condition = group("NOT", leaf("intent", "exists", True), leaf("tags", "exists", True))
    errors = paths(rule_document(conditions=group("AND", condition)))
    assert errors == {"conditions.rules[0].rules": "NOT takes exactly one condition"}


def test_empty_group_is_refused() -> None:
    assert "conditions.rules" in paths(rule_document(conditions=group("OR")))


def test_lowercase_group_operator_is_refused() -> None:
    document = rule_document(conditions=group("and", leaf("intent", "exists", True)))
    assert paths(document) == {"conditions.operator": "must be one of AND OR NOT"}


def test_a_condition_that_is_not_an_object_is_refused() -> None:
    errors = paths(rule_document(conditions=group("OR", leaf("intent", "exists", True), 7)))
    assert errors["conditions.rules[1]"].startswith("must be a condition")


def nested(depth: int) -> dict[str, Any]:
    condition = leaf("intent", "exists", True)
    for _ in range(depth - 1):
        condition = group("NOT", condition)
    return condition


def test_conditions_twenty_deep_are_accepted() -> None:
    assert validation_errors(rule_document(conditions=nested(20))) == []


def test_too_deep_conditions_are_refused_at_the_first_level_too_deep() -> None:
    errors = validation_errors(rule_document(conditions=nested(5000)))
    assert len(errors) == 1
    assert errors[0]["path"] == "conditions" + ".rules[0]" * 20
    assert errors[0]["message"] == "conditions nest deeper than 20 levels"


def test_too_many_conditions_are_refused() -> None:
    wide = group("OR", *[leaf("intent", "exists", True)] * 500)
    assert paths(rule_document(conditions=wide)) == {
        "conditions": "more than 500 conditions in one rule"
    }
    assert validation_errors(rule_document(conditions=group("OR", *wide["rules"][:499]))) == []


def test_limits_are_configurable() -> None:
    limits = RuleLimits(max_depth=3, max_nodes=10)
    assert list(paths(rule_document(conditions=nested(4)), limits=limits)) == [
        "conditions.rules[0].rules[0].rules[0]"
    ]
    assert validation_errors(rule_document(conditions=nested(3)), limits=limits) == []


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d.update(id="has space"), "id"),
        (lambda d: d.update(id="x" * 65), "id"),
        (lambda d: d.update(id=""), "id"),
        (lambda d: d.update(priority="10"), "priority"),
        (lambda d: d.update(enabled="yes"), "enabled"),
        (lambda d: d.update(version=0), "version"),
        (lambda d: d.pop("name"), "name"),
        (lambda d: d["actions"][0].update(priority="critical"), "actions[0].priority"),
        (lambda d: d["actions"][1].update(method="sms"), "actions[1].method"),
        (lambda d: d["actions"][0].update(type="page"), "actions[0].type"),
        (lambda d: d["actions"][0].pop("type"), "actions[0].type"),
        (lambda d: d["actions"].append({"type": "tag", "tags": []}), "actions[3].tags"),
        (lambda d: d["actions"].append({"type": "auto_reply", "text": ""}), "actions[3].text"),
        (lambda d: d["actions"].append({"type": "route"}), "actions[3].queue"),
    ],
)
def test_rule_and_action_fields_are_checked(edit: Any, path: str) -> None:
    document = example()
    edit(document)
    assert list(paths(document)) == [path]


def test_a_document_that_is_not_an_object_is_refused() -> None:
    assert validation_errors([]) == [{"path": "", "message": "must be an object"}]


def test_parse_rule_raises_with_every_error() -> None:
    document = example()
    document["conditions"]["rules"][0]["field"] = "mood"
    document["actions"][2]["target"] = "later"
    with pytest.raises(RuleValidationError) as raised:
        parse_rule(document)
    error = raised.value
    assert [e["path"] for e in error.errors] == ["conditions.rules[0].field", "actions[2].target"]
    assert error.status_code == 422
    assert error.details == {"errors": error.errors}
    assert str(error).startswith("conditions.rules[0].field: unknown field 'mood'")


def test_rule_set_prefixes_errors_with_the_document_index() -> None:
    broken = example()
    broken["conditions"]["rules"][1]["operator"] = "is"
    with pytest.raises(RuleValidationError) as raised:
        RuleSet.from_documents([rule_document("ok"), broken])
    assert [e["path"] for e in raised.value.errors] == ["[1].conditions.rules[1].operator"]


def test_duplicate_ids_are_refused() -> None:
    documents = [rule_document("A"), rule_document("B"), rule_document("A")]
    with pytest.raises(RuleValidationError) as raised:
        RuleSet.from_documents(documents)
    assert raised.value.errors == [{"path": "[2].id", "message": "duplicate id 'A'; also at [0]"}]


def test_overlong_lists_are_refused_before_their_items_are_checked() -> None:
    too_many_actions = [{"type": "nonsense"}] * 10_000
    assert paths(rule_document(actions=too_many_actions)) == {
        "actions": "must have at most 50 actions"
    }
    too_many_tags = [{"type": "tag", "tags": [1] * 10_000}]
    assert paths(rule_document(actions=too_many_tags)) == {
        "actions[0].tags": "must have at most 20 tags"
    }


def test_error_list_is_capped() -> None:
    condition = {**leaf("intent", "exists", True), **{f"extra{i}": 1 for i in range(300)}}
    errors = validation_errors(rule_document(conditions=condition))
    assert len(errors) == 101
    assert errors[-1] == {"path": "", "message": "200 more errors not shown"}


@pytest.mark.parametrize("number", [float("nan"), float("inf"), 10**400])
def test_numbers_must_be_finite_and_huge_ints_do_not_overflow(number: float) -> None:
    errors = paths(rule_document(conditions=leaf("confidence", ">", number)))
    if isinstance(number, int):
        assert errors == {}
    else:
        assert errors == {"conditions.value": "must be a number for >"}
