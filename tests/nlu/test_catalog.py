"""The shipped intent catalog and intent examples: coverage, consistency and the loader."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from sfagent.nlu.catalog import (
    OUT_OF_SCOPE_INTENT,
    SPLITS,
    SUPPORT_CATEGORIES,
    SUPPORT_GROUPS,
    IntentCatalog,
    IntentExample,
    IntentSpec,
    load_intent_catalog,
    load_intent_examples,
    parse_intent_catalog,
    parse_intent_examples,
)

REQUIRED_INTENTS = (
    *("password_reset", "account_locked_out", "mfa_issue", "sso_login_issue"),
    *("permissions_access", "user_management"),
    *("invoice_request", "payment_issue", "subscription_change", "renewal", "refund_request"),
    "license_management",
    *("apex_runtime_error", "governor_limit", "soql_error", "dml_validation_error"),
    *("trigger_issue", "flow_failure", "deployment_error", "lwc_aura_error"),
    *("api_authentication_error", "api_limit", "integration_error", "performance_issue"),
    *("bug_report", "configuration_howto"),
    *("data_import", "data_export", "reports_dashboards", "data_quality_duplicates"),
    *("feature_question", "training_documentation", "best_practice"),
    *("greeting", "goodbye", "thanks", "affirm", "deny", "request_human", "complaint"),
    *("feedback", OUT_OF_SCOPE_INTENT),
)

VALID_ENTRY = """
schema_version = 1
[intents.greeting]
group = "DIALOGUE"
category = "other"
subcategory = "greeting"
priority_weight = 0.05
auto_resolve_threshold = 0.5
escalate = false
description = "The user says hello."
"""


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _counts_by_intent_and_split() -> Counter[tuple[str, str]]:
    return Counter((example.intent, example.split) for example in load_intent_examples())


def test_the_15_support_categories_and_6_groups_are_exported() -> None:
    assert len(SUPPORT_CATEGORIES) == len(set(SUPPORT_CATEGORIES)) == 15
    assert "governor_limit" in SUPPORT_CATEGORIES
    assert SUPPORT_GROUPS == ("TECHNICAL", "ACCOUNT", "BILLING", "PRODUCT", "DATA", "DIALOGUE")


def test_catalog_has_at_least_45_in_scope_intents_plus_oos() -> None:
    catalog = load_intent_catalog()
    assert len(catalog.in_scope_intents) >= 45
    assert OUT_OF_SCOPE_INTENT in catalog
    assert OUT_OF_SCOPE_INTENT not in catalog.in_scope_intents


def test_catalog_covers_every_required_intent() -> None:
    catalog = load_intent_catalog()
    assert [name for name in REQUIRED_INTENTS if name not in catalog] == []


def test_intent_names_are_snake_case() -> None:
    names = load_intent_catalog().intents
    assert [name for name in names if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name)] == []


def test_every_data_intent_has_a_catalog_entry_and_every_entry_has_data() -> None:
    data_intents = {example.intent for example in load_intent_examples()}
    catalog_intents = set(load_intent_catalog().intents)
    assert data_intents - catalog_intents == set()
    assert catalog_intents - data_intents == set()


def test_every_spec_uses_a_known_group_and_category() -> None:
    for spec in load_intent_catalog().specs:
        assert spec.group in SUPPORT_GROUPS, spec.name
        assert spec.category in SUPPORT_CATEGORIES, spec.name
        assert spec.subcategory.strip() and spec.description.strip(), spec.name


def test_every_support_category_is_used_by_some_intent() -> None:
    assert load_intent_catalog().categories == SUPPORT_CATEGORIES


def test_weights_and_thresholds_are_between_zero_and_one() -> None:
    for spec in load_intent_catalog().specs:
        assert 0.0 <= spec.priority_weight <= 1.0, spec.name
        assert 0.0 <= spec.auto_resolve_threshold <= 1.0, spec.name


def test_money_and_identity_intents_need_more_confidence_than_dialogue_acts() -> None:
    catalog = load_intent_catalog()
    dialogue = [catalog.get(name) for name in ("greeting", "thanks", "affirm", "deny")]
    dialogue_ceiling = max(spec.auto_resolve_threshold for spec in dialogue if spec)
    for name in ("refund_request", "payment_issue", "account_locked_out", "mfa_issue"):
        spec = catalog.get(name)
        assert spec is not None and spec.auto_resolve_threshold > dialogue_ceiling, name


def test_production_down_outranks_small_talk_in_priority() -> None:
    catalog = load_intent_catalog()
    outage, greeting = catalog.get("service_outage"), catalog.get("greeting")
    assert outage is not None and greeting is not None
    assert outage.priority_weight > 0.9 > 0.1 > greeting.priority_weight


def test_handoff_intents_escalate_and_small_talk_does_not() -> None:
    catalog = load_intent_catalog()
    for name in ("request_human", "complaint", "refund_request"):
        spec = catalog.get(name)
        assert spec is not None and spec.escalate, name
    for name in ("greeting", "thanks", "oos", "configuration_howto"):
        spec = catalog.get(name)
        assert spec is not None and not spec.escalate, name


def test_dialogue_acts_and_oos_are_in_the_dialogue_group() -> None:
    catalog = load_intent_catalog()
    dialogue = set(catalog.intents_in_group("DIALOGUE"))
    expected = {"greeting", "goodbye", "thanks", "affirm", "deny", "request_human"}
    assert expected | {"complaint", "feedback", OUT_OF_SCOPE_INTENT} <= dialogue


def test_each_in_scope_intent_has_30_train_and_8_test_examples() -> None:
    counts = _counts_by_intent_and_split()
    short = {
        name: (counts[(name, "train")], counts[(name, "test")])
        for name in load_intent_catalog().in_scope_intents
        if counts[(name, "train")] < 30 or counts[(name, "test")] < 8
    }
    assert short == {}


def test_out_of_scope_has_at_least_150_examples_in_both_splits() -> None:
    counts = _counts_by_intent_and_split()
    assert counts[(OUT_OF_SCOPE_INTENT, "train")] + counts[(OUT_OF_SCOPE_INTENT, "test")] >= 150
    assert counts[(OUT_OF_SCOPE_INTENT, "test")] >= 30


def test_no_text_appears_twice_ignoring_case_and_whitespace() -> None:
    counts = Counter(_normalise(example.text) for example in load_intent_examples())
    assert [text for text, count in counts.items() if count > 1] == []


def test_train_and_test_texts_are_disjoint() -> None:
    train = {_normalise(example.text) for example in load_intent_examples("train")}
    test = {_normalise(example.text) for example in load_intent_examples("test")}
    assert train & test == set()


def test_texts_are_trimmed_and_not_empty() -> None:
    for example in load_intent_examples():
        assert example.text == example.text.strip() and example.text, example


def test_split_filter_returns_only_that_split_and_both_add_up() -> None:
    train, test = load_intent_examples("train"), load_intent_examples("test")
    assert {example.split for example in train} == {"train"}
    assert {example.split for example in test} == {"test"}
    assert len(train) + len(test) == len(load_intent_examples(None))
    assert SPLITS == ("train", "test")


def test_unknown_split_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match=r"unknown split 'validation'.*train, test"):
        load_intent_examples("validation")


def test_loaded_examples_are_a_fresh_list_each_call() -> None:
    first = load_intent_examples("test")
    first.clear()
    assert load_intent_examples("test")


def test_catalog_is_loaded_once_and_answers_lookups() -> None:
    catalog = load_intent_catalog()
    assert load_intent_catalog() is catalog
    spec = catalog.get("governor_limit")
    assert isinstance(spec, IntentSpec)
    assert (spec.name, spec.group, spec.category) == (
        "governor_limit",
        "TECHNICAL",
        "governor_limit",
    )
    assert spec.in_scope and not spec.escalate
    assert catalog.get("weather_forecast") is None
    assert "weather_forecast" not in catalog
    assert "governor_limit" in catalog.intents_in_category("governor_limit")


def test_parse_accepts_a_minimal_catalog() -> None:
    catalog = parse_intent_catalog(VALID_ENTRY)
    assert catalog.intents == ("greeting",)
    assert catalog.groups == ("DIALOGUE",)
    assert catalog.categories == ("other",)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (VALID_ENTRY.replace('category = "other"', 'category = "weather"'), "category 'weather'"),
        (VALID_ENTRY.replace('group = "DIALOGUE"', 'group = "SALES"'), "group 'SALES'"),
        (VALID_ENTRY.replace("threshold = 0.5", "threshold = 1.5"), "outside 0..1"),
        (VALID_ENTRY.replace("priority_weight = 0.05", "priority_weight = true"), "a number"),
        (VALID_ENTRY.replace("escalate = false", 'escalate = "no"'), "true or false"),
        (VALID_ENTRY.replace('subcategory = "greeting"\n', ""), "missing keys"),
        (VALID_ENTRY + "owner = 'me'\n", "unknown keys"),
        (VALID_ENTRY.replace("schema_version = 1", "schema_version = 2"), "schema_version"),
        ("schema_version = 1\n", "no \\[intents"),
        ("schema_version = ", "not valid TOML"),
    ],
)
def test_parse_rejects_a_malformed_catalog(broken: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_intent_catalog(broken)


def test_catalog_rejects_the_same_intent_twice() -> None:
    spec = parse_intent_catalog(VALID_ENTRY).specs[0]
    with pytest.raises(ValueError, match="listed twice"):
        IntentCatalog((spec, spec))


def test_parse_examples_reads_rows_and_skips_blank_lines() -> None:
    row = {"text": "hello there", "intent": "greeting", "split": "train"}
    assert parse_intent_examples([json.dumps(row), "  "]) == (
        IntentExample(text="hello there", intent="greeting", split="train"),
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 1: invalid JSON"),
        ('{"text": "hi", "intent": "greeting"}', "expected keys"),
        ('{"text": " ", "intent": "greeting", "split": "train"}', "text must be"),
        ('{"text": "hi", "intent": "", "split": "train"}', "intent must be"),
        ('{"text": "hi", "intent": "greeting", "split": "dev"}', "unknown split 'dev'"),
    ],
)
def test_parse_examples_rejects_a_malformed_row(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_intent_examples([line])
