"""Property tests: the parsers customers' pastes go through never crash, and what they
report points inside the text they were given."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfagent.diagnostics.diagnose import diagnose_message
from sfagent.diagnostics.errors.catalog import match_error
from sfagent.diagnostics.logs import NotADebugLog, parse_log_text
from sfagent.diagnostics.soql import parse_soql

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOQL_WORDS = st.sampled_from(
    [
        "SELECT",
        "Id",
        "Name",
        ",",
        "FROM",
        "Account",
        "WHERE",
        "=",
        "'x'",
        "LIMIT",
        "10",
        "ORDER BY",
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        "IN",
        ":ids",
        "GROUP BY",
        "COUNT()",
        "__c",
        "TYPEOF",
        "WHEN",
        "THEN",
        "END",
        "\n",
        "'",
        "\\",
        "LIKE",
        "'%a%'",
        "NULL",
    ]
)
LOG_LINES = st.sampled_from(
    [
        "59.0 APEX_CODE,FINEST;APEX_PROFILING,INFO;DB,INFO",
        "12:00:00.0 (1000)|EXECUTION_STARTED",
        "12:00:00.0 (2000)|CODE_UNIT_STARTED|[EXTERNAL]|01p000000000001|MyClass.run",
        "12:00:00.0 (3000)|SOQL_EXECUTE_BEGIN|[12]|Aggregations:0|SELECT Id FROM Account",
        "12:00:00.0 (4000)|SOQL_EXECUTE_END|[12]|Rows:1",
        "12:00:00.0 (5000)|EXCEPTION_THROWN|[7]|System.LimitException: Too many SOQL queries: 101",
        "12:00:00.0 (6000)|FATAL_ERROR|System.LimitException: Too many SOQL queries: 101",
        "12:00:00.0 (7000)|LIMIT_USAGE_FOR_NS|(default)|",
        "  Number of SOQL queries: 101 out of 100 ******* CLOSE TO LIMIT",
        "12:00:00.0 (8000)|CODE_UNIT_FINISHED|MyClass.run",
        "12:00:00.0 (9000)|EXECUTION_FINISHED",
        "garbage | line",
    ]
)


@PROPERTY
@given(st.lists(SOQL_WORDS, max_size=40).map(" ".join) | st.text(max_size=300))
def test_soql_parser_accepts_anything_and_points_inside_it(text: str) -> None:
    result = parse_soql(text)
    assert result.ok == (result.query is not None)
    lines = max(1, text.count("\n") + 1)
    for error in result.errors:
        assert 1 <= error.line <= lines + 1 and error.column >= 1
        assert error.message


@PROPERTY
@given(st.lists(LOG_LINES, max_size=60).map("\n".join) | st.text(max_size=400))
def test_log_parser_returns_an_analysis_or_says_it_is_not_a_log(text: str) -> None:
    try:
        analysis = parse_log_text(text)
    except NotADebugLog as refusal:
        assert str(refusal)
        return
    assert analysis is not None


@PROPERTY
@given(st.text(max_size=500))
def test_error_matching_and_diagnosis_never_raise(text: str) -> None:
    assert len(match_error(text)) <= 3
    diagnose_message(text)
