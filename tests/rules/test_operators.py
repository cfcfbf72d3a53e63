"""Each operator on matching, mismatched and missing facts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rules.documents import fires, leaf

CASES = [
    # (field, operator, value, facts, expected)
    ("customer_tier", "==", "enterprise", {"customer_tier": "enterprise"}, True),
    ("customer_tier", "==", "enterprise", {"customer_tier": "Enterprise"}, False),
    ("message_count", "==", 3, {"message_count": 3.0}, True),
    ("business_hours", "==", True, {"business_hours": True}, True),
    ("business_hours", "==", False, {"business_hours": 0}, False),
    ("customer_tier", "!=", "enterprise", {"customer_tier": "pro"}, True),
    ("customer_tier", "!=", "enterprise", {"customer_tier": "enterprise"}, False),
    ("confidence", "<", 0.5, {"confidence": 0.4}, True),
    ("confidence", "<", 0.5, {"confidence": 0.5}, False),
    ("confidence", "<=", 0.5, {"confidence": 0.5}, True),
    ("confidence", ">", 0.5, {"confidence": 0.6}, True),
    ("confidence", ">", 0.5, {"confidence": 0.5}, False),
    ("confidence", ">=", 0.5, {"confidence": 0.5}, True),
    ("message_count", ">=", 3, {"message_count": 2}, False),
    ("issue_type", "in", ["billing", "security"], {"issue_type": "security"}, True),
    ("issue_type", "in", ["billing", "security"], {"issue_type": "login"}, False),
    ("issue_type", "not_in", ["billing", "security"], {"issue_type": "login"}, True),
    ("issue_type", "not_in", ["billing", "security"], {"issue_type": "billing"}, False),
    ("intents", "in", ["refund", "cancel"], {"intents": ["greeting", "cancel"]}, True),
    ("intents", "not_in", ["refund", "cancel"], {"intents": ["greeting"]}, True),
    ("intents", "not_in", ["refund", "cancel"], {"intents": ["greeting", "refund"]}, False),
    ("intent", "contains", "LOGIN", {"intent": "sso_login_failure"}, True),
    ("intent", "contains", "logout", {"intent": "sso_login_failure"}, False),
    ("tags", "contains", "vip", {"tags": ["new", "vip"]}, True),
    ("tags", "contains", "vi", {"tags": ["new", "vip"]}, False),
    ("intent", "matches", "^sso_.*failure$", {"intent": "SSO_login_FAILURE"}, True),
    ("intent", "matches", "^sso_", {"intent": "saml_sso"}, False),
    ("tags", "matches", "^v.p$", {"tags": ["new", "VIP"]}, True),
    ("emotion", "exists", True, {"emotion": "anger"}, True),
    ("emotion", "exists", True, {"emotion": None}, False),
    ("emotion", "exists", False, {}, True),
    ("emotion", "exists", False, {"emotion": "anger"}, False),
    ("entities.RECORD_ID", "exists", True, {"entities": {"RECORD_ID": ["001xx"]}}, True),
    ("entities.RECORD_ID", "exists", True, {"entities": {"RECORD_ID": []}}, False),
    ("entities.RECORD_ID", "exists", False, {"entities": {"ERROR": ["x"]}}, True),
    (
        "entities.SALESFORCE_OBJECT",
        "contains",
        "Account",
        {"entities": {"SALESFORCE_OBJECT": ["Contact", "Account"]}},
        True,
    ),
    ("entities", "exists", True, {"entities": {}}, True),
]


@pytest.mark.parametrize(("field", "operator", "value", "facts", "expected"), CASES)
def test_operator(
    field: str, operator: str, value: Any, facts: dict[str, Any], expected: bool
) -> None:
    assert fires(leaf(field, operator, value), facts) is expected


MISSING = [
    ("customer_tier", "==", "enterprise"),
    ("customer_tier", "!=", "enterprise"),
    ("confidence", "<", 0.5),
    ("confidence", "<=", 0.5),
    ("confidence", ">", 0.5),
    ("confidence", ">=", 0.5),
    ("issue_type", "in", ["billing"]),
    ("issue_type", "not_in", ["billing"]),
    ("intent", "contains", "x"),
    ("tags", "contains", "x"),
    ("intent", "matches", "."),
    ("entities.ERROR", "contains", "x"),
]


@pytest.mark.parametrize(("field", "operator", "value"), MISSING)
@pytest.mark.parametrize("facts", [{}, {"customer_tier": None, "confidence": None}])
def test_missing_field_is_false_for_every_operator_but_exists(
    field: str, operator: str, value: Any, facts: dict[str, Any]
) -> None:
    assert fires(leaf(field, operator, value), facts) is False


MISMATCHED = [
    # Facts of the wrong type never raise; comparisons with them are false.
    ("confidence", "<", 0.5, {"confidence": "0.1"}),
    ("confidence", ">", 0, {"confidence": True}),
    ("message_count", "==", 1, {"message_count": True}),
    ("customer_tier", "==", "1", {"customer_tier": 1}),
    ("intent", "contains", "a", {"intent": 42}),
    ("intent", "matches", "a", {"intent": {"a": 1}}),
    ("issue_type", "in", ["1"], {"issue_type": 1}),
    ("entities.ERROR", "contains", "x", {"entities": "not a mapping"}),
]


@pytest.mark.parametrize(("field", "operator", "value", "facts"), MISMATCHED)
def test_fact_of_the_wrong_type_compares_false(
    field: str, operator: str, value: Any, facts: dict[str, Any]
) -> None:
    assert fires(leaf(field, operator, value), facts) is False


def test_not_equal_is_true_for_a_present_fact_of_another_type() -> None:
    assert fires(leaf("customer_tier", "!=", "1"), {"customer_tier": 1}) is True


def test_matches_runs_in_linear_time_on_a_classic_catastrophic_pattern() -> None:
    # (a+)+$ backtracks exponentially in Python's re; RE2 answers at once.
    facts = {"intent": "a" * 5000 + "!"}
    assert fires(leaf("intent", "matches", "(a+)+$"), facts) is False
