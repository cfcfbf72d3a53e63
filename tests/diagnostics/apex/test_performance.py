"""Performance rules on our own snippets, plus PMD's own test cases for them."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.apex.evaluation import PmdCase, run_case
from sfagent.diagnostics.apex.source import ApexSource
from tests.diagnostics.apex.conftest import findings_of, lines_of, pmd_cases_for

RULES = (
    "OperationWithLimitsInLoop",
    "OperationWithHighCostInLoop",
    "AvoidNonRestrictiveQueries",
    "EagerlyLoadedDescribeSObjectResult",
    "AvoidDebugStatements",
    "DebugsShouldUseLoggingLevel",
)

CONTACT_TRIGGER = """trigger ContactTrigger on Contact (before insert, before update) {
    for (Contact c : Trigger.new) {
        Account parent = [SELECT Id, Industry FROM Account WHERE Id = :c.AccountId];
        c.Description = parent.Industry;
    }
}"""


@pytest.mark.parametrize(
    "case", [case for rule in RULES for case in pmd_cases_for(rule)], ids=lambda c: c.case_id
)
def test_agrees_with_pmd_test_case(require_pmd_data: None, case: PmdCase) -> None:
    outcome = run_case(case)
    assert outcome.agreed, (case.expected_problems, case.expected_lines, outcome.lines)


def test_query_in_trigger_loop_names_the_object_loop_and_limit() -> None:
    [finding] = findings_of("OperationWithLimitsInLoop", CONTACT_TRIGGER)
    assert finding.line == 3
    assert finding.message == "SOQL query on Account inside the for loop over Trigger.new (line 2)"
    assert "100" in finding.why and "200" in finding.why
    assert finding.limit == ("100 SOQL queries per synchronous transaction, 200 asynchronous")
    assert finding.details["loop_driven_by"] == "trigger"
    assert finding.example is not None and "IN :accountIds" in finding.example


def test_dml_in_every_kind_of_loop_is_reported() -> None:
    code = """public class Loader {
    void run(List<Account> accounts) {
        for (Integer i = 0; i < 10; i++) { insert new Account(Name = 'A' + i); }
        while (accounts.size() > 0) { delete accounts.remove(0); }
        do { upsert accounts; } while (false);
        for (Account a : accounts) update a;
    }
}"""
    findings = findings_of("OperationWithLimitsInLoop", code)
    assert [f.line for f in findings] == [3, 4, 5, 6]
    assert all("150" in f.why for f in findings)
    assert findings[0].message.startswith("DML statement `insert new Account(")


def test_operations_run_once_are_not_reported() -> None:
    code = """public class Ok {
    List<Account> load(Set<Id> ids) {
        List<Account> rows = [SELECT Id FROM Account WHERE Id IN :ids];
        for (Contact c : [SELECT Id FROM Contact WHERE AccountId IN :ids]) { }
        for (List<SObject> found : [FIND 'acme' RETURNING Account(Id)]) { }
        for (;;) { return [SELECT Id FROM Account WHERE Id IN :ids]; }
        Database.insert(rows, false);
        return rows;
    }
}"""
    assert lines_of("OperationWithLimitsInLoop", code) == []


def test_database_approval_email_and_async_calls_in_loops_are_reported() -> None:
    code = """public class Jobs {
    void run(List<Account> accounts) {
        for (Account a : accounts) {
            Database.query('SELECT Id FROM Contact');
            System.Database.executeBatch(new CleanupBatch());
            Approval.process(new Approval.ProcessSubmitRequest());
            Messaging.sendEmail(new Messaging.SingleEmailMessage[]{});
            System.enqueueJob(new SyncJob(a.Id));
            System.schedule('x', '0 0 0 1 1 ?', new Nightly());
            System.debug(a);
            helper.sendEmail(a);
        }
    }
}"""
    findings = findings_of("OperationWithLimitsInLoop", code)
    assert [f.line for f in findings] == [4, 5, 6, 7, 8, 9]
    assert "10 Messaging.sendEmail" in findings[3].why
    assert "50 jobs" in findings[4].why
    assert all(f.example is None for f in findings[1:])


def test_run_as_block_in_a_test_loop_counts_as_dml() -> None:
    code = """@IsTest private class T {
    @IsTest static void each() {
        for (User u : [SELECT Id FROM User WHERE IsActive = true LIMIT 5]) {
            System.runAs(u) { new Service().run(); }
        }
    }
}"""
    [finding] = findings_of("OperationWithLimitsInLoop", code)
    assert finding.line == 4 and "DML statement" in finding.why


def test_describe_calls_are_costly_only_inside_loops() -> None:
    code = """public class Fields {
    void check(List<String> names) {
        Map<String, Schema.SObjectType> all = Schema.getGlobalDescribe();
        for (String name : names) {
            Schema.SObjectType t = Schema.getGlobalDescribe().get(name);
            List<DescribeSObjectResult> d = System.Schema.describeSObjects(new String[]{name});
            MySchema.getGlobalDescribe();
        }
    }
}"""
    findings = findings_of("OperationWithHighCostInLoop", code)
    assert [f.line for f in findings] == [5, 6]
    assert findings[0].message == (
        "Schema.getGlobalDescribe() call inside the for loop over names (line 4)"
    )


def test_unfiltered_queries_are_reported_but_where_limit_and_subqueries_follow_pmd() -> None:
    code = """public class Reads {
    void run(Id id) {
        List<Account> all = [SELECT Id, (SELECT Id FROM Contacts) FROM Account];
        List<Account> one = [SELECT Id FROM Account LIMIT 1];
        List<Account> mine = [SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE Id = :id];
        List<Account> semi = [SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)];
        List<List<SObject>> hits = [FIND 'acme' IN ALL FIELDS RETURNING Account(Id)];
        List<Account> limits = [SELECT Id, Credit_Limit FROM Account];
        List<SObject> dynamic = Database.query('SELECT Id FROM Account');
    }
}"""
    findings = findings_of("AvoidNonRestrictiveQueries", code)
    assert [f.line for f in findings] == [3, 7, 8]
    assert findings[0].message == "SOQL query on Account has no WHERE or LIMIT clause"
    assert findings[1].message == "SOSL search has no WHERE or LIMIT clause"


def test_test_methods_are_exempt_unless_they_see_all_data() -> None:
    code = """@IsTest
private class ReadsTest {
    @IsTest static void own() { List<Account> a = [SELECT Id FROM Account]; }
    @IsTest(SeeAllData=true) static void org() { List<Account> a = [SELECT Id FROM Account]; }
    static testMethod void legacy() { List<Account> a = [SELECT Id FROM Account]; }
    static void helper() { List<Account> a = [SELECT Id FROM Account]; }
}"""
    assert lines_of("AvoidNonRestrictiveQueries", code) == [4, 6]


def test_describes_without_options_are_eager() -> None:
    code = """public class Describe {
    void run(SObjectDescribeOptions opts) {
        Account.SObjectType.getDescribe();
        Schema.SObjectType.Account.getDescribe();
        Account.SObjectType.getDescribe(SObjectDescribeOptions.DEFERRED);
        Account.SObjectType.getDescribe(Schema.SObjectDescribeOptions.DEFERRED);
        Account.SObjectType.getDescribe(opts);
        Schema.SObjectType.Account.fields.Name.getDescribe();
        Schema.describeSObjects(new List<String>{'Account'});
        Schema.describeSObjects(new List<String>{'Account'}, SObjectDescribeOptions.FULL);
        Account.SObjectType.getDescribe(SObjectDescribeOptions.DEFAULT);
    }
}"""
    assert lines_of("EagerlyLoadedDescribeSObjectResult", code) == [3, 4, 9]
    strict = findings_of("EagerlyLoadedDescribeSObjectResult", code, noDefault="true")
    assert [f.line for f in strict] == [3, 4, 9, 11]
    assert "(eager before 44.0)" in strict[-1].message


def test_every_system_debug_is_reported_but_not_other_debug_methods() -> None:
    code = """public class Logs {
    void run(Logger logger) {
        System.debug('start');
        system.DEBUG(LoggingLevel.ERROR, 'failed');
        logger.debug('fine');
    }
}"""
    assert lines_of("AvoidDebugStatements", code) == [3, 4]


def test_debug_without_level_and_strict_mode_debug_level() -> None:
    code = """public class Logs {
    void run(String message) {
        System.debug(message);
        System.debug(LoggingLevel.DEBUG, message);
        System.debug(LoggingLevel.WARN, message);
    }
}"""
    assert lines_of("DebugsShouldUseLoggingLevel", code) == [3]
    assert lines_of("DebugsShouldUseLoggingLevel", code, strictMode="true") == [3, 4]


def test_every_generated_example_for_the_realistic_trigger_parses() -> None:
    [finding] = findings_of("OperationWithLimitsInLoop", CONTACT_TRIGGER)
    assert finding.example is not None
    assert ApexSource(finding.example).root.has_error is False
