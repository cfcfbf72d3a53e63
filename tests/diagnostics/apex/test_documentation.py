"""ApexDoc rule on our own snippets: which declarations need docs and what a doc must hold."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.apex.evaluation import PmdCase, run_case
from sfagent.diagnostics.apex.rules.documentation import parse_apexdoc
from tests.diagnostics.apex.conftest import findings_of, lines_of, pmd_cases_for

SERVICE = """/**
 * Creates and updates customer accounts.
 */
public with sharing class AccountService {
    /**
     * Creates an account.
     * @param name the account name
     * @param industry the industry picklist value
     * @return the inserted account
     */
    public Account create(String name, String industry) {
        return null;
    }

    public void archive(Id accountId) { }

    /**
     * @param accountId the account
     */
    public void restore(Id accountId) { }

    /**
     * Counts accounts.
     * @param scope which accounts
     */
    global Integer count(String scope) { return 0; }

    private void helper() { }

    public override String toString() { return ''; }

    public String region { get; set; }
}"""


def test_public_methods_without_apexdoc_are_reported_on_their_signature_line() -> None:
    messages = {f.line: f.message for f in findings_of("ApexDoc", SERVICE)}
    assert messages == {
        15: "Method `archive` has no ApexDoc comment",
        20: "The ApexDoc of method `restore` has no description before its tags",
        26: "The ApexDoc of method `count` has no `@return` tag",
        32: "Property `region` has no ApexDoc comment",
    }


def test_private_and_protected_members_are_reported_only_when_asked() -> None:
    assert 28 not in lines_of("ApexDoc", SERVICE)
    assert 28 in lines_of("ApexDoc", SERVICE, reportPrivate=True)
    code = "/**\n * Base.\n */\npublic virtual class Base {\n    protected void hook() { }\n}"
    assert lines_of("ApexDoc", code) == []
    assert lines_of("ApexDoc", code, reportProtected=True) == [5]


def test_properties_and_missing_descriptions_can_be_switched_off() -> None:
    assert 32 not in lines_of("ApexDoc", SERVICE, reportProperty=False)
    assert 20 not in lines_of("ApexDoc", SERVICE, reportMissingDescription=False)


def test_params_must_match_names_and_order() -> None:
    code = """/**
 * Mapper.
 */
public class Mapper {
    /**
     * Maps a record.
     * @param target where to copy
     * @param source what to copy
     */
    public void copy(SObject source, SObject target) { }
}"""
    [finding] = findings_of("ApexDoc", code)
    assert finding.line == 10
    assert "expected in order: source, target" in finding.message


def test_test_classes_interfaces_and_annotations() -> None:
    assert lines_of("ApexDoc", "@IsTest\npublic class AccountServiceTest { }") == []
    assert lines_of("ApexDoc", "public interface Notifier {\n    void notify(Id id);\n}") == [1, 2]
    annotated = (
        "/**\n * Controller.\n */\npublic class Ctl {\n"
        "    @AuraEnabled\n    public static void go() { }\n}"
    )
    assert lines_of("ApexDoc", annotated) == [6]


def test_a_doc_comment_belongs_to_the_next_declaration() -> None:
    # PMD attaches the comment to the field, not to the method after it.
    code = """/**
 * Holder.
 */
public class Holder {
    /** The value. */
    public Integer value;
    public Integer read() { return value; }
}"""
    assert lines_of("ApexDoc", code) == [7]


def test_parse_apexdoc_reads_description_return_and_params() -> None:
    doc = parse_apexdoc("/**\n * Sends it.\n * @param to recipient\n * @return true when sent\n */")
    assert doc.has_description and doc.has_return and doc.params == ["to"]
    tags_only = parse_apexdoc("/**\n * @param to recipient\n */")
    assert not tags_only.has_description
    assert parse_apexdoc("/** @description Sends it. */").has_description


PMD_CASES = pmd_cases_for("ApexDoc")


@pytest.mark.usefixtures("require_pmd_data")
@pytest.mark.parametrize("case", PMD_CASES, ids=lambda case: case.case_id)
def test_apexdoc_agrees_with_pmd_cases(case: PmdCase) -> None:
    outcome = run_case(case)
    assert outcome.agreed, (case.expected_problems, case.expected_lines, outcome.lines)
