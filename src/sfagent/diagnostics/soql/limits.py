"""Advice on query shape against Salesforce limits: row counts, OFFSET, FIELDS(), paths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from sfagent.diagnostics.findings import Finding, Severity
from sfagent.diagnostics.soql.aggregates import is_count_only
from sfagent.diagnostics.soql.checks import KNOWN_DATE_FIELDS
from sfagent.diagnostics.soql.filters import AnalysisSettings
from sfagent.diagnostics.soql.model import (
    FieldRef,
    FunctionCall,
    Keyword,
    Literal,
    LiteralKind,
    Query,
    SelectField,
)
from sfagent.diagnostics.soql.vocabulary import COMPARISON_OPERATORS
from sfagent.diagnostics.soql.walk import (
    NestedQuery,
    QueryRole,
    iter_comparisons,
    iter_queries,
    query_field_refs,
)

LIMITS: Final = "soql-limits"
PERFORMANCE: Final = "soql-performance"
SEMANTICS: Final = "soql-semantics"
QUERY_ROWS_LIMIT: Final = "50,000 rows returned by SOQL per Apex transaction"
MAX_OFFSET: Final = 2000
MAX_FIELDS_FUNCTION_LIMIT: Final = 200
MAX_PARENT_HOPS: Final = 5
MAX_CHILD_SUBQUERIES: Final = 20
MAX_PARENT_RELATIONSHIPS: Final = 55
WIDE_SELECT_FIELDS: Final = 50
_QUOTED_DATE: Final = re.compile(r"'\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?'")


def unbounded_query(nested: NestedQuery, settings: AnalysisSettings) -> Iterator[Finding]:
    """A large object read without WHERE and without LIMIT."""
    query = nested.query
    if nested.role is not QueryRole.TOP or query.where is not None or query.limit is not None:
        return
    if not settings.is_large(query.sobject.name) or is_count_only(query):
        return
    clause = query.clause("FROM")
    yield Finding(
        rule="SoqlUnboundedQuery",
        category=LIMITS,
        severity=Severity.HIGH,
        span=clause.span if clause else query.span,
        message=f"The query reads every {query.sobject.name} record: no WHERE and no LIMIT.",
        why="Every returned row counts toward the 50,000-row limit of an Apex transaction; past "
        "it the transaction fails with System.LimitException: Too many query rows: 50001. On a "
        "large object the full scan is also slow.",
        fix="Filter on an indexed field (Id, OwnerId, CreatedDate, a lookup, an External ID) "
        "and/or add LIMIT. To process every record, use Batch Apex with "
        "Database.getQueryLocator, which can return up to 50 million records.",
        example=f"SELECT Id, Name FROM {query.sobject.name} WHERE CreatedDate = LAST_N_DAYS:7 "
        "LIMIT 200",
        limit=QUERY_ROWS_LIMIT,
    )


def order_without_limit(nested: NestedQuery, settings: AnalysisSettings) -> Iterator[Finding]:
    """ORDER BY on a large object without LIMIT sorts everything that matches."""
    query = nested.query
    if nested.role is not QueryRole.TOP or not query.order_by or query.limit is not None:
        return
    if query.where is None or not settings.is_large(query.sobject.name):
        return  # with no WHERE, SoqlUnboundedQuery already covers the query
    clause = query.clause("ORDER")
    yield Finding(
        rule="SoqlOrderByWithoutLimit",
        category=PERFORMANCE,
        severity=Severity.LOW,
        span=clause.span if clause else query.span,
        message="ORDER BY without LIMIT sorts every matching record.",
        why="The whole result must be sorted before the first row comes back, which costs "
        "time on large result sets.",
        fix="If you need only the first rows in that order, add LIMIT (for example LIMIT 100).",
    )


def fields_function_limit(nested: NestedQuery, settings: AnalysisSettings) -> Iterator[Finding]:
    """FIELDS(ALL) and FIELDS(CUSTOM) need LIMIT 200 or less."""
    query = nested.query
    if nested.role is not QueryRole.TOP or not _limit_over(query, MAX_FIELDS_FUNCTION_LIMIT):
        return
    for item in query.fields:
        expression = item.expression
        if not (isinstance(expression, FunctionCall) and expression.upper_name == "FIELDS"):
            continue
        group = expression.args[0]
        if isinstance(group, Keyword) and group.text in ("ALL", "CUSTOM"):
            yield Finding(
                rule="SoqlFieldsUnbounded",
                category=SEMANTICS,
                severity=Severity.HIGH,
                span=item.span,
                message=f"FIELDS({group.text}) needs LIMIT 200 or less.",
                why="The set of fields behind FIELDS(ALL) and FIELDS(CUSTOM) is unbounded, so "
                "Salesforce accepts them only with LIMIT 200 or less, and Apex does not "
                "accept them at all.",
                fix="Add LIMIT 200 (API and tools), use FIELDS(STANDARD), or list the fields "
                "you need, which is the only option in Apex.",
                example="SELECT FIELDS(ALL) FROM Account LIMIT 200",
            )


def _limit_over(query: Query, maximum: int) -> bool:
    """True when LIMIT is missing or a literal above `maximum` (a bind is given the benefit)."""
    if query.limit is None:
        return True
    return isinstance(query.limit, Literal) and int(query.limit.text) > maximum


def wide_select(nested: NestedQuery, settings: AnalysisSettings) -> Iterator[Finding]:
    """Many fields and no LIMIT: large records fill the Apex heap."""
    query = nested.query
    if nested.role is not QueryRole.TOP or query.limit is not None:
        return
    if len(query.fields) < WIDE_SELECT_FIELDS:
        return
    clause = query.clause("SELECT")
    yield Finding(
        rule="SoqlWideSelect",
        category=PERFORMANCE,
        severity=Severity.LOW,
        span=clause.span if clause else query.span,
        message=f"The query selects {len(query.fields)} fields with no LIMIT.",
        why="Every selected field makes each returned record bigger; in Apex the records live "
        "on the heap, limited to 6 MB in synchronous and 12 MB in asynchronous code.",
        fix="Select only the fields the code uses, add LIMIT, or iterate with a SOQL for loop "
        "(for (Account a : [SELECT ...])) so records are processed in chunks of 200.",
        limit="Apex heap: 6 MB synchronous, 12 MB asynchronous",
    )


def offset_rules(nested: NestedQuery, settings: AnalysisSettings) -> Iterator[Finding]:
    """OFFSET is capped at 2,000 and, in a child subquery, needs LIMIT 1 on the parent."""
    offset = nested.query.offset
    if offset is None:
        return
    if isinstance(offset, Literal) and int(offset.text) > MAX_OFFSET:
        yield Finding(
            rule="SoqlOffsetLimit",
            category=LIMITS,
            severity=Severity.HIGH,
            span=offset.span,
            message=f"OFFSET {offset.text} is above the maximum of {MAX_OFFSET:,}.",
            why="Salesforce rejects an OFFSET over 2,000 with NUMBER_OUTSIDE_VALID_RANGE.",
            fix="Page with a filter on an ordered field instead (WHERE Id > :lastSeenId "
            "ORDER BY Id LIMIT 200), or use a query locator / queryMore for large sets.",
            limit="OFFSET at most 2,000",
        )
    parent = nested.parent
    if nested.role is QueryRole.CHILD and parent is not None:
        parent_limit = parent.limit
        if not (isinstance(parent_limit, Literal) and parent_limit.text == "1"):
            yield Finding(
                rule="SoqlOffsetLimit",
                category=SEMANTICS,
                severity=Severity.HIGH,
                span=offset.span,
                message="OFFSET in a child subquery needs LIMIT 1 on the outer query.",
                why="Salesforce allows OFFSET in a parent-to-child subquery only when the outer "
                "query returns a single record.",
                fix="Add LIMIT 1 to the outer query, or query the child object directly with "
                "its own OFFSET.",
            )


def semi_join_shape(nested: NestedQuery, settings: AnalysisSettings) -> Iterator[Finding]:
    """A subquery after IN / NOT IN selects exactly one field."""
    query = nested.query
    if nested.role is not QueryRole.SEMI_JOIN:
        return
    items = query.select
    if len(items) == 1 and not (
        isinstance(items[0], SelectField) and isinstance(items[0].expression, FunctionCall)
    ):
        return
    yield Finding(
        rule="SoqlSemiJoinShape",
        category=SEMANTICS,
        severity=Severity.HIGH,
        span=query.span,
        message="A subquery after IN or NOT IN must select exactly one field.",
        why="The subquery supplies the list of values to match, so it can return one Id or "
        "lookup field and nothing else; Salesforce rejects other shapes.",
        fix="Select just the Id or lookup field to match: WHERE Id IN (SELECT AccountId FROM "
        "Contact WHERE ...).",
    )


def relationship_limits(nested: NestedQuery, settings: AnalysisSettings) -> Iterator[Finding]:
    """Parent paths of at most five hops, at most 20 child subqueries and 55 parent paths."""
    if nested.role is not QueryRole.TOP:
        return
    top = nested.query
    relationships: set[str] = set()
    for inner in iter_queries(top):
        own = _own_names(inner.query)
        for field_ref in query_field_refs(inner.query):
            hops = _relationship_hops(field_ref, own)
            relationships.update(".".join(hops[: i + 1]).lower() for i in range(len(hops)))
            if len(hops) > MAX_PARENT_HOPS:
                yield _limit_finding(
                    field_ref,
                    f"{field_ref.name} climbs {len(hops)} parent relationships; "
                    f"SOQL allows {MAX_PARENT_HOPS}.",
                    "Query the distant parent separately, or add a formula field closer "
                    "to this object that brings the value down.",
                )
    if len(top.subqueries) > MAX_CHILD_SUBQUERIES:
        yield _limit_finding(
            top,
            f"The query has {len(top.subqueries)} child subqueries; SOQL allows "
            f"{MAX_CHILD_SUBQUERIES}.",
            "Split the child subqueries across several queries.",
        )
    if len(relationships) > MAX_PARENT_RELATIONSHIPS:
        yield _limit_finding(
            top,
            f"The query uses {len(relationships)} parent relationships; SOQL allows "
            f"{MAX_PARENT_RELATIONSHIPS}.",
            "Split the query or drop parent fields it does not need.",
        )


def _own_names(query: Query) -> set[str]:
    names = {query.sobject.name.lower()}
    names.update(ref.alias.lower() for ref in (query.sobject, *query.related_objects) if ref.alias)
    return names


def _relationship_hops(field_ref: FieldRef, own: set[str]) -> tuple[str, ...]:
    hops = field_ref.path[:-1]
    if hops and hops[0].lower() in own:
        hops = hops[1:]
    return hops


def _limit_finding(node: FieldRef | Query, message: str, fix: str) -> Finding:
    return Finding(
        rule="SoqlRelationshipLimits",
        category=LIMITS,
        severity=Severity.HIGH,
        span=node.span,
        message=message,
        why="Salesforce caps relationship queries: five levels per parent path, 20 child "
        "subqueries and 55 parent relationships per query; past a cap the query is rejected.",
        fix=fix,
    )


def quoted_dates(nested: NestedQuery, settings: AnalysisSettings) -> Iterator[Finding]:
    """A quoted date-looking value on a field that may be a Date or DateTime."""
    for comparison in iter_comparisons(nested.query.where):
        left, right = comparison.left, comparison.right
        if not (isinstance(left, FieldRef) and isinstance(right, Literal)):
            continue
        if left.field_name.upper() in KNOWN_DATE_FIELDS or comparison.operator not in (
            COMPARISON_OPERATORS
        ):
            continue  # known date fields are reported as syntax errors
        if right.kind is LiteralKind.STRING and _QUOTED_DATE.fullmatch(right.text):
            yield Finding(
                rule="SoqlQuotedDate",
                category=SEMANTICS,
                severity=Severity.LOW,
                span=right.span,
                message=f"{right.text} is a quoted date; if {left.name} is a Date or DateTime "
                "field, the query fails.",
                why="SOQL writes date and datetime values without quotes; a quoted value is "
                "text and does not match a date field's type.",
                fix=f"If {left.name} is a date field write {right.string_value} without quotes "
                "(datetimes need a time zone: 2024-01-31T00:00:00Z); if it is a text field, "
                "keep the quotes.",
            )


SHAPE_RULES: Final = (
    unbounded_query,
    order_without_limit,
    fields_function_limit,
    wide_select,
    offset_rules,
    semi_join_shape,
    relationship_limits,
    quoted_dates,
)
