"""Best-practice rules: test methods missing @IsTest, and unused local variables."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.apex.evaluation import PmdCase, run_case
from tests.diagnostics.apex.conftest import findings_of, lines_of, pmd_cases_for


def test_asserting_methods_in_a_test_class_need_is_test() -> None:
    code = """@IsTest
private class InvoiceServiceTest {
    @TestSetup
    static void data() {
        insert new Account(Name = 'Acme');
    }
    static void totalsAreSummed() {
        System.assertEquals(3, InvoiceService.total(new List<Integer>{1, 2}));
    }
    static testMethod void legacyStyle() {
        System.assert(true);
    }
    @IsTest
    static void annotated() {
        System.assertNotEquals(null, InvoiceService.total(null));
    }
    static void usesAssertClass() {
        Assert.areEqual(1, 1);
    }
    public class Helper {
        void check() { System.assert(false); }
    }
}"""
    findings = findings_of("ApexUnitTestMethodShouldHaveIsTestAnnotation", code)
    assert [f.span.line for f in findings] == [7]
    assert "totalsAreSummed" in findings[0].message


def test_assertions_outside_test_classes_are_not_this_rules_business() -> None:
    code = "public class Guard {\n    void check() {\n        System.assert(ready());\n    }\n}"
    assert lines_of("ApexUnitTestMethodShouldHaveIsTestAnnotation", code) == []


def test_unused_locals_in_a_realistic_service() -> None:
    code = """public with sharing class RenewalService {
    public List<Opportunity> renewals(Set<Id> accountIds, Date cutoff) {
        Integer batchSize = 200;
        String stage = 'Closed Won';
        String unusedLabel = 'Renewal';
        List<Opportunity> result = [
            SELECT Id, Name FROM Opportunity
            WHERE AccountId IN :accountIds AND StageName = :stage AND CloseDate > :cutoff
            LIMIT :batchSize
        ];
        Account parent = new Account();
        String parentName = parent.Name;
        for (Integer i = 0, j = 0; i < result.size(); i++) {
            result[i].Description = 'renewal';
        }
        return result;
    }
}"""
    findings = findings_of("UnusedLocalVariable", code)
    assert [(f.span.line, f.message) for f in findings] == [
        (5, "Local variable `unusedLabel` is declared but never used."),
        (12, "Local variable `parentName` is declared but never used."),
        (13, "Local variable `j` is declared but never used."),
    ]


def test_binds_in_dynamic_soql_strings_count_as_uses() -> None:
    code = """public class Finder {
    public List<Account> find(String key) {
        String region = 'EMEA';
        Integer cap = 10;
        String soql = 'SELECT Id FROM Account WHERE Region__c = : region';
        soql += ' LIMIT :cap';
        String orphan = 'x';
        String label = 'WHERE Name = :orphan';
        System.debug(label);
        return Database.query(soql);
    }
}"""
    # `orphan` is only named in a string that never reaches Database.query.
    assert lines_of("UnusedLocalVariable", code) == [7]


def test_sosl_binds_count_as_uses() -> None:
    code = """public class Search {
    public List<List<SObject>> run() {
        String term = 'acme';
        return [FIND :term IN ALL FIELDS RETURNING Account(Id)];
    }
}"""
    assert lines_of("UnusedLocalVariable", code) == []


def test_usage_is_judged_by_name_within_the_declaring_block() -> None:
    code = """public class Scopes {
    private String shared;
    void a() {
        String shared = 'shadow';
    }
    void b(Boolean flag) {
        if (flag) { Integer inner = 1; }
        Integer outer = 2;
        if (flag) { outer++; }
        Integer viaMethodNameOnly = 3;
        viaMethodNameOnly();
        Integer viaChainEnd = 4;
        this.helper.viaChainEnd = 5;
        Integer viaChainMiddle = 6;
        helperRef.viaChainMiddle.x = 7;
        Integer afterThis = 8;
        this.afterThis.x = 9;
    }
}"""
    # PMD counts the first and last names of a dotted chain, never a middle one.
    assert lines_of("UnusedLocalVariable", code) == [4, 7, 10, 14]


def test_top_level_trigger_statements_are_not_checked_but_nested_blocks_are() -> None:
    code = """trigger AccountTrigger on Account (before insert) {
    Integer unusedAtTop = 1;
    for (Account acc : Trigger.new) {
        String unusedInLoop = acc.Name;
    }
}"""
    assert lines_of("UnusedLocalVariable", code) == [4]


RULES = ("ApexUnitTestMethodShouldHaveIsTestAnnotation", "UnusedLocalVariable")
PMD_CASES = [case for rule in RULES for case in pmd_cases_for(rule)]


@pytest.mark.usefixtures("require_pmd_data")
@pytest.mark.parametrize("case", PMD_CASES, ids=lambda case: case.case_id)
def test_bestpractice_rules_agree_with_pmd_cases(case: PmdCase) -> None:
    outcome = run_case(case)
    assert outcome.agreed, (case.expected_problems, case.expected_lines, outcome.lines)
