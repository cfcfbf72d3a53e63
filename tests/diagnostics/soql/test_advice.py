"""Each advice rule fires on the problem and stays quiet on the good form."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sfagent.diagnostics.findings import Finding, Severity
from sfagent.diagnostics.soql import analyze_soql


def findings_of(text: str, rule: str, **settings: Any) -> list[Finding]:
    analysis = analyze_soql(text, **settings)
    assert analysis.valid, analysis.errors
    return [finding for finding in analysis.findings if finding.rule == rule]


def fires(text: str, rule: str, **settings: Any) -> Finding:
    found = findings_of(text, rule, **settings)
    assert len(found) == 1, f"{rule} on {text}: {found}"
    return found[0]


def quiet(text: str, rule: str, **settings: Any) -> None:
    assert findings_of(text, rule, **settings) == []


def test_leading_wildcard_fires_and_points_at_the_comparison() -> None:
    finding = fires(
        "SELECT Id FROM Account\nWHERE Name LIKE '%acme' LIMIT 10", "SoqlLeadingWildcard"
    )
    assert (finding.span.line, finding.span.column) == (2, 7)
    assert "SOSL" in finding.fix


def test_trailing_wildcard_is_fine() -> None:
    quiet("SELECT Id FROM Account WHERE Name LIKE 'acme%'", "SoqlLeadingWildcard")


@pytest.mark.parametrize(
    "condition",
    [
        "Industry != 'Tech'",
        "Industry <> 'Tech'",
        "Industry NOT IN ('Tech', 'Media')",
        "Tags__c EXCLUDES ('a')",
        "NOT Name LIKE 'a%'",
    ],
)
def test_negative_operator_fires(condition: str) -> None:
    finding = fires(f"SELECT Id FROM Account WHERE {condition}", "SoqlNegativeOperator")
    assert finding.severity is Severity.MEDIUM


def test_negative_operator_next_to_positive_filter_is_low() -> None:
    finding = fires(
        "SELECT Id FROM Account WHERE CreatedDate = TODAY AND Industry != 'Tech'",
        "SoqlNegativeOperator",
    )
    assert finding.severity is Severity.LOW


def test_positive_filter_is_not_negative() -> None:
    quiet("SELECT Id FROM Account WHERE Industry IN ('Tech')", "SoqlNegativeOperator")
    quiet("SELECT Id FROM Account WHERE Region__c != null", "SoqlNegativeOperator")


def test_not_null_filter_fires() -> None:
    fires("SELECT Id FROM Account WHERE Region__c != null", "SoqlNotNullFilter")
    quiet("SELECT Id FROM Account WHERE Region__c = 'EU'", "SoqlNotNullFilter")


def test_null_filter_fires_on_custom_fields_only() -> None:
    fires("SELECT Id FROM Account WHERE Region__c = null", "SoqlNullFilter")
    quiet("SELECT Id FROM Account WHERE ParentId = null", "SoqlNullFilter")


def test_or_across_fields_fires() -> None:
    finding = fires(
        "SELECT Id FROM Account WHERE Name = 'a' OR Industry = 'b'", "SoqlOrAcrossFields"
    )
    assert finding.details["fields"] == ["industry", "name"]
    assert finding.severity is Severity.MEDIUM


def test_or_on_one_field_and_and_across_fields_are_fine() -> None:
    quiet("SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b'", "SoqlOrAcrossFields")
    quiet("SELECT Id FROM Account WHERE Name = 'a' AND Industry = 'b'", "SoqlOrAcrossFields")


def test_or_on_small_object_is_low() -> None:
    finding = fires(
        "SELECT Id FROM Widget WHERE Name = 'a' OR Color = 'b'",
        "SoqlOrAcrossFields",
        large_objects=frozenset({"Account"}),
    )
    assert finding.severity is Severity.LOW


def test_formula_field_filter_needs_caller_knowledge() -> None:
    text = "SELECT Id FROM Account WHERE Score__c > 5 AND CreatedDate = TODAY"
    fires(text, "SoqlFormulaFieldFilter", formula_fields=frozenset({"Score__c"}))
    fires(text, "SoqlFormulaFieldFilter", formula_fields=frozenset({"account.score__c"}))
    quiet(text, "SoqlFormulaFieldFilter")


@pytest.mark.parametrize(
    "condition",
    ["Name LIKE '%x'", "Industry != 'x'", "Region__c = null", "Region__c != null"],
)
def test_non_selective_fires_when_no_filter_can_use_an_index(condition: str) -> None:
    finding = fires(f"SELECT Id FROM Account WHERE {condition}", "SoqlNonSelectiveFilter")
    assert finding.severity is Severity.HIGH
    assert finding.limit is not None and "200,000" in finding.limit


def test_non_selective_is_quiet_with_an_indexed_filter_or_a_small_object() -> None:
    quiet(
        "SELECT Id FROM Account WHERE OwnerId = :me AND Industry != 'x'", "SoqlNonSelectiveFilter"
    )
    quiet("SELECT Id FROM Account WHERE Status__c = 'x'", "SoqlNonSelectiveFilter")
    quiet(
        "SELECT Id FROM Account WHERE Industry != 'x'",
        "SoqlNonSelectiveFilter",
        large_objects=frozenset(),
    )


def test_formula_only_filter_on_large_object_is_non_selective() -> None:
    fires(
        "SELECT Id FROM Account WHERE Score__c > 5",
        "SoqlNonSelectiveFilter",
        formula_fields=frozenset({"Score__c"}),
    )


def test_unbounded_query_fires_on_large_objects() -> None:
    finding = fires("SELECT Id, Name FROM Account", "SoqlUnboundedQuery")
    assert finding.limit is not None and "50,000" in finding.limit
    fires("SELECT Id FROM Invoice__c", "SoqlUnboundedQuery")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT Id FROM Account LIMIT 100",
        "SELECT Id FROM Account WHERE OwnerId = :me",
        "SELECT COUNT() FROM Account",
        "SELECT COUNT(Id) FROM Account",
        "SELECT Id FROM Widget",
        "SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE Id = :accountId",
    ],
)
def test_unbounded_query_quiet(text: str) -> None:
    quiet(text, "SoqlUnboundedQuery")


def test_large_objects_are_configurable() -> None:
    only_widget = frozenset({"Widget"})
    fires("SELECT Id FROM Widget", "SoqlUnboundedQuery", large_objects=only_widget)
    quiet("SELECT Id FROM Account", "SoqlUnboundedQuery", large_objects=only_widget)
    quiet("SELECT Id FROM Invoice__c", "SoqlUnboundedQuery", large_objects=only_widget)


def test_order_by_without_limit() -> None:
    fires("SELECT Id FROM Account WHERE Type = 'x' ORDER BY Name", "SoqlOrderByWithoutLimit")
    quiet(
        "SELECT Id FROM Account WHERE Type = 'x' ORDER BY Name LIMIT 10", "SoqlOrderByWithoutLimit"
    )


@pytest.mark.parametrize("group", ["ALL", "CUSTOM"])
def test_fields_all_needs_limit_200(group: str) -> None:
    fires(f"SELECT FIELDS({group}) FROM Account", "SoqlFieldsUnbounded")
    fires(f"SELECT FIELDS({group}) FROM Account LIMIT 500", "SoqlFieldsUnbounded")
    quiet(f"SELECT FIELDS({group}) FROM Account LIMIT 200", "SoqlFieldsUnbounded")
    quiet(f"SELECT FIELDS({group}) FROM Account LIMIT :pageSize", "SoqlFieldsUnbounded")


def test_fields_standard_needs_no_limit() -> None:
    quiet("SELECT FIELDS(STANDARD) FROM Account", "SoqlFieldsUnbounded")


def test_wide_select_without_limit() -> None:
    fields = ", ".join(f"Field{i}__c" for i in range(60))
    fires(f"SELECT {fields} FROM Account WHERE Id = :x", "SoqlWideSelect")
    quiet(f"SELECT {fields} FROM Account WHERE Id = :x LIMIT 10", "SoqlWideSelect")
    quiet("SELECT Id, Name FROM Account WHERE Id = :x", "SoqlWideSelect")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT LeadSource, COUNT(Id) FROM Lead WHERE Id = :x",
        "SELECT Status, COUNT(Id) FROM Lead WHERE Id = :x GROUP BY LeadSource",
        "SELECT LeadSource, COUNT(Id) FROM Lead WHERE Id = :x GROUP BY LeadSource ORDER BY Name",
        "SELECT LeadSource, COUNT(Id) FROM Lead WHERE Id = :x GROUP BY LeadSource "
        "HAVING Status = 'Open'",
    ],
)
def test_ungrouped_field_in_aggregate_query(text: str) -> None:
    finding = fires(text, "SoqlAggregateMix")
    assert finding.severity is Severity.HIGH


@pytest.mark.parametrize(
    "text",
    [
        "SELECT LeadSource, COUNT(Id) FROM Lead GROUP BY LeadSource HAVING COUNT(Id) > 1 "
        "ORDER BY COUNT(Id) DESC",
        "SELECT CALENDAR_YEAR(CreatedDate), SUM(Amount) FROM Opportunity "
        "GROUP BY CALENDAR_YEAR(CreatedDate)",
        "SELECT Name n, MAX(Amount) m FROM Opportunity GROUP BY Name",
        "SELECT MAX(Amount), MIN(Amount) FROM Opportunity",
        "SELECT Id, Name FROM Account WHERE Id = :x",
        "SELECT FORMAT(MIN(CloseDate)) d FROM Opportunity",
    ],
)
def test_grouped_or_aggregated_query_is_fine(text: str) -> None:
    quiet(text, "SoqlAggregateMix")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT COUNT(), Name FROM Lead WHERE Id = :x",
        "SELECT COUNT() FROM Lead WHERE Id = :x GROUP BY LeadSource",
        "SELECT COUNT() FROM Lead WHERE Id = :x ORDER BY Name",
    ],
)
def test_count_without_field_stands_alone(text: str) -> None:
    fires(text, "SoqlCountUsage")


def test_count_alone_and_count_field_grouped_are_fine() -> None:
    quiet("SELECT COUNT() FROM Lead WHERE Id = :x LIMIT 10", "SoqlCountUsage")
    quiet("SELECT LeadSource, COUNT(Id) FROM Lead GROUP BY LeadSource", "SoqlCountUsage")


def test_offset_above_2000() -> None:
    fires("SELECT Id FROM Account WHERE Id = :x ORDER BY Id OFFSET 2001", "SoqlOffsetLimit")
    quiet("SELECT Id FROM Account WHERE Id = :x ORDER BY Id OFFSET 2000", "SoqlOffsetLimit")


def test_offset_in_child_subquery_needs_parent_limit_1() -> None:
    child = "(SELECT Id FROM Contacts ORDER BY Name OFFSET 5)"
    fires(f"SELECT Id, {child} FROM Account WHERE Id = :x", "SoqlOffsetLimit")
    quiet(f"SELECT Id, {child} FROM Account WHERE Id = :x LIMIT 1", "SoqlOffsetLimit")


def test_semi_join_selects_one_field() -> None:
    fires(
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId, Name FROM Contact)",
        "SoqlSemiJoinShape",
    )
    fires("SELECT Id FROM Account WHERE Id IN (SELECT COUNT(Id) FROM Contact)", "SoqlSemiJoinShape")
    quiet("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)", "SoqlSemiJoinShape")


def test_parent_path_deeper_than_five_relationships() -> None:
    deep = "SELECT Account.Owner.Manager.Manager.Manager.Manager.Name FROM Contact WHERE Id = :x"
    fires(deep, "SoqlRelationshipLimits")
    ok = "SELECT Account.Owner.Manager.Manager.Manager.Name FROM Contact WHERE Id = :x"
    quiet(ok, "SoqlRelationshipLimits")
    # The object's own name as a prefix is not a relationship.
    quiet(
        "SELECT Contact.Account.Owner.Manager.Manager.Manager.Name FROM Contact LIMIT 1",
        "SoqlRelationshipLimits",
    )


def test_more_than_twenty_child_subqueries() -> None:
    subqueries = ", ".join(f"(SELECT Id FROM Rel{i}__r)" for i in range(21))
    fires(f"SELECT Id, {subqueries} FROM Account WHERE Id = :x", "SoqlRelationshipLimits")
    twenty = ", ".join(f"(SELECT Id FROM Rel{i}__r)" for i in range(20))
    quiet(f"SELECT Id, {twenty} FROM Account WHERE Id = :x", "SoqlRelationshipLimits")


def test_quoted_date_on_other_fields_is_a_hedged_warning() -> None:
    finding = fires("SELECT Id FROM Account WHERE Due__c = '2024-01-31'", "SoqlQuotedDate")
    assert finding.severity is Severity.LOW
    quiet("SELECT Id FROM Account WHERE Due__c = 2024-01-31", "SoqlQuotedDate")
    quiet("SELECT Id FROM Account WHERE Code__c = '2024-A'", "SoqlQuotedDate")


def test_query_over_100000_characters() -> None:
    ids = ", ".join(f"'{index:015d}'" for index in range(6000))
    fires(f"SELECT Id FROM Account WHERE Id IN ({ids})", "SoqlQueryTooLong")
    quiet("SELECT Id FROM Account WHERE Id IN ('1')", "SoqlQueryTooLong")


def test_indexed_filters_are_reported_as_good() -> None:
    analysis = analyze_soql(
        "SELECT Id FROM Contact WHERE OwnerId = :me AND Email = 'a@b.c' AND Name LIKE 'A%' "
        "AND Ext__c = 'x' AND Status__c = 'y' AND Type != 'z'",
        indexed_fields=frozenset({"Ext__c"}),
    )
    assert analysis.indexed_filters == ("OwnerId", "Email", "Name", "Ext__c")


def test_filters_under_or_are_not_reported_as_indexed() -> None:
    analysis = analyze_soql("SELECT Id FROM Account WHERE OwnerId = :me OR Name = 'x'")
    assert analysis.indexed_filters == ()


def test_good_query_has_no_findings() -> None:
    analysis = analyze_soql(
        "SELECT Id, Name, Owner.Name FROM Account WHERE OwnerId = :userId "
        "AND CreatedDate = LAST_N_DAYS:30 ORDER BY CreatedDate DESC LIMIT 50"
    )
    assert analysis.valid
    assert analysis.findings == ()
    assert analysis.indexed_filters == ("OwnerId", "CreatedDate")


def test_findings_are_sorted_and_json_ready() -> None:
    analysis = analyze_soql("SELECT Id FROM Account WHERE Name LIKE '%x' OR Industry != 'y'")
    positions = [(f.span.line, f.span.column) for f in analysis.findings]
    assert positions == sorted(positions)
    data = json.loads(json.dumps(analysis.to_dict()))
    assert data["valid"] is True
    assert data["query"]["object"] == "Account"
    rules = {finding["rule"] for finding in data["findings"]}
    assert {"SoqlLeadingWildcard", "SoqlNegativeOperator", "SoqlOrAcrossFields"} <= rules


def test_every_finding_explains_why_and_how_to_fix() -> None:
    analysis = analyze_soql(
        "SELECT LeadSource, COUNT(Id) FROM Lead WHERE Name LIKE '%x' AND Rating__c = null "
        "OFFSET 3000"
    )
    assert analysis.findings
    for finding in analysis.findings:
        assert finding.message and finding.why and finding.fix
        assert finding.category.startswith("soql-")


def test_binds_are_listed_in_the_analysis() -> None:
    analysis = analyze_soql("[SELECT Id FROM Account WHERE Id IN :ids LIMIT :n];")
    assert [bind.expression for bind in analysis.binds] == ["ids", "n"]
    assert analysis.to_dict()["query"]["binds"] == ["ids", "n"]
