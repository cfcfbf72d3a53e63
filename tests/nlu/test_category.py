"""Support category from the whole message: intent probabilities plus what the message contains."""

from __future__ import annotations

from sfagent.nlu.catalog import SUPPORT_CATEGORIES, load_intent_catalog
from sfagent.nlu.category import predict_category
from sfagent.nlu.entities import extract_entities

CATALOG = load_intent_catalog()


def categorise(text: str, probabilities: dict[str, float]) -> tuple[str, str, list[str]]:
    found = predict_category(text, probabilities, extract_entities(text), CATALOG)
    return found.category, found.group, [piece.source for piece in found.evidence]


def test_confident_intent_decides_when_the_message_holds_no_evidence() -> None:
    assert categorise("I want a refund", {"refund_request": 0.9, "oos": 0.1})[:2] == (
        "billing_account",
        "BILLING",
    )


def test_pasted_exception_outweighs_a_generic_bug_report_intent() -> None:
    text = (
        "I think this is a bug:\nSystem.NullPointerException: Attempt to de-reference a null object"
    )
    category, group, sources = categorise(text, {"bug_report": 0.55, "oos": 0.45})
    assert (category, group) == ("apex_runtime_error", "TECHNICAL")
    assert "error" in sources


def test_governor_limit_named_in_prose_counts_for_governor_limit() -> None:
    text = "we keep hitting the too many SOQL queries limit, help"
    category, _, sources = categorise(text, {"performance_issue": 0.4, "soql_error": 0.35})
    assert category == "governor_limit"
    assert "limit" in sources


def test_soql_code_and_api_endpoint_are_evidence_when_the_intent_model_is_unsure() -> None:
    unsure = {"oos": 0.5, "feature_question": 0.25, "data_export": 0.25}
    soql = categorise("SELECT Id FROM Account WHERE Name = 'x' LIMIT", unsure)
    assert soql[0] == "soql_error" and "code" in soql[2]
    endpoint = categorise("POST /services/data/v59.0/sobjects/Account returns 400", unsure)
    assert endpoint[0] == "api_integration" and endpoint[2] == ["endpoint"]


def test_a_message_the_model_is_sure_is_out_of_scope_stays_other() -> None:
    assert categorise("SELECT your favourite pizza FROM the menu", {"oos": 1.0})[0] == "other"


def test_a_confident_dialogue_act_is_not_overruled_by_a_passing_mention() -> None:
    category, group, _ = categorise(
        "thanks, the Data Loader import works now", {"thanks": 0.92, "data_import": 0.05}
    )
    assert (category, group) == ("other", "DIALOGUE")


def test_intents_unknown_to_the_catalog_count_as_other() -> None:
    # A tenant's own model: its intents are not in the shipped catalog.
    category, _, _ = categorise("where is my parcel", {"track_parcel": 0.97, "oos": 0.03})
    assert category == "other"
    flow = categorise("my Flow fails with an unhandled fault", {"track_parcel": 0.1, "oos": 0.0})
    assert flow[0] == "flow_automation"


def test_no_evidence_and_no_intents_is_other_with_full_confidence() -> None:
    found = predict_category("", {}, [], CATALOG)
    assert (found.category, found.confidence) == ("other", 1.0)


def test_prediction_is_one_of_the_fifteen_categories_and_serialises() -> None:
    found = predict_category(
        "Invalid session id when calling /services/apexrest/orders",
        {"api_authentication_error": 0.7, "integration_error": 0.2, "oos": 0.1},
        extract_entities("Invalid session id when calling /services/apexrest/orders"),
        CATALOG,
    )
    assert found.category in SUPPORT_CATEGORIES
    as_dict = found.to_dict()
    assert as_dict["category"] == "api_integration"
    assert len(as_dict["scores"]) <= 3
    assert (
        abs(sum(found.scores.values()) * found.confidence - found.scores["api_integration"]) < 1e-9
    )


def test_a_confident_intent_is_not_overruled_by_an_error_filed_under_another_category() -> None:
    # The error catalog files UNABLE_TO_LOCK_ROW under DML errors; to someone loading data in
    # parallel batches it is a data-load problem, and the confident intent says so.
    text = "Data Loader batches fail with UNABLE_TO_LOCK_ROW when we import contacts"
    confident = categorise(text, {"data_import": 0.97, "oos": 0.03})
    assert confident[0] == "data_import_export"
    unsure = categorise(text, {"data_import": 0.45, "oos": 0.55})
    assert unsure[0] == "dml_validation_error"
