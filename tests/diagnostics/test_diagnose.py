"""Diagnosing whole support messages: which cause is named, where, and when none is."""

from __future__ import annotations

from sfagent.diagnostics.detect import ArtifactKind
from sfagent.diagnostics.diagnose import diagnose_message
from sfagent.responder.diagnosis import compose_diagnosis_reply

LOOP_TRIGGER = """trigger ContactTrigger on Contact (after insert) {
    for (Contact c : Trigger.new) {
        insert new Task(WhoId = c.Id, Subject = 'Welcome call');
    }
}"""


def test_limit_error_is_located_at_the_loop_statement_of_the_pasted_code() -> None:
    message = (
        f"Data Loader fails: System.LimitException: Too many DML statements: 151\n{LOOP_TRIGGER}"
    )
    diagnosis = diagnose_message(message)
    primary = diagnosis.primary
    assert primary is not None
    assert primary.source == "error_catalog"
    assert primary.rule == "OperationWithLimitsInLoop"
    assert primary.line == 3
    assert primary.example is not None and "insert" in primary.example


def test_error_alone_names_the_catalogued_cause_and_the_origin_frame() -> None:
    message = (
        "System.NullPointerException: Attempt to de-reference a null object\n"
        "Class.InvoiceService.total: line 42, column 1\n"
        "Trigger.InvoiceTrigger: line 5, column 1"
    )
    primary = diagnose_message(message).primary
    assert primary is not None and primary.source == "error_catalog"
    assert primary.line == 42
    assert "InvoiceService" in (primary.where or "")


def test_code_alone_reports_high_severity_findings() -> None:
    primary = diagnose_message(f"Is this ok?\n{LOOP_TRIGGER}").primary
    assert primary is not None
    assert primary.source == "apex_rule" and primary.rule == "OperationWithLimitsInLoop"


def test_broken_query_is_a_cause_with_its_position() -> None:
    diagnosis = diagnose_message("```sql\nSELECT Id, Name FROMAccount\n```")
    assert [a.kind for a in diagnosis.artifacts] == [ArtifactKind.SOQL]
    primary = diagnosis.primary
    assert primary is not None and primary.rule == "SoqlSyntax"


def test_fatal_log_line_is_recognised() -> None:
    log = (
        "59.0 APEX_CODE,FINEST;APEX_PROFILING,INFO\n"
        "12:00:00.1 (100)|EXECUTION_STARTED\n"
        "12:00:00.1 (200)|FATAL_ERROR|System.LimitException: Apex CPU time limit exceeded\n"
        "12:00:00.1 (300)|EXECUTION_FINISHED\n"
    )
    diagnosis = diagnose_message(f"here is the log\n{log}")
    assert [a.kind for a in diagnosis.artifacts] == [ArtifactKind.LOG]
    primary = diagnosis.primary
    assert primary is not None and "CPU" in primary.title


def test_vague_messages_name_no_cause_and_get_no_reply() -> None:
    for message in ("it doesn't work", "hello, how do I reset my password?"):
        diagnosis = diagnose_message(message)
        assert diagnosis.primary is None
        assert compose_diagnosis_reply(diagnosis) is None


def test_reply_has_where_why_fix_and_rewritten_code() -> None:
    message = f"System.LimitException: Too many DML statements: 151\n{LOOP_TRIGGER}"
    reply = compose_diagnosis_reply(diagnose_message(message))
    assert reply is not None
    assert "**Where:** line 3 of the code you pasted" in reply
    assert "**How to fix it:**\n1. " in reply
    assert "```apex\n" in reply
    assert "Did this fix it?" in reply
