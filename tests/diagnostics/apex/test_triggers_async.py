"""Trigger and async rules on our own snippets, plus PMD's own test cases for them."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.apex.evaluation import PmdCase, run_case
from tests.diagnostics.apex.conftest import findings_of, lines_of, pmd_cases_for

RULES = (
    "AvoidLogicInTrigger",
    "AvoidDirectAccessTriggerMap",
    "AvoidFutureAnnotation",
    "QueueableWithoutFinalizer",
    "AvoidStatefulDatabaseResult",
    "AvoidGlobalModifier",
)


@pytest.mark.parametrize(
    "case", [case for rule in RULES for case in pmd_cases_for(rule)], ids=lambda c: c.case_id
)
def test_agrees_with_pmd_test_case(require_pmd_data: None, case: PmdCase) -> None:
    outcome = run_case(case)
    assert outcome.agreed, (case.expected_problems, case.expected_lines, outcome.lines)


def test_trigger_with_a_loop_holds_logic() -> None:
    code = """trigger OpportunityTrigger on Opportunity (before update) {
    for (Opportunity opp : Trigger.new) {
        opp.Description = 'Updated';
    }
}"""
    [finding] = findings_of("AvoidLogicInTrigger", code)
    assert finding.line == 1
    assert (
        finding.message
        == "Trigger OpportunityTrigger holds logic instead of calling a handler class"
    )


def test_trigger_delegating_to_a_handler_is_fine() -> None:
    code = """trigger OpportunityTrigger on Opportunity (before insert, before update) {
    OpportunityTriggerHandler.run(Trigger.operationType, Trigger.new, Trigger.oldMap);
}"""
    assert lines_of("AvoidLogicInTrigger", code) == []


def test_literal_index_into_trigger_lists_is_reported_like_pmd() -> None:
    code = """trigger AccountTrigger on Account (before update) {
    Account first = Trigger.new[0];
    Account previous = Trigger.old[0];
    Account some = Trigger.old[i];
    List<Account> all = Trigger.new;
}"""
    findings = findings_of("AvoidDirectAccessTriggerMap", code)
    assert [f.line for f in findings] == [2, 3]
    assert findings[0].message == "Trigger.new[0] reads a single trigger record"


def test_indexing_in_a_statement_the_grammar_cannot_parse_is_still_found() -> None:
    code = """trigger AccountTrigger on Account (before insert) {
    // Trigger.new[5] in a comment of its own is not code
    Trigger.new[0].Name = 'Renamed';
}"""
    assert lines_of("AvoidDirectAccessTriggerMap", code) == [3]


def test_trigger_index_in_a_handler_class_is_reported() -> None:
    code = "public class H { void run() { Account a = Trigger.new[0]; } }"
    assert lines_of("AvoidDirectAccessTriggerMap", code) == [1]


def test_future_annotations_are_reported_on_the_annotation() -> None:
    code = """public class Sync {
    @FUTURE(callout=true)
    public static void push(Set<Id> ids) { }
    @AuraEnabled
    public static void other() { }
}"""
    [finding] = findings_of("AvoidFutureAnnotation", code)
    assert finding.line == 2
    assert finding.message == "@future method push: prefer a Queueable"


def test_queueable_execute_without_finalizer_is_reported() -> None:
    code = """public class SyncJob implements System.Queueable, Database.AllowsCallouts {
    public void execute(QueueableContext context) {
        new ErpClient().push();
    }
    public void execute(String other) { }
}"""
    [finding] = findings_of("QueueableWithoutFinalizer", code)
    assert finding.line == 2
    assert finding.message == "Queueable SyncJob.execute never attaches a Finalizer"


def test_queueable_attaching_a_finalizer_or_non_queueable_class_is_fine() -> None:
    code = """public class SyncJob implements Queueable {
    public void execute(QueueableContext context) {
        System.attachFinalizer(new SyncJobFinalizer());
        new ErpClient().push();
    }
}
public class NotAJob {
    public void execute(QueueableContext context) { }
}"""
    assert lines_of("QueueableWithoutFinalizer", code) == []


def test_stateful_batch_result_fields_are_reported_per_variable() -> None:
    code = """public class Cleanup implements Database.Batchable<SObject>, Database.Stateful {
    private List<Database.SaveResult> saved, failed;
    private Map<Id, Database.DeleteResult> deleted = new Map<Id, Database.DeleteResult>();
    private transient List<Database.SaveResult> scratch;
    private static Database.UpsertResult lastUpsert;
    private Integer processed = 0;
    public Database.QueryLocator start(Database.BatchableContext bc) { return null; }
    public void execute(Database.BatchableContext bc, List<SObject> scope) { }
    public void finish(Database.BatchableContext bc) { }
}"""
    findings = findings_of("AvoidStatefulDatabaseResult", code)
    assert [f.line for f in findings] == [2, 2, 3]
    assert findings[0].message == (
        "Stateful batch field saved keeps List<Database.SaveResult> between chunks"
    )


def test_result_fields_of_a_non_stateful_batch_are_fine() -> None:
    code = """public class Cleanup implements Database.Batchable<SObject> {
    private List<Database.SaveResult> saved;
}"""
    assert lines_of("AvoidStatefulDatabaseResult", code) == []


def test_global_top_level_types_are_reported_once() -> None:
    code = """global with sharing class PublicApi {
    global class Inner { }
    global static void call() { }
}"""
    assert lines_of("AvoidGlobalModifier", code) == [1]
    assert lines_of("AvoidGlobalModifier", "global interface Plugin { void run(); }") == [1]


def test_web_services_and_public_classes_may_be_global() -> None:
    rest = """@RestResource(urlMapping='/orders/*')
global with sharing class OrdersResource {
    @HttpGet global static String get() { return ''; }
}"""
    soap = "global class Loans { webservice static void apply() { } }"
    assert lines_of("AvoidGlobalModifier", rest) == []
    assert lines_of("AvoidGlobalModifier", soap) == []
    assert lines_of("AvoidGlobalModifier", "public class Service { }") == []


def test_result_fields_of_classes_nested_in_a_stateful_batch_count_too() -> None:
    code = """public class Cleanup implements Database.Batchable<SObject>, Database.Stateful {
    private List<Failure> failures = new List<Failure>();
    class Failure {
        Database.SaveResult result;
    }
}"""
    assert lines_of("AvoidStatefulDatabaseResult", code) == [4]
