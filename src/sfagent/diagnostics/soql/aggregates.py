"""Aggregate queries done right: grouped-or-aggregated fields, COUNT() rules, HAVING."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from sfagent.diagnostics.findings import Finding, Severity, Span
from sfagent.diagnostics.soql.model import Expression, FieldRef, FunctionCall, Query, SelectField
from sfagent.diagnostics.soql.walk import NestedQuery, expression_fields, iter_comparisons

CATEGORY: Final = "soql-semantics"
_GROUPING_WHY: Final = (
    "In a query with GROUP BY or an aggregate function each result row stands for a group of "
    "records, so every other value must be grouped or aggregated; Salesforce rejects the "
    "query with 'Field must be grouped or aggregated'."
)


def grouped_or_aggregated(nested: NestedQuery) -> Iterator[Finding]:
    """Every SELECT, ORDER BY and HAVING item of an aggregate query is grouped or aggregated."""
    query = nested.query
    if _plain_count(query) is not None or not _is_aggregate_query(query):
        return
    grouping = _Grouping(query)
    places: list[tuple[str, Expression, Span]] = []
    places.extend(("SELECT", item.expression, item.span) for item in query.fields)
    places.extend(("ORDER BY", item.expression, item.span) for item in query.order_by)
    places.extend(("HAVING", c.left, c.span) for c in iter_comparisons(query.having))
    for clause, expression, span in places:
        if not grouping.allows(expression):
            yield _ungrouped_finding(clause, expression, span, query)


def _is_aggregate_query(query: Query) -> bool:
    return query.group_by is not None or any(
        isinstance(item.expression, FunctionCall) and item.expression.is_aggregate
        for item in query.fields
    )


class _Grouping:
    """What a query groups by, to tell whether an expression may appear in it."""

    def __init__(self, query: Query) -> None:
        items = query.group_by.items if query.group_by is not None else ()
        self.expressions = {_normalised(item) for item in items}
        self.fields = {ref.name.lower() for item in items for ref in expression_fields(item)}

    def allows(self, expression: Expression) -> bool:
        if not isinstance(expression, FieldRef | FunctionCall):
            return True
        if isinstance(expression, FunctionCall) and (
            expression.is_aggregate or expression.upper_name == "GROUPING"
        ):
            return True
        if _normalised(expression) in self.expressions:
            return True
        fields = expression_fields(expression)
        return bool(fields) and all(ref.name.lower() in self.fields for ref in fields)


def _normalised(expression: Expression) -> str:
    if isinstance(expression, FunctionCall):
        return f"{expression.upper_name}({','.join(_normalised(a) for a in expression.args)})"
    if isinstance(expression, FieldRef):
        return expression.name.lower()
    return getattr(expression, "text", "").lower()


def _ungrouped_finding(clause: str, expression: Expression, span: Span, query: Query) -> Finding:
    shown = expression.name if isinstance(expression, FieldRef | FunctionCall) else "value"
    grouped = query.group_by is not None
    fix = (
        f"Add {shown} to GROUP BY, wrap it in an aggregate such as MAX({shown}), or remove it."
        if grouped
        else f"Add GROUP BY {shown}, wrap it in an aggregate such as MAX({shown}), or remove it."
    )
    return Finding(
        rule="SoqlAggregateMix",
        category=CATEGORY,
        severity=Severity.HIGH,
        span=span,
        message=f"{shown} in {clause} is neither grouped nor aggregated.",
        why=_GROUPING_WHY,
        fix=fix,
        example="SELECT LeadSource, COUNT(Id) FROM Lead GROUP BY LeadSource",
    )


def count_usage(nested: NestedQuery) -> Iterator[Finding]:
    """COUNT() stands alone: no other fields, no GROUP BY, no ORDER BY."""
    query = nested.query
    count = _plain_count(query)
    if count is None:
        return
    problems = []
    if len(query.select) > 1:
        problems.append("other fields in the SELECT list")
    if query.group_by is not None:
        problems.append("GROUP BY")
    if query.order_by:
        problems.append("ORDER BY")
    if problems:
        yield Finding(
            rule="SoqlCountUsage",
            category=CATEGORY,
            severity=Severity.HIGH,
            span=count.span,
            message="COUNT() is used with " + " and ".join(problems) + ".",
            why="COUNT() returns only the number of matching rows, so it must be the only item "
            "in the SELECT list and cannot be grouped or ordered; Salesforce rejects the query.",
            fix="Use COUNT(Id) (or COUNT(fieldName)) with GROUP BY and other fields, or keep "
            "COUNT() alone: SELECT COUNT() FROM Contact WHERE ...",
            example="SELECT LeadSource, COUNT(Id) FROM Lead GROUP BY LeadSource",
        )


def _plain_count(query: Query) -> FunctionCall | None:
    """The COUNT() item (without a field) of the SELECT list, if any."""
    for item in query.fields:
        expression = item.expression
        if (
            isinstance(expression, FunctionCall)
            and expression.upper_name == "COUNT"
            and not expression.args
        ):
            return expression
    return None


def is_count_only(query: Query) -> bool:
    """True for a query that only counts (COUNT() or COUNT(field)) without grouping."""
    return query.group_by is None and all(
        isinstance(item, SelectField)
        and isinstance(item.expression, FunctionCall)
        and item.expression.upper_name == "COUNT"
        for item in query.select
    )


AGGREGATE_RULES: Final = (grouped_or_aggregated, count_usage)
