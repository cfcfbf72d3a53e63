"""Walking the syntax tree: nested queries, comparisons, field references and binds."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from sfagent.diagnostics.soql.model import (
    And,
    BindVariable,
    Comparison,
    Condition,
    Expression,
    FieldRef,
    FunctionCall,
    Not,
    Or,
    Query,
    SelectField,
    ValueList,
)


class QueryRole(StrEnum):
    """Where a query sits: the statement itself, a child subquery or a semi-join."""

    TOP = "top"
    CHILD = "child"
    SEMI_JOIN = "semi-join"


@dataclass(frozen=True, slots=True)
class NestedQuery:
    """A query with its role and the query that contains it."""

    query: Query
    role: QueryRole
    parent: Query | None


def iter_queries(query: Query) -> Iterator[NestedQuery]:
    """The statement and every subquery in it, outermost first."""
    pending = deque([NestedQuery(query, QueryRole.TOP, None)])
    while pending:
        nested = pending.popleft()
        yield nested
        current = nested.query
        for subquery in current.subqueries:
            pending.append(NestedQuery(subquery.query, QueryRole.CHILD, current))
        for condition in (current.where, current.having):
            for comparison in iter_comparisons(condition):
                if isinstance(comparison.right, Query):
                    pending.append(NestedQuery(comparison.right, QueryRole.SEMI_JOIN, current))


def iter_comparisons(condition: Condition | None) -> Iterator[Comparison]:
    """Every comparison in a condition (semi-join subqueries are not entered)."""
    pending: list[Condition] = [] if condition is None else [condition]
    while pending:
        node = pending.pop()
        if isinstance(node, Comparison):
            yield node
        elif isinstance(node, Not):
            pending.append(node.operand)
        elif isinstance(node, And | Or):
            pending.extend(reversed(node.operands))


def expression_fields(expression: Expression) -> tuple[FieldRef, ...]:
    """Field references inside an expression."""
    if isinstance(expression, FieldRef):
        return (expression,)
    if isinstance(expression, FunctionCall):
        return expression.field_refs()
    return ()


def query_field_refs(query: Query) -> Iterator[FieldRef]:
    """Field references of one query's own clauses (not of its subqueries)."""
    for item in query.select:
        if isinstance(item, SelectField):
            yield from expression_fields(item.expression)
    for condition in (query.where, query.having):
        for comparison in iter_comparisons(condition):
            yield from expression_fields(comparison.left)
    if query.group_by is not None:
        for group_item in query.group_by.items:
            yield from expression_fields(group_item)
    for order_item in query.order_by:
        yield from expression_fields(order_item.expression)


def expression_text(expression: Expression) -> str:
    """An expression written back as SOQL text: Account.Name, COUNT(Id), :ids."""
    if isinstance(expression, FieldRef):
        return expression.name
    if isinstance(expression, FunctionCall):
        return f"{expression.name}({', '.join(expression_text(a) for a in expression.args)})"
    if isinstance(expression, BindVariable):
        return f":{expression.expression}"
    return expression.text


def bind_variables(query: Query) -> tuple[BindVariable, ...]:
    """Every Apex bind in the statement and its subqueries, in source order."""
    found: list[BindVariable] = []
    for nested in iter_queries(query):
        current = nested.query
        for condition in (current.where, current.having):
            for comparison in iter_comparisons(condition):
                found.extend(_comparison_binds(comparison))
        for item in current.fields:
            found.extend(_expression_binds(item.expression))
        found.extend(b for b in (current.limit, current.offset) if isinstance(b, BindVariable))
    return tuple(sorted(found, key=lambda bind: (bind.span.line, bind.span.column)))


def _comparison_binds(comparison: Comparison) -> list[BindVariable]:
    found = _expression_binds(comparison.left)
    right = comparison.right
    if isinstance(right, BindVariable):
        found.append(right)
    elif isinstance(right, ValueList):
        found.extend(value for value in right.values if isinstance(value, BindVariable))
    return found


def _expression_binds(expression: Expression) -> list[BindVariable]:
    if isinstance(expression, BindVariable):
        return [expression]
    if isinstance(expression, FunctionCall):
        return [bind for arg in expression.args for bind in _expression_binds(arg)]
    return []
