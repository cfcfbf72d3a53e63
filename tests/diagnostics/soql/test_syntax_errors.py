"""Invalid SOQL is rejected with a position and a fix a developer can act on."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.findings import Severity
from sfagent.diagnostics.soql import SoqlSyntaxError, analyze_soql, parse_soql


def first_error(text: str) -> SoqlSyntaxError:
    result = parse_soql(text)
    assert not result.ok, f"accepted: {text}"
    return result.errors[0]


CASES = [
    # (query, error code, words the suggestion must contain)
    ("SELECT Id, Name FROMAccount", "missing-space", "FROM Account"),
    (
        "SELECT Account.Name, (SELECT Id FROM Account.Contacts) FROMAccount",
        "missing-space",
        "FROM Account",
    ),
    ("SELECTName FROM Account", "missing-space", "SELECT Name"),
    ("SELECT Name, COUNT(Id) FROM Account GROUPBY Name", "missing-space", "GROUP BY"),
    ("SELECT Name FROM Account ORDER BY Name OFFSET100", "missing-space", "OFFSET 100"),
    ("SELECT Id, Name", "missing-from", "FROM"),
    ("SELECT * FROM Account", "select-star", "FIELDS(STANDARD)"),
    ("SELECT FROM Account", "empty-select", "SELECT Id FROM Account"),
    ("SELECT Id, FROM Account", "trailing-comma", "Remove the comma"),
    ("SELECT Id,, Name FROM Account", "extra-comma", "extra comma"),
    ("SELECT Name (SELECT LastName FROM Contacts) FROM Account", "missing-comma", "SELECT Name,"),
    ("SELECT Id Name Email FROM Contact", "missing-comma", "commas"),
    ("SELECT Id Name FROM Contact", "missing-comma", "Id, Name"),
    ("select some fake text", "missing-comma", "commas"),
    (
        "SELECT LeadSourceCOUNT(Name) FROM Lead GROUP BY LeadSource",
        "unknown-function",
        "LeadSource, COUNT(...)",
    ),
    ("SELECT CONT(Id) FROM Lead", "unknown-function", "COUNT()"),
    ("SELECT Id FROM Account WHERE (Name = 'a'", "unbalanced-parentheses", "matching ')'"),
    (
        "SELECT Id FROM Account WHERE (((Name = '1' OR Name = '2')) AND Id = '7'",
        "unbalanced-parentheses",
        "matching ')'",
    ),
    ("SELECT Id FROM Account WHERE Name = 'a')", "unbalanced-parentheses", "missing '('"),
    ("SELECT Id, (SELECT Id FROM Contacts FROM Account", "unbalanced-parentheses", "')'"),
    (
        "SELECT Id FROM Account WHERE CreatedDate > '2024-01-01'",
        "quoted-date",
        "CreatedDate > 2024-01-01",
    ),
    ("SELECT Id FROM Account WHERE CreatedDate > 2024-1-5", "bad-date-format", "YYYY-MM-DD"),
    ("SELECT Id FROM Account WHERE CreatedDate > 2024-02-30", "bad-date-value", "YYYY-MM-DD"),
    (
        "SELECT Id FROM Account WHERE CreatedDate > 2024-01-05T10:00:00",
        "datetime-without-zone",
        "2024-01-05T10:00:00Z",
    ),
    ("SELECT Id, Account__c.Name FROM Contact", "custom-relationship-suffix", "Account__r.Name"),
    (
        "SELECT Id FROM Contact WHERE Parent__r.Account__c.Name = 'x'",
        "custom-relationship-suffix",
        "Parent__r.Account__r.Name",
    ),
    (
        "SELECT Id, Contacts__r FROM Account",
        "relationship-as-field",
        "(SELECT Id FROM Contacts__r)",
    ),
    ("SELECT Id FROM Contact WHERE Account__r = 'x'", "relationship-as-field", "Account__c"),
    ("SELECT Id FROM Contact WHERE Account__c = Account__r", "bad-value", "Account__r.Name"),
    ("SELECT Name FROM Account WHERE Id = foo", "bad-value", "'foo'"),
    ("SELECT Name FROM Account WHERE OwnerId = CreatedById", "bad-value", "another"),
    (
        "SELECT Name, COUNT(Id) FROM Account HAVING COUNT(Id) > 1",
        "having-without-group-by",
        "GROUP BY",
    ),
    ("SELECT Name FROM Account LIMIT 'foo'", "bad-row-count", "LIMIT 100"),
    ("SELECT Name FROM Account LIMIT ten", "bad-row-count", "LIMIT 100"),
    ("SELECT Name FROM Account OFFSET", "bad-row-count", "OFFSET 100"),
    ("SELECT Name FROM Account ORDER BY Name LIMIT -10", "bad-row-count", "0 or more"),
    ('SELECT Id FROM Account WHERE Name = "Acme"', "double-quotes", "'Acme'"),
    ("SELECT Id FROM Account WHERE Name == 'x'", "double-equals", "'='"),
    ("SELECT Id FROM Account WHERE !IsActive__c", "bang", "NOT"),
    ("SELECT Id FROM Account WHERE Name ! = 'x'", "bang", "!="),
    ("SELECT Id FROM Account WHERE Name NOT LIKE 'x%'", "not-like", "NOT Name LIKE"),
    (
        "SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Rating = 'c'",
        "mixed-and-or",
        "(A AND B) OR C",
    ),
    ("SELECT Id FROM Account WHERE Ratio__c = 1 / 2", "arithmetic", "bind"),
    ("SELECT Id FROM Account WHERE", "empty-condition", "Name = 'Acme'"),
    ("SELECT Id FROM Account WHERE LIMIT 10", "empty-condition", "remove WHERE"),
    ("SELECT Name FROM Account GROUP BY", "empty-clause", "GROUP BY Industry"),
    ("SELECT Id FROM Account ORDER BY LIMIT 10", "empty-clause", "ORDER BY Name"),
    ("SELECT Name, Id FROM ORDER BY Name LIMIT 20", "missing-object", "FROM Account"),
    ("SELECT Name FROM Account FROM Account WHERE Id = '1'", "duplicate-clause", "one FROM"),
    (
        "SELECT Name FROM Account WHERE Id = '1' LIMIT 5 WHERE Name = 'x'",
        "duplicate-clause",
        "Keep one",
    ),
    ("SELECT Name FROM Account LIMIT 5 ORDER BY Name", "clause-order", "ORDER BY, LIMIT"),
    ("SELECT Contact..FirstName FROM Contact", "bad-path", "Account.Name"),
    ("SELECT Id FROM Account WHERE Name = 'unterminated", "unclosed-string", "single quote"),
    ("SELECT Id /* unterminated", "unclosed-comment", "*/"),
    ("SELECT Id FROM Account WHERE Name = 'a\\xb'", "bad-escape", "\\\\"),
    (
        "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS",
        "date-literal-count",
        "LAST_N_DAYS:30",
    ),
    ("SELECT Id FROM Account WHERE CreatedDate = TODAY:3", "date-literal-count", "TODAY alone"),
    (
        "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS::n",
        "date-literal-count",
        "Date.today().addDays(-days)",
    ),
    ("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAY:5", "bad-value", "LAST_N_DAYS"),
    ("SELECT Id FROM Account WHERE Name = ('a', 'b')", "list-needs-in", "IN ('a', 'b')"),
    ("SELECT Id FROM Account WHERE Name IN ()", "bad-list", "at least one value"),
    ("SELECT Id FROM Account WHERE Name IN 'a'", "bad-list", "IN ('a', 'b')"),
    (
        "SELECT Name FROM Warehouse__c WHERE GEOLOCATION(37.775, -122.418) < 20",
        "bad-geolocation",
        "DISTANCE(",
    ),
    (
        "SELECT Name, DISTANCE(37.775, -122.418) FROM Warehouse__c",
        "function-arguments",
        "GEOLOCATION(37.775, -122.418)",
    ),
    (
        "SELECT Id FROM Contact WHERE DISTANCE(Loc__c, GEOLOCATION(1, 2), 'm') < 5",
        "function-arguments",
        "'mi'",
    ),
    ("SELECT FIELDS(EVERYTHING) FROM Account", "function-arguments", "FIELDS(STANDARD)"),
    ("SELECT SUM(Amount, Quantity) FROM Opportunity", "function-arguments", "one SUM()"),
    ("SELECT Id FROM Account WITH SECURITY", "bad-with", "WITH SECURITY_ENFORCED"),
    ("SELECT TYPEOF What WHEN Account THEN Phone FROM Event", "bad-typeof", "END"),
    ("SELECT TYPEOF What ELSE Name END FROM Event", "bad-typeof", "WHEN Account"),
    ("'SELECT Id FROM Account'", "quoted-query", "without the surrounding quotes"),
    ("", "empty-query", "SELECT Id FROM Account"),
    ("UPDATE Account SET Name = 'x'", "missing-select", "SELECT"),
    ("SELECT Id FROM Account; SELECT Id FROM Contact", "extra-text", "one query"),
    ("SELECT Id FROM Account WHERE Name = 'x' AND", "empty-condition", "Name = 'Acme'"),
    ("SELECT Id FROM Account WHERE Id IN :", "bad-bind", ":variableName"),
    ("SELECT Id FROM Account WHERE Id IN :ids.get(", "unbalanced-parentheses", "')'"),
    ("SELECT Id FROM Account WHERE Name LIKE 'a' NULLS FIRST", "unexpected", "order"),
    ("SELECT Id FROM Account ORDER BY Name NULLS", "bad-order-by", "NULLS FIRST"),
    ("SELECT Id FROM Account WHERE Name = 'x' \x00", "bad-character", "Remove it"),
]


@pytest.mark.parametrize(("text", "code", "suggestion"), CASES, ids=[c[1] for c in CASES])
def test_invalid_query_gets_code_and_suggestion(text: str, code: str, suggestion: str) -> None:
    error = first_error(text)
    assert error.code == code, error
    assert suggestion in error.suggestion, error.suggestion


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("SELECT Id, Name FROMAccount", 1, 17),
        ("SELECT Id\nFROM Account\nWHERE Name == 'x'", 3, 12),
        ("SELECT Id\n  FROM Account\n  WHERE (Name = 'x'\n  LIMIT 5", 4, 3),
        ("SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Rating = 'c'", 1, 56),
        ("SELECT Id,\n\tAccount__c.Name\nFROM Contact", 2, 2),
    ],
)
def test_error_position_is_one_based_line_and_column(text: str, line: int, column: int) -> None:
    error = first_error(text)
    assert (error.line, error.column) == (line, column)


def test_unbalanced_message_names_where_the_parenthesis_opened() -> None:
    error = first_error("SELECT Id FROM Account\nWHERE (Name = 'x'")
    assert "line 2, column 7" in error.message


def test_object_name_prefix_with_custom_suffix_is_allowed() -> None:
    assert parse_soql("SELECT Merchandise__c.Name FROM Merchandise__c").ok
    assert parse_soql("SELECT m.Name FROM Merchandise__c m WHERE m.Price__c > 1").ok


def test_quoted_date_on_unknown_field_is_not_a_syntax_error() -> None:
    assert parse_soql("SELECT Id FROM Account WHERE Text_Date__c = '2024-01-01'").ok


def test_syntax_error_becomes_a_finding() -> None:
    analysis = analyze_soql("SELECT * FROM Account")
    assert not analysis.valid
    finding = analysis.findings[0]
    assert finding.rule == "SoqlSyntax"
    assert finding.severity is Severity.HIGH
    assert finding.details == {"code": "select-star"}
    assert "FIELDS(STANDARD)" in finding.fix
    assert analysis.to_dict()["errors"][0]["code"] == "select-star"
