"""Unit-test rules on our own snippets: assertions, runAs, SeeAllData, assertion messages."""

from __future__ import annotations

from tests.diagnostics.apex.conftest import lines_of

TESTS = """@IsTest
private class AccountServiceTest {
    @IsTest
    static void createsContacts() {
        Account a = new Account(Name = 'Acme');
        insert a;
        Assert.areEqual(1, [SELECT COUNT() FROM Contact WHERE AccountId = :a.Id]);
    }
    @IsTest(SeeAllData=true)
    static void onlyRuns() {
        User u = [SELECT Id FROM User WHERE IsActive = true LIMIT 1];
        System.runAs(u) {
            new AccountService().run();
        }
    }
    static testMethod void legacy() {
        System.assert(true, 'always');
    }
    static void helper() {
    }
}"""


def test_tests_without_assertions_are_flagged() -> None:
    assert lines_of("ApexUnitTestClassShouldHaveAsserts", TESTS) == [9]


def test_additional_assert_pattern_counts_custom_assertion_helpers() -> None:
    code = """@IsTest
private class T {
    @IsTest static void usesHelper() { TestAsserts.expectOne(1); }
}"""
    assert lines_of("ApexUnitTestClassShouldHaveAsserts", code) == [3]
    pattern = r"testasserts\..*"
    assert (
        lines_of("ApexUnitTestClassShouldHaveAsserts", code, additionalAssertMethodPattern=pattern)
        == []
    )


def test_tests_without_run_as_are_flagged() -> None:
    assert lines_of("ApexUnitTestClassShouldHaveRunAs", TESTS) == [3, 16]


def test_see_all_data_true_is_reported_on_the_parameter_in_any_case() -> None:
    code = "@isTest(\n  isParallel = false,\n  SEEALLDATA = TRUE\n)\nprivate class T {}"
    assert lines_of("ApexUnitTestShouldNotUseSeeAllDataTrue", code) == [3]
    assert lines_of("ApexUnitTestShouldNotUseSeeAllDataTrue", TESTS) == [9]


def test_assertions_without_messages_only_in_test_classes() -> None:
    assert lines_of("ApexAssertionsShouldIncludeMessage", TESTS) == [7]
    not_a_test = "public class Util { void a() { System.assert(false); } }"
    assert lines_of("ApexAssertionsShouldIncludeMessage", not_a_test) == []
