"""The grounding guard: what it extracts from an answer and when it rejects one."""

from __future__ import annotations

import pytest

from sfagent.responder.llm import (
    PromptDiagnostic,
    PromptSource,
    check_grounding,
    response_confidence,
)
from sfagent.responder.llm.guard import (
    extract_citations,
    extract_error_codes,
    extract_identifiers,
    extract_quantities,
)

LIMITS = PromptSource(
    "kb-limits",
    "Apex governor limits",
    "Per transaction: SOQL queries: 100 (synchronous). Maximum CPU time: 10 seconds.\n"
    "Total number of records retrieved by SOQL queries: 50,000. Exceeding a limit throws "
    "System.LimitException, which cannot be caught.",
)
PARTIAL = PromptSource(
    "kb-dml", "Partial success", "Use Database.update(records, false) and read the SaveResult."
)
SOURCES = (LIMITS, PARTIAL)


def test_citations_ignore_links_indexes_checkboxes_and_code() -> None:
    answer = (
        "See [kb-1] and [kb-2, kb-3]. Read [the docs](https://x). Use rows[0].\n"
        "- [x] done\n```apex\nList<Id>[kb-9] ids;\n```"
    )

    assert extract_citations(answer) == ("kb-1", "kb-2", "kb-3")


def test_identifiers_are_apex_names_not_prose() -> None:
    answer = (
        "Call Database.update or Limits.getQueries(), e.g. on Invoice_Line__c, and catch "
        "DmlException; System.LimitException ends the transaction. See help.salesforce.com."
    )

    assert extract_identifiers(answer) == (
        "Database.update",
        "Limits.getQueries",
        "System.LimitException",
        "Invoice_Line__c",
        "DmlException",
    )


def test_error_codes() -> None:
    answer = "UNABLE_TO_LOCK_ROW or FIELD_CUSTOM_VALIDATION_EXCEPTION, not SOQL or API."

    assert extract_error_codes(answer) == (
        "UNABLE_TO_LOCK_ROW",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    )


def test_quantities_with_units_normalise_time_and_skip_trivial_counts() -> None:
    quantities = extract_quantities(
        "100 SOQL queries, 10,000 ms, 10 seconds, 50,000 rows, 75%, 1 query, step 3."
    )

    assert [(q.value, q.unit) for q in quantities] == [
        (100, "queries"),
        (10_000, "ms"),
        (10_000, "ms"),
        (50_000, "records"),
        (75, "percent"),
    ]


def test_grounded_answer_passes() -> None:
    answer = (
        "You ran more than 100 SOQL queries [kb-limits]; the CPU limit is 10,000 ms and at most "
        "50,000 rows come back. `System.LimitException` cannot be caught, so use "
        "Database.update(records, false) [kb-dml]."
    )

    verdict = check_grounding(answer, sources=SOURCES)

    assert verdict.passed, verdict.offending
    assert verdict.score == 1.0
    assert verdict.checked > 5


def test_unknown_citation_is_reported() -> None:
    verdict = check_grounding("Use Database.update [kb-dml] [kb-404].", sources=SOURCES)

    assert not verdict.passed
    assert verdict.unknown_citations == ("kb-404",)


@pytest.mark.parametrize(
    ("answer", "field", "item"),
    [
        ("Catch it with Database.saveAll [kb-dml].", "ungrounded_identifiers", "Database.saveAll"),
        ("Update Invoice__c first.", "ungrounded_identifiers", "Invoice__c"),
        (
            "That is INVALID_CROSS_REFERENCE_KEY.",
            "ungrounded_error_codes",
            "INVALID_CROSS_REFERENCE_KEY",
        ),
        ("The limit is 200 SOQL queries.", "ungrounded_quantities", "200 SOQL queries"),
        ("The limit is 60 seconds of CPU.", "ungrounded_quantities", "60 seconds"),
    ],
)
def test_invented_items_are_reported(answer: str, field: str, item: str) -> None:
    verdict = check_grounding(answer, sources=SOURCES)

    assert not verdict.passed
    assert getattr(verdict, field) == (item,)
    assert verdict.offending == (item,)
    assert verdict.score < 1.0


def test_items_from_the_customer_or_diagnostics_are_grounded() -> None:
    diagnostic = PromptDiagnostic(
        "Lock contention",
        "UNABLE_TO_LOCK_ROW: another transaction holds the row.",
        fix_steps=("Process Invoice__c records in batches of 200 records.",),
    )
    answer = "Invoice__c updates hit UNABLE_TO_LOCK_ROW; use batches of 200 records."

    verdict = check_grounding(answer, sources=(), diagnostics=(diagnostic,))
    from_user = check_grounding(
        "Your Invoice__c trigger", sources=(), user_input=["my Invoice__c trigger fails"]
    )

    assert verdict.passed, verdict.offending
    assert from_user.passed


def test_identifier_match_ignores_case_and_the_system_namespace() -> None:
    source = PromptSource("kb-1", "Limits", "A LimitException is thrown; call database.UPDATE.")

    verdict = check_grounding("System.LimitException, Database.update", sources=(source,))

    assert verdict.passed, verdict.offending


def test_empty_answer_fails() -> None:
    verdict = check_grounding("  ", sources=SOURCES)

    assert not verdict.passed
    assert verdict.empty


def test_answer_without_checkable_claims_passes() -> None:
    verdict = check_grounding("I do not know; shall I ask a colleague?", sources=SOURCES)

    assert verdict.passed
    assert verdict.checked == 0


def test_confidence_is_high_only_when_all_three_are() -> None:
    high = response_confidence(0.9, 0.9, 1.0)
    weak_retrieval = response_confidence(0.9, 0.3, 1.0)
    partly_grounded = response_confidence(0.9, 0.9, 0.5)

    assert 0.85 < high <= 1.0
    assert weak_retrieval < partly_grounded < high


def test_failed_guard_means_zero_confidence_and_inputs_are_clamped() -> None:
    assert response_confidence(0.9, 0.9, False) == 0.0
    assert response_confidence(1.5, 2.0, True) == 1.0
