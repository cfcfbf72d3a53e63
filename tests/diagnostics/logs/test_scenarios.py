"""Failures admins bring us: limits hit in triggers and jobs, DML errors, CPU time, flow faults."""

from __future__ import annotations

from pathlib import Path

from sfagent.diagnostics.logs import FlowError, LogAnalysis, parse_log, parse_log_text

FIXTURES = Path(__file__).parent / "fixtures"


def parse_fixture(name: str) -> LogAnalysis:
    return parse_log(FIXTURES / name)


def near_limits(analysis: LogAnalysis) -> dict[str, tuple[int, int]]:
    return {usage.key: (usage.used, usage.limit) for usage in analysis.limits_near_max}


def test_soql_in_a_trigger_loop_is_reported_with_the_query_count() -> None:
    analysis = parse_fixture("trigger_soql_loop_fatal.log")
    [fatal] = analysis.fatal_errors
    assert (fatal.type, fatal.message) == ("System.LimitException", "Too many SOQL queries: 101")
    assert (fatal.log_line, fatal.source_line) == (207, "18")
    assert fatal.code_unit == "ContactTrigger on Contact trigger event AfterInsert"
    assert fatal.stack == (
        "Class.ContactRollup.recalculate: line 18, column 1",
        "Trigger.ContactTrigger: line 4, column 1",
    )
    assert (analysis.soql_count, analysis.dml_count) == (100, 0)
    assert near_limits(analysis) == {"soql_queries": (101, 100)}
    assert analysis.limits["(default)"]["soql_queries"].log_line == 213
    assert not analysis.partial


def test_soql_loop_summary_names_the_limit_the_trigger_and_the_likely_cause() -> None:
    summary = parse_fixture("trigger_soql_loop_fatal.log").summary
    assert summary.startswith(
        "The transaction failed with an uncaught System.LimitException: Too many SOQL "
        "queries: 101 at line 18 of Class.ContactRollup.recalculate while running "
        "ContactTrigger on Contact trigger event AfterInsert."
    )
    assert "query probably runs inside a loop" in summary
    assert "SOQL queries reached 101 of 100 (101%) in namespace (default)" in summary


def test_slowest_query_of_the_loop_is_found_by_total_time() -> None:
    analysis = parse_fixture("trigger_soql_loop_fatal.log")
    slowest = analysis.slowest_of("soql").by_total
    assert slowest[0].total_ns == 48_000_000
    assert slowest[0].log_line == 89  # the 42nd query
    assert len(slowest) == 10
    [method] = analysis.slowest_of("method").by_total
    assert method.name == "ContactRollup.recalculate(List<Contact>)"
    assert method.self_ns == method.total_ns - sum(
        row.total_ns for row in analysis.aggregates if row.kind == "soql"
    )


def test_cpu_time_limit_names_the_busiest_method_and_every_near_limit() -> None:
    analysis = parse_fixture("cpu_time_limit_fatal.log")
    [fatal] = analysis.fatal_errors
    assert (fatal.type, fatal.message) == ("System.LimitException", "Apex CPU time limit exceeded")
    assert (fatal.log_line, fatal.source_line) == (21, "88")
    assert near_limits(analysis) == {
        "cpu_time": (10012, 10000),
        "heap_size": (5_340_000, 6_000_000),
        "query_rows": (41201, 50000),
    }
    busiest = analysis.slowest_of("method").by_self[0]
    assert busiest.name == "QuoteCalculator.applyDiscounts(QuoteLineItem)"
    assert busiest.log_line == 20
    assert (analysis.soql_count, analysis.dml_count, analysis.soql_rows) == (2, 0, 41201)
    summary = analysis.summary
    assert "uncaught System.LimitException: Apex CPU time limit exceeded at line 88" in summary
    assert "does too much work in one transaction" in summary
    assert "most time of its own was QuoteCalculator.applyDiscounts(QuoteLineItem)" in summary


def test_frames_left_open_by_the_cpu_failure_close_with_their_code_unit() -> None:
    analysis = parse_fixture("cpu_time_limit_fatal.log")
    [transaction] = analysis.tree.children
    [action] = transaction.children
    [unit] = action.children
    assert unit.name == "QuoteController.recalculate(Id)"
    load, price = unit.children
    assert not load.unterminated
    assert price.unterminated and price.end_ns == unit.end_ns
    assert [child.unterminated for child in price.children] == [False, False, False, True]
    assert not analysis.partial


def test_required_field_missing_is_the_failure_and_the_caught_validation_is_explained() -> None:
    analysis = parse_fixture("dml_validation_and_required_field.log")
    validation, required = analysis.exceptions_thrown
    assert validation.type == "System.DmlException"
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION, Close date cannot be in the past." in (
        validation.message
    )
    assert (validation.log_line, validation.source_line) == (20, "41")
    assert (required.log_line, required.source_line) == (28, "58")
    [fatal] = analysis.fatal_errors
    assert fatal.message == (
        "Insert failed. First exception on row 0; first error: REQUIRED_FIELD_MISSING, "
        "Required fields are missing: [LastName]: [LastName]"
    )
    assert (fatal.log_line, fatal.source_line) == (29, "58")
    assert (analysis.soql_count, analysis.dml_count, analysis.dml_rows) == (1, 2, 2)
    assert analysis.limits_near_max == ()
    assert "REQUIRED_FIELD_MISSING" in analysis.summary
    assert "a required field was left empty" in analysis.summary


def test_failed_validation_rule_keeps_its_multiline_formula_and_values() -> None:
    analysis = parse_fixture("dml_validation_and_required_field.log")
    assert analysis.validation_rules_evaluated == 2
    [failure] = analysis.validation_failures
    assert failure.rule == "Close_Date_Not_In_Past"
    assert failure.message == "Close date cannot be in the past."
    assert failure.formula == (
        "AND(\n  NOT(ISPICKVAL(StageName, 'Closed Lost')),\n  CloseDate < TODAY()\n)"
    )
    assert failure.values == "StageName=Prospecting , CloseDate=2024-01-15 00:00:00"
    assert "Validation rule Close_Date_Not_In_Past failed: Close date cannot be in the past." in (
        analysis.summary
    )


def test_flow_element_error_names_the_flow_the_element_and_the_message() -> None:
    analysis = parse_fixture("flow_element_error.log")
    assert analysis.flows == ("Case_Escalation_Follow_Up",)
    [error] = analysis.flow_errors
    assert error == FlowError(
        flow="Case_Escalation_Follow_Up",
        element="Create_Follow_Up_Task",
        element_type="FlowRecordCreate",
        message=(
            "This error occurred when the flow tried to create records: REQUIRED_FIELD_MISSING: "
            "Required fields are missing: [Region__c]. You can look up ExceptionCode values in "
            "the SOAP API Developer Guide."
        ),
        log_line=22,
    )
    assert analysis.fatal_errors == ()
    assert (analysis.soql_count, analysis.dml_count) == (1, 1)
    assert analysis.summary.startswith(
        "Flow Case_Escalation_Follow_Up failed at element Create_Follow_Up_Task "
        "(FlowRecordCreate): This error occurred when the flow tried to create records: "
        "REQUIRED_FIELD_MISSING"
    )


def test_flow_elements_nest_inside_the_flow_node() -> None:
    analysis = parse_fixture("flow_element_error.log")
    [transaction] = analysis.tree.children
    [unit] = transaction.children
    [flow] = unit.children
    assert (flow.kind, flow.name) == ("flow", "Case_Escalation_Follow_Up")
    assert [element.name for element in flow.children] == [
        "FlowDecision Is_Escalated",
        "FlowRecordLookup Get_Account_Region",
        "FlowRecordCreate Create_Follow_Up_Task",
    ]
    assert flow.children[2].children[0].kind == "dml"


def test_flow_fault_path_is_reported_as_handled() -> None:
    analysis = parse_log_text(
        "60.0 WORKFLOW,FINER\n"
        "09:00:00.0 (100)|FLOW_CREATE_INTERVIEW_END|abc-1|Lead_Router\n"
        "09:00:00.0 (200)|FLOW_START_INTERVIEWS_BEGIN|1\n"
        "09:00:00.0 (300)|FLOW_START_INTERVIEW_BEGIN|abc-1|Lead_Router\n"
        "09:00:00.0 (400)|FLOW_ELEMENT_BEGIN|abc-1|FlowActionCall|Notify_Owner\n"
        "09:00:00.0 (500)|FLOW_ELEMENT_FAULT|The email limit was reached.|FlowActionCall|"
        "Notify_Owner\n"
        "09:00:00.0 (600)|FLOW_ELEMENT_END|abc-1|FlowActionCall|Notify_Owner\n"
        "09:00:00.0 (700)|FLOW_START_INTERVIEWS_END|1\n"
    )
    [fault] = analysis.flow_errors
    assert fault.handled
    assert (fault.flow, fault.element, fault.message) == (
        "Lead_Router",
        "Notify_Owner",
        "The email limit was reached.",
    )
    assert (
        "Flow Lead_Router took its fault path at element Notify_Owner (FlowActionCall): "
        "The email limit was reached." in analysis.summary
    )


def test_flow_error_without_element_fields_uses_the_element_being_run() -> None:
    analysis = parse_log_text(
        "60.0 WORKFLOW,FINER\n"
        "09:00:00.0 (300)|FLOW_START_INTERVIEW_BEGIN|abc-1|Lead_Router\n"
        "09:00:00.0 (400)|FLOW_ELEMENT_BEGIN|abc-1|FlowAssignment|Set_Owner\n"
        "09:00:00.0 (500)|FLOW_ELEMENT_ERROR|An unhandled fault has occurred in this flow\n"
        "09:00:00.0 (600)|FLOW_ELEMENT_END|abc-1|FlowAssignment|Set_Owner\n"
    )
    [error] = analysis.flow_errors
    assert (error.flow, error.element, error.element_type) == (
        "Lead_Router",
        "Set_Owner",
        "FlowAssignment",
    )
    assert error.message == "An unhandled fault has occurred in this flow"


def test_queueable_enqueue_limit_uses_the_asynchronous_limits() -> None:
    analysis = parse_fixture("queueable_enqueue_limit.log")
    [fatal] = analysis.fatal_errors
    assert (fatal.type, fatal.message) == (
        "System.LimitException",
        "Too many queueable jobs added to the queue: 2",
    )
    assert (fatal.log_line, fatal.source_line) == (17, "31")
    assert fatal.code_unit == "OrderSyncJob.execute(QueueableContext)"
    assert near_limits(analysis) == {
        "queueable_jobs": (2, 1),
        "dml_rows": (9800, 10000),
        "heap_size": (10_250_000, 12_000_000),
    }
    assert analysis.limits["(default)"]["soql_queries"].limit == 200
    assert analysis.limits["(default)"]["cpu_time"].limit == 60_000
    assert analysis.limits["acmesync"]["soql_queries"].used == 1
    assert analysis.limit_blocks == 2
    assert (analysis.soql_count, analysis.dml_count) == (2, 1)
    summary = analysis.summary
    assert "Too many queueable jobs added to the queue: 2 at line 31" in summary
    assert "a running Queueable may enqueue only one" in summary
    assert "while running" not in summary  # the stack frame already names the job


def test_future_call_limit_is_explained() -> None:
    analysis = parse_log_text(
        "62.0 APEX_CODE,FINE\n"
        "01:00:00.0 (100)|CODE_UNIT_STARTED|[EXTERNAL]|01p000000000001|Notifier.sendAll()\n"
        "01:00:00.0 (200)|FATAL_ERROR|System.LimitException: Too many future calls: 51\n"
        "\n"
        "Class.Notifier.sendAll: line 9, column 1\n"
        "01:00:00.0 (300)|CODE_UNIT_FINISHED|Notifier.sendAll()\n"
    )
    assert analysis.fatal_errors[0].message == "Too many future calls: 51"
    assert "more @future calls were made than one transaction allows (50)" in analysis.summary


def test_flow_that_could_not_start_is_named() -> None:
    analysis = parse_log_text(
        "60.0 WORKFLOW,FINER\n"
        "09:00:00.0 (100)|FLOW_START_INTERVIEWS_BEGIN|1\n"
        "09:00:00.0 (200)|FLOW_START_INTERVIEWS_ERROR|The flow could not start.\n"
        "Its active version was deleted.|3b2a1|Renewal_Reminder\n"
        "09:00:00.0 (300)|FLOW_START_INTERVIEWS_END|1\n"
    )
    [error] = analysis.flow_errors
    assert (error.flow, error.element, error.log_line) == ("Renewal_Reminder", "", 3)
    assert error.message == "The flow could not start. Its active version was deleted."
    assert analysis.summary.startswith(
        "Flow Renewal_Reminder failed: The flow could not start. Its active version was deleted."
    )
