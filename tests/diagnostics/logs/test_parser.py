"""Scenarios an admin pastes: limit exceptions, DML failures, flows, cut logs."""

from __future__ import annotations

from pathlib import Path

from sfagent.diagnostics.logs import LogAnalysis, parse_log, parse_log_text
from sfagent.diagnostics.logs.tree import MAX_TREE_NODES

FIXTURES = Path(__file__).parent / "fixtures"


def parse_fixture(name: str) -> LogAnalysis:
    return parse_log(FIXTURES / name)


def test_soql_limit_fatal_error_is_reported_with_type_message_and_line() -> None:
    analysis = parse_fixture("soql_limit_fatal.log")
    [fatal] = analysis.fatal_errors
    assert fatal.type == "System.LimitException"
    assert fatal.message == "Too many SOQL queries: 101"
    assert fatal.log_line == 20
    assert fatal.source_line == "47"
    assert fatal.stack[0] == "Class.ContactService.syncAccounts: line 47, column 1"
    assert "Too many SOQL queries: 101" in analysis.summary
    assert "loop" in analysis.summary


def test_lines_before_the_header_are_skipped() -> None:
    analysis = parse_fixture("soql_limit_fatal.log")
    assert analysis.header is not None
    assert analysis.header.api_version == "58.0"
    assert analysis.header.levels["APEX_CODE"] == "FINEST"
    assert analysis.preamble_lines == 2


def test_limits_at_or_above_eighty_percent_are_listed() -> None:
    analysis = parse_fixture("soql_limit_fatal.log")
    near = {usage.key: usage for usage in analysis.limits_near_max}
    assert set(near) == {"soql_queries", "cpu_time"}
    assert (near["soql_queries"].used, near["soql_queries"].limit) == (101, 100)
    assert near["soql_queries"].flagged_close
    assert near["cpu_time"].log_line == 30
    assert analysis.limits["(default)"]["dml_statements"].used == 1
    assert "Close to a governor limit" in analysis.summary


def test_soql_and_dml_are_counted_and_timed() -> None:
    analysis = parse_fixture("soql_limit_fatal.log")
    assert (analysis.soql_count, analysis.dml_count) == (3, 1)
    assert analysis.soql_rows == 2
    slowest = analysis.slowest_of("soql").by_total[0]
    assert slowest.total_ns == 70_000_000
    assert slowest.source_line == "47"
    assert "SELECT Id, Name FROM Account" in slowest.name


def test_multiline_soql_and_debug_text_do_not_count_as_events() -> None:
    analysis = parse_fixture("soql_limit_fatal.log")
    assert analysis.event_counts["USER_DEBUG"] == 1
    assert analysis.timestamped_lines == sum(analysis.event_counts.values())
    assert analysis.source.line_count == 37


def test_tree_nests_trigger_inside_dml_inside_anonymous_apex() -> None:
    analysis = parse_fixture("soql_limit_fatal.log")
    [transaction] = analysis.tree.children
    [anonymous] = transaction.children
    [dml] = anonymous.children
    [trigger] = dml.children
    assert anonymous.name == "execute_anonymous_apex"
    assert trigger.name == "ContactTrigger on Contact trigger event AfterInsert"
    # The fatal error left the DML without DML_END: the enclosing unit's end closes it.
    assert dml.unterminated and not trigger.unterminated
    assert dml.end_ns == anonymous.end_ns == 900_300_000
    assert not analysis.partial


def test_dml_exception_from_validation_rule_is_explained() -> None:
    analysis = parse_fixture("dml_validation_fatal.log")
    [thrown] = analysis.exceptions_thrown
    [fatal] = analysis.fatal_errors
    assert thrown.type == fatal.type == "System.DmlException"
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in fatal.message
    assert thrown.source_line == "14"
    assert fatal.source_line == "14"
    [failure] = analysis.validation_failures
    assert failure.rule == "Amount_Must_Be_Positive"
    assert failure.message == "Amount must be positive."
    assert "validation rule rejected the record" in analysis.summary
    assert not analysis.partial


def test_dml_self_time_excludes_the_validation_code_unit() -> None:
    analysis = parse_fixture("dml_validation_fatal.log")
    [dml] = analysis.slowest_of("dml").by_total
    assert dml.total_ns == 5_000_000
    assert dml.self_ns == 5_000_000 - 300_000


def test_flow_interview_is_a_node_with_its_query_inside() -> None:
    analysis = parse_fixture("record_triggered_flow.log")
    assert analysis.flows == ("Account_After_Save",)
    [flow] = analysis.slowest_of("flow").by_total
    assert flow.name == "Account_After_Save"
    assert flow.total_ns == 3_000_000 - 5_000
    [flow_node] = analysis.tree.children[0].children[0].children
    [element] = flow_node.children
    assert element.kind == "flow_element"
    assert element.children[0].kind == "soql"
    assert element.children[0].detail == "Rows:3"


def test_log_cut_by_size_limit_is_partial() -> None:
    analysis = parse_fixture("cut_by_size_limit.log")
    assert analysis.truncated_marker
    assert analysis.partial
    assert analysis.open_at_end == analysis.unterminated_frames == 4
    assert analysis.last_ns == 9_600_000_000
    assert "cut" in analysis.summary


def test_log_cut_without_marker_is_partial() -> None:
    text = (FIXTURES / "dml_validation_fatal.log").read_text(encoding="utf-8")
    cut = "\n".join(text.splitlines()[:8])
    analysis = parse_log_text(cut)
    assert not analysis.truncated_marker
    assert analysis.partial
    assert analysis.tree.children[0].unterminated


def test_complete_log_without_errors_says_so() -> None:
    analysis = parse_fixture("record_triggered_flow.log")
    assert not analysis.partial
    assert analysis.summary.startswith("No errors")


def test_huge_logs_keep_aggregates_not_every_node() -> None:
    def lines() -> list[str]:
        out = ["62.0 APEX_CODE,FINEST", "00:00:00.0 (1)|EXECUTION_STARTED"]
        for i in range(3 * MAX_TREE_NODES):
            out.append(f"00:00:00.0 ({10 * i + 2})|METHOD_ENTRY|[5]|01p|Loop.step()")
            out.append(f"00:00:00.0 ({10 * i + 7})|METHOD_EXIT|[5]|01p|Loop.step()")
        out.append(f"00:00:00.0 ({30 * MAX_TREE_NODES + 9})|EXECUTION_FINISHED")
        return out

    analysis = parse_log(lines())
    assert analysis.tree_nodes_kept == MAX_TREE_NODES
    assert analysis.tree_nodes_omitted == 3 * MAX_TREE_NODES - (MAX_TREE_NODES - 2)
    [step] = [row for row in analysis.aggregates if row.name == "Loop.step()"]
    assert (step.count, step.total_ns, step.max_ns) == (3 * MAX_TREE_NODES, 15 * MAX_TREE_NODES, 5)
