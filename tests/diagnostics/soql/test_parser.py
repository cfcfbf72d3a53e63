"""The parser accepts full SOQL and builds a tree the advice rules can walk."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.soql import (
    And,
    BindVariable,
    Comparison,
    FieldRef,
    FunctionCall,
    Literal,
    LiteralKind,
    Not,
    Or,
    Query,
    SelectField,
    Subquery,
    TypeOf,
    ValueList,
    parse_soql,
)


def parse(text: str) -> Query:
    result = parse_soql(text)
    assert result.ok, result.errors
    assert result.query is not None
    return result.query


VALID_QUERIES = [
    "SELECT Id FROM Contact WHERE Name LIKE 'A%' AND MailingCity = 'California'",
    "select id from contact where name like 'a%'",
    "SELECT COUNT() FROM Contact",
    "SELECT COUNT()FROM Contact",
    "SELECT Id, Owner.Name, Account.Owner.Profile.Name FROM Contact",
    "SELECT Name, (SELECT Name FROM Line_Items__r WHERE Qty__c > 1 LIMIT 5) FROM Merchandise__c",
    "SELECT Account.Name, (SELECT Contact.LastName FROM Account.Contacts) FROM Account",
    "SELECT TYPEOF What WHEN Account THEN Phone, NumberOfEmployees WHEN Opportunity THEN Amount "
    "ELSE Name, Email END FROM Event",
    "SELECT Status, LeadSource, COUNT(Name) cnt FROM Lead GROUP BY ROLLUP(Status, LeadSource)",
    "SELECT Type, GROUPING(Type) grpType, COUNT(Id) c FROM Account GROUP BY CUBE(Type) "
    "ORDER BY GROUPING(Type)",
    "SELECT CALENDAR_YEAR(CreatedDate), SUM(Amount) mySum FROM Opportunity "
    "GROUP BY CALENDAR_YEAR(CreatedDate)",
    "SELECT HOUR_IN_DAY(convertTimezone(CreatedDate)), SUM(Amount) FROM Opportunity "
    "GROUP BY HOUR_IN_DAY(convertTimezone(CreatedDate))",
    "SELECT FORMAT(MIN(CloseDate)) Amt FROM Opportunity",
    "SELECT Amount, FORMAT(Amount) Amt, convertCurrency(Amount) conv FROM Opportunity",
    "SELECT Name, toLabel(RecordType.Name) FROM Account",
    "SELECT COUNT_DISTINCT(Company) distinct FROM Lead",
    "SELECT UrlName FROM KnowledgeArticleVersion WHERE PublishStatus = 'draft' WITH DATA "
    "CATEGORY Geography__c AT (usa__c, uk__c) AND Product__c ABOVE_OR_BELOW phones__c",
    "SELECT Title FROM KnowledgeArticleVersion WITH DATA CATEGORY Geography__c BELOW usa__c "
    "WITH SECURITY_ENFORCED",
    "SELECT Id FROM Account WITH USER_MODE",
    "SELECT Id FROM Account WITH SYSTEM_MODE",
    "SELECT Id FROM FAQ__kav FOR VIEW UPDATE TRACKING",
    "SELECT Id FROM Account FOR REFERENCE",
    "SELECT Id FROM Account WHERE Name = 'x' LIMIT 1 FOR UPDATE",
    "SELECT Id FROM Account UPDATE VIEWSTAT",
    "SELECT Id FROM Account WHERE IsDeleted = true ALL ROWS",
    "SELECT Id, Title FROM Dashboard USING SCOPE allPrivate WHERE Type != 'SpecifiedUser'",
    "SELECT Id FROM Account USING SCOPE Mine WHERE Id = '1' WITH SECURITY_ENFORCED GROUP BY "
    "Name HAVING COUNT(Id) > 1 ORDER BY Name LIMIT 10 OFFSET 5 FOR VIEW",
    "SELECT Id FROM Account WHERE Foo IN ('1', '2') OR Bar IN (1, 2.5, null) OR Baz NOT IN ('x')",
    "SELECT Id FROM Account WHERE Tags__c INCLUDES ('a;b', 'c') AND Other__c EXCLUDES ('d')",
    "SELECT Id FROM Account WHERE (((Name = '1' OR Name = '2') AND Name = '3')) AND Id = '1'",
    "SELECT Id FROM Account WHERE NOT (NOT Type__c LIKE '%Usage%')",
    "SELECT Id FROM Account WHERE NOT Name = '2'",
    "SELECT Id FROM Account WHERE CreatedDate > LAST_N_FISCAL_QUARTERS:6 AND "
    "LastModifiedDate = TODAY",
    "SELECT Id FROM Account WHERE CreatedDate IN (TODAY, LAST_N_DAYS:4)",
    "SELECT Id FROM LoginHistory WHERE LoginTime > 2020-04-23T09:00:00.000000+00:00 "
    "AND LoginTime < 2020-04-15T02:40:03.000+0000 AND LoginTime <> 2005-10-08T01:02:03Z",
    "SELECT Id FROM Opportunity WHERE CloseDate >= 2024-02-29",
    "SELECT Id FROM Opportunity WHERE Amount > USD5000.01 OR Amount IN (usd500, EUR12.5)",
    "SELECT Name FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), "
    "'mi') < 20 ORDER BY DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi') LIMIT 10",
    "SELECT Id, DISTANCE(Location, GEOLOCATION(:lat, :lng), 'km') FROM Contact",
    "SELECT FIELDS(ALL) FROM Account LIMIT 200",
    "SELECT Id, (SELECT FIELDS(STANDARD) FROM Contacts) FROM Account",
    "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Id IN "
    "(SELECT ContactId FROM Case WHERE Status = 'Open'))",
    "SELECT FirstName FROM Contact c, c.Account a WHERE a.Name = 'Acme'",
    "SELECT Id FROM Group",
    "SELECT Id FROM Order WHERE Status = 'Draft'",
    "SELECT Id, Format FROM Account",
    "SELECT Name n, MAX(Amount) max FROM Opportunity GROUP BY Name",
    "SELECT Name FROM Account WHERE Name = 'it\\'s \\\\ \\n fine' AND Name LIKE 'a\\_b\\%'",
    "/* leading */ SELECT Id // line\nFROM Account /* multi\nline */ WHERE Website = 'a // b'",
    "SELECT Id FROM Account WHERE BillingState =: abbr AND Id IN : ids",
    "SELECT Name FROM Account OFFSET 1",
    "SELECT Id FROM Account ORDER BY CreatedDate Desc NULLS last, Name",
]


@pytest.mark.parametrize("text", VALID_QUERIES)
def test_valid_query_parses(text: str) -> None:
    parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "[SELECT Id FROM Account]",
        "  [ SELECT Id FROM Account ] ; ",
        "SELECT Id FROM Account;",
        "[SELECT Id FROM Account];",
    ],
)
def test_apex_brackets_and_semicolon_are_accepted(text: str) -> None:
    assert parse(text).sobject.name == "Account"


def test_positions_stay_those_of_the_original_text() -> None:
    result = parse_soql('[SELECT Id FROM Account WHERE Name = "x"]')
    assert result.errors[0].line == 1
    assert result.errors[0].column == 38


def test_tree_holds_object_alias_fields_and_functions() -> None:
    query = parse(
        "SELECT a.Name, Owner.Profile.Name, COUNT(Id) total FROM Account a GROUP BY a.Name"
    )
    assert (query.sobject.name, query.sobject.alias) == ("Account", "a")
    fields = query.fields
    assert isinstance(fields[1].expression, FieldRef)
    assert fields[1].expression.path == ("Owner", "Profile", "Name")
    count = fields[2].expression
    assert isinstance(count, FunctionCall)
    assert (count.name, count.is_aggregate, fields[2].alias) == ("COUNT", True, "total")
    assert query.group_by is not None and query.group_by.kind == "PLAIN"


def test_subquery_and_typeof_are_separate_select_items() -> None:
    query = parse(
        "SELECT Id, (SELECT LastName FROM Contacts LIMIT 3), TYPEOF What WHEN Account THEN "
        "Phone END FROM Event"
    )
    subquery, typeof = query.select[1], query.select[2]
    assert isinstance(subquery, Subquery)
    assert subquery.query.sobject.name == "Contacts"
    assert isinstance(subquery.query.limit, Literal) and subquery.query.limit.text == "3"
    assert isinstance(typeof, TypeOf)
    assert typeof.field == "What"
    assert typeof.whens[0].object_type == "Account"


def test_where_tree_keeps_and_or_not_structure() -> None:
    query = parse("SELECT Id FROM Account WHERE Name = 'a' AND (Type = 'b' OR NOT Rating = 'c')")
    where = query.where
    assert isinstance(where, And)
    assert isinstance(where.operands[1], Or)
    assert isinstance(where.operands[1].operands[1], Not)


def test_comparison_values_have_kinds() -> None:
    query = parse(
        "SELECT Id FROM Opportunity WHERE CloseDate = 2024-01-31 AND CreatedDate > "
        "LAST_N_DAYS:30 AND Amount > USD100 AND IsWon = true AND Name != null"
    )
    assert isinstance(query.where, And)
    kinds = []
    for operand in query.where.operands:
        assert isinstance(operand, Comparison) and isinstance(operand.right, Literal)
        kinds.append(operand.right.kind)
    assert kinds == [
        LiteralKind.DATE,
        LiteralKind.DATE_LITERAL,
        LiteralKind.CURRENCY,
        LiteralKind.BOOLEAN,
        LiteralKind.NULL,
    ]


def test_semi_join_is_a_query_on_the_right() -> None:
    query = parse("SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Opportunity)")
    assert isinstance(query.where, Comparison)
    assert query.where.operator == "NOT IN"
    assert isinstance(query.where.right, Query)
    assert query.where.right.sobject.name == "Opportunity"


def test_order_by_keeps_direction_and_nulls() -> None:
    query = parse("SELECT Id FROM Account ORDER BY Name DESC NULLS LAST, Id")
    first, second = query.order_by
    assert (first.direction, first.nulls) == ("DESC", "LAST")
    assert (second.direction, second.nulls) == (None, None)


@pytest.mark.parametrize(
    ("text", "expressions"),
    [
        ("SELECT Id FROM Account WHERE Id = :accountId", ["accountId"]),
        ("SELECT Id FROM Contact WHERE AccountId = :acc.Id", ["acc.Id"]),
        ("SELECT Id FROM Account WHERE Id IN :ids", ["ids"]),
        ("SELECT Id FROM Account WHERE Id IN :accountMap.keySet()", ["accountMap.keySet()"]),
        (
            "SELECT Id FROM Account WHERE Id IN :new Map<Id, SObject>(someVar).keySet()",
            ["new Map<Id, SObject>(someVar).keySet()"],
        ),
        ("SELECT Id FROM Account WHERE Name IN (:first, :second)", ["first", "second"]),
        (
            "SELECT Id FROM Account WHERE Name LIKE :pattern LIMIT :size OFFSET :skip",
            ["pattern", "size", "skip"],
        ),
        ("SELECT Id FROM Account WHERE Id = :records[0].Id", ["records[0].Id"]),
        (
            "SELECT Id, (SELECT Id FROM Contacts WHERE Email = :email) FROM Account "
            "WHERE OwnerId = :UserInfo.getUserId()",
            ["email", "UserInfo.getUserId()"],
        ),
    ],
)
def test_bind_variables_are_collected(text: str, expressions: list[str]) -> None:
    result = parse_soql(text)
    assert result.ok, result.errors
    assert sorted(bind.expression for bind in result.binds) == sorted(expressions)


def test_bind_root_is_the_apex_variable() -> None:
    query = parse("SELECT Id FROM Contact WHERE AccountId = :acc.Id")
    assert isinstance(query.where, Comparison)
    bind = query.where.right
    assert isinstance(bind, BindVariable)
    assert bind.root == "acc"


def test_value_list_keeps_every_value() -> None:
    query = parse("SELECT Id FROM Account WHERE Industry IN ('media', null, 1, :x)")
    assert isinstance(query.where, Comparison)
    values = query.where.right
    assert isinstance(values, ValueList)
    assert len(values.values) == 4


def test_clauses_have_spans_for_advice() -> None:
    query = parse("SELECT Id\nFROM Account\nWHERE Name = 'x'\nLIMIT 5")
    where = query.clause("WHERE")
    assert where is not None
    assert (where.span.line, where.span.column) == (3, 1)
    assert query.clause("ORDER") is None


def test_select_field_span_points_at_field() -> None:
    query = parse("SELECT Id,\n  Account.Name FROM Contact")
    field = query.select[1]
    assert isinstance(field, SelectField)
    assert (field.span.line, field.span.column, field.span.end_column) == (2, 3, 15)
