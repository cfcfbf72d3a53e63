"""Full pastes: the root error wins, its details are read and the right line is pointed at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfagent.diagnostics.errors import analyze_error, match_error

FIXTURES = Path(__file__).parent / "fixtures"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fixture", "expected", "origin"),
    [
        ("trigger_dml_caused_by.txt", "apex-null-pointer", ("ContactService", "assignOwner", 27)),
        (
            "limit_soql_trigger.txt",
            "limit-too-many-soql-queries",
            ("AccountTriggerHandler", "handle", 42),
        ),
        (
            "debug_log_fatal.log",
            "limit-too-many-dml-statements",
            ("OrderService", "createLines", 42),
        ),
        (
            "sf_cli_deploy.json",
            "dml-field-custom-validation",
            ("AccountService", "createCustomer", 31),
        ),
        ("deploy_report.txt", "deploy-missing-field-dependency", None),
        ("rest_composite_response.json", "api-malformed-id", None),
        ("flow_error_email.txt", "flow-limits-from-loops", None),
        ("oauth_token_response.txt", "oauth-user-not-approved-consumer", None),
        ("lwc_console.txt", "lwc-wire-provisioning-error", None),
    ],
)
def test_full_pastes_pick_the_right_entry_and_line(
    fixture: str, expected: str, origin: tuple[str, str, int] | None
) -> None:
    best = match_error(read(fixture))[0]
    assert best.entry_id == expected
    if origin is None:
        assert best.origin is None
    else:
        assert best.origin is not None
        assert (best.origin.name, best.origin.method, best.origin.line) == origin


def test_caused_by_error_beats_the_dml_wrappers_around_it() -> None:
    ids = [match.entry_id for match in match_error(read("trigger_dml_caused_by.txt"))]
    assert ids == [
        "apex-null-pointer",
        "dml-cannot-insert-update-activate-entity",
        "dml-operation-failed",
    ]


def test_the_trace_of_a_match_is_the_one_printed_after_it() -> None:
    best = match_error(read("trigger_dml_caused_by.txt"))[0]
    assert [frame.text.split(":")[0] for frame in best.frames] == [
        "Class.ContactService.assignOwner",
        "Class.ContactTriggerHandler.beforeInsert",
        "Trigger.ContactTrigger",
        "Class.LeadConversionService.convert",
        "Class.LeadConversionController.convertLead",
    ]


def test_fatal_error_beats_exceptions_thrown_earlier_in_a_debug_log() -> None:
    text = read("debug_log_fatal.log")
    matches = match_error(text)
    assert [match.entry_id for match in matches] == [
        "limit-too-many-dml-statements",
        "query-list-has-no-rows",
    ]
    fatal = matches[0]
    assert "FATAL_ERROR" in text.splitlines()[fatal.line - 1]
    assert fatal.details.count == 151 and fatal.details.limit_value == 150


def test_limit_details_report_the_count_and_the_limit_it_broke() -> None:
    (best, *_) = match_error("System.LimitException: Too many SOQL queries: 201")
    assert best.details.exception_type == "System.LimitException"
    assert (best.details.count, best.details.limit_value) == (201, 200)


def test_async_queueable_limit_of_one_is_recognised() -> None:
    (best, *_) = match_error("System.LimitException: Too many queueable jobs added to the queue: 2")
    assert best.entry_id == "limit-too-many-queueable-jobs"
    assert best.details.limit_value == 1


def test_dml_details_name_the_status_code_fields_record_and_row() -> None:
    text = (
        "System.DmlException: Update failed. First exception on row 3 with id "
        "0065g00000AbCdEAAV; first error: FIELD_CUSTOM_VALIDATION_EXCEPTION, "
        "Amount must be greater than zero: [Amount, CloseDate]"
    )
    details = match_error(text)[0].details
    assert details.status_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert details.fields == ("Amount", "CloseDate")
    assert details.record_id == "0065g00000AbCdEAAV"
    assert details.row == 3
    assert details.exception_type == "System.DmlException"


def test_unknown_status_code_falls_back_to_the_dml_wrapper_with_the_code_read() -> None:
    text = (
        "System.DmlException: Insert failed. First exception on row 0; "
        "first error: BRAND_NEW_CODE, nope: []"
    )
    (best,) = match_error(text)
    assert best.entry_id == "dml-operation-failed"
    assert best.details.status_code == "BRAND_NEW_CODE"


def test_json_api_error_fields_are_read() -> None:
    text = (
        '[{"message":"Close Date is in the past",'
        '"errorCode":"FIELD_CUSTOM_VALIDATION_EXCEPTION","fields":["CloseDate"]}]'
    )
    best = match_error(text)[0]
    assert best.entry_id == "dml-field-custom-validation"
    assert best.details.fields == ("CloseDate",)


def test_pattern_groups_fill_object_and_field() -> None:
    text = (
        "System.SObjectException: SObject row was retrieved via SOQL without querying "
        "the requested field: Contact.Email"
    )
    details = match_error(text)[0].details
    assert (details.object_name, details.fields) == ("Contact", ("Email",))


def test_a_specific_oauth_description_beats_the_generic_invalid_grant() -> None:
    ids = [
        m.entry_id
        for m in match_error('{"error":"invalid_grant","error_description":"audience is invalid"}')
    ]
    assert ids == ["oauth-jwt-audience-invalid", "oauth-invalid-grant"]


def test_flow_only_entry_needs_a_flow_in_the_paste() -> None:
    ids = [m.entry_id for m in match_error("System.LimitException: Too many DML statements: 151")]
    assert ids == ["limit-too-many-dml-statements"]


def test_deployment_entry_needs_a_deployment_in_the_paste() -> None:
    text = "No such column 'Region__c' on entity 'Account'."
    assert [m.entry_id for m in match_error(text)] == ["query-no-such-column"]


def test_cacheable_dml_case_outranks_the_general_dml_limit() -> None:
    ids = [m.entry_id for m in match_error("System.LimitException: Too many DML statements: 1")]
    assert ids[:2] == ["lwc-cacheable-method-dml", "limit-too-many-dml-statements"]


@pytest.mark.parametrize(
    "text",
    [
        "hello, how do I change my email?",
        "Can you help me build a report of opportunities by stage?",
        "Why is this record read-only for me?",
        "",
        "   \n\t ",
    ],
)
def test_unrelated_text_matches_nothing(text: str) -> None:
    assert match_error(text) == []


def test_limit_caps_the_number_of_matches() -> None:
    text = read("trigger_dml_caused_by.txt")
    assert len(match_error(text, limit=1)) == 1
    assert match_error(text, limit=0) == []


def test_matched_text_and_span_point_into_the_original_text() -> None:
    text = read("limit_soql_trigger.txt")
    best = match_error(text)[0]
    start, end = best.span
    assert text[start:end] == best.matched_text == "Too many SOQL queries: 101"
    assert text.splitlines()[best.line - 1].endswith(best.matched_text)


def test_analysis_serialises_to_json() -> None:
    analysis = analyze_error(read("sf_cli_deploy.json"))
    data = json.loads(json.dumps(analysis.to_dict()))
    best = data["matches"][0]
    assert best["id"] == "dml-field-custom-validation"
    assert best["category"] == "dml_validation_error"
    assert best["doc_url"].startswith("https://")
    assert best["origin"]["line"] == 31
    assert best["details"]["fields"] == ["BillingCountry"]
    assert data["truncated"] is False


def test_managed_package_frames_are_not_the_origin() -> None:
    text = (
        "System.NullPointerException: Attempt to de-reference a null object\n"
        "Class.acme.Util.run: line 7, column 3\n"
        "Class.OrderController.save: line 20, column 1"
    )
    plain = match_error(text)[0].origin
    managed = match_error(text, managed_namespaces={"acme"})[0].origin
    assert plain is not None and (plain.name, plain.line) == ("acme.Util", 7)
    assert managed is not None and (managed.name, managed.line) == ("OrderController", 20)


SHARED_LOGS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "apex_logs"


@pytest.mark.skipif(not (SHARED_LOGS / "manifest.json").exists(), reason="shared data absent")
def test_exceptions_recorded_in_the_shared_debug_logs_are_recognised_on_their_line() -> None:
    manifest = json.loads((SHARED_LOGS / "manifest.json").read_text())
    checked = 0
    for log in manifest["logs"]:
        thrown = [e for e in log["exceptions_thrown"] if e["type"].startswith("System.")]
        if not thrown:
            continue
        text = (SHARED_LOGS / log["file"]).read_text(encoding="utf-8", errors="replace")
        best = match_error(text)[0]
        assert best.line == thrown[0]["line"]
        assert best.details.exception_type == thrown[0]["type"]
        checked += 1
    assert checked >= 1


def test_headline_error_beats_a_specific_error_in_its_caused_by_chain() -> None:
    text = (
        "System.LimitException: Apex CPU time limit exceeded\n"
        "caused by: System.CalloutException: Read timed out\n"
        "Class.Sync.push: line 10, column 1"
    )
    ids = [match.entry_id for match in match_error(text)]
    assert ids == ["limit-apex-cpu-time", "callout-read-timed-out"]


def test_unexpected_error_wrapper_yields_to_the_status_code_it_carries() -> None:
    text = (
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        "1234-5678 (-42)\nfirst error: UNABLE_TO_LOCK_ROW, unable to obtain exclusive access "
        "to this record or 1 records: 0015g00000AbCdEAAV"
    )
    ids = [match.entry_id for match in match_error(text)]
    assert ids == ["dml-unable-to-lock-row", "unknown-exception"]
