"""analyze_soql: syntax errors plus selectivity, aggregate and limit advice for one query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sfagent.diagnostics.findings import Finding, Severity, sort_findings
from sfagent.diagnostics.inputs import decode_input
from sfagent.diagnostics.soql.aggregates import AGGREGATE_RULES
from sfagent.diagnostics.soql.errors import SoqlSyntaxError, TextLocator
from sfagent.diagnostics.soql.filters import AnalysisSettings, can_use_index, filter_uses
from sfagent.diagnostics.soql.limits import SHAPE_RULES
from sfagent.diagnostics.soql.model import (
    BindVariable,
    Literal,
    Query,
    SelectField,
    Subquery,
    TypeOf,
)
from sfagent.diagnostics.soql.selectivity import SELECTIVITY_RULES
from sfagent.diagnostics.soql.syntax import parse_soql
from sfagent.diagnostics.soql.walk import (
    QueryRole,
    bind_variables,
    expression_text,
    iter_queries,
)

# Salesforce's default cap on the length of a SOQL statement (dynamic Apex is exempt).
SALESFORCE_MAX_SOQL_CHARS: Final = 100_000
_SELECTIVITY_ROLES: Final = (QueryRole.TOP, QueryRole.SEMI_JOIN)


@dataclass(frozen=True, slots=True)
class SoqlAnalysis:
    """Everything learned about one query: the tree, syntax errors and advice."""

    text: str
    query: Query | None
    errors: tuple[SoqlSyntaxError, ...]
    findings: tuple[Finding, ...]
    indexed_filters: tuple[str, ...]

    @property
    def valid(self) -> bool:
        """True when the query parsed without syntax errors."""
        return self.query is not None and not self.errors

    @property
    def binds(self) -> tuple[BindVariable, ...]:
        """Apex bind variables in the query."""
        return () if self.query is None else bind_variables(self.query)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for the CLI and the REST API."""
        return {
            "valid": self.valid,
            "query": None if self.query is None else describe_query(self.query),
            "errors": [error.to_dict() for error in self.errors],
            "findings": [finding.to_dict() for finding in self.findings],
            "indexed_filters": list(self.indexed_filters),
        }


def analyze_soql(
    text: str,
    *,
    large_objects: frozenset[str] | None = None,
    formula_fields: frozenset[str] = frozenset(),
    indexed_fields: frozenset[str] = frozenset(),
) -> SoqlAnalysis:
    """Parse a query and advise on it.

    Args:
        text: the query, bare or as Apex `[SELECT ...]`, optionally ending with `;`.
        large_objects: objects to treat as large; None means Account, Contact, Lead,
            Opportunity, Case, Task, Event and every custom object.
        formula_fields: fields known to be formulas (`Field__c` or `Object.Field__c`).
        indexed_fields: extra fields known to be indexed (custom indexes, External IDs).

    Returns:
        The analysis; `errors` is non-empty when the query would not run.
    """
    parsed = parse_soql(text)
    findings = [error.to_finding() for error in parsed.errors]
    findings.extend(_length_findings(text))
    query = parsed.query
    indexed: tuple[str, ...] = ()
    if query is not None:
        settings = AnalysisSettings.build(large_objects, formula_fields, indexed_fields)
        findings.extend(_advice(query, settings))
        indexed = _indexed_filters(query, settings)
    return SoqlAnalysis(
        text=text,
        query=query,
        errors=parsed.errors,
        findings=tuple(sort_findings(findings)),
        indexed_filters=indexed,
    )


def _advice(query: Query, settings: AnalysisSettings) -> list[Finding]:
    findings: list[Finding] = []
    for nested in iter_queries(query):
        if nested.role in _SELECTIVITY_ROLES:
            for selectivity_rule in SELECTIVITY_RULES:
                findings.extend(selectivity_rule(nested.query, settings))
        for aggregate_rule in AGGREGATE_RULES:
            findings.extend(aggregate_rule(nested))
        for shape_rule in SHAPE_RULES:
            findings.extend(shape_rule(nested, settings))
    return findings


def _indexed_filters(query: Query, settings: AnalysisSettings) -> tuple[str, ...]:
    """Top-level filters an index can serve: the good news, for the reply."""
    names = []
    for use in filter_uses(query.where):
        if can_use_index(use, query, settings) and use.field is not None:
            names.append(use.field.name)
    return tuple(dict.fromkeys(names))


def _length_findings(text: str) -> list[Finding]:
    if len(text) <= SALESFORCE_MAX_SOQL_CHARS:
        return []
    span = TextLocator(text).span(0, 1)
    return [
        Finding(
            rule="SoqlQueryTooLong",
            category="soql-limits",
            severity=Severity.MEDIUM,
            span=span,
            message=f"The query is {len(text):,} characters long.",
            why="Salesforce rejects SOQL statements over 100,000 characters by default; only "
            "dynamic Apex is exempt.",
            fix="Move long IN lists into an Apex bind variable (WHERE Id IN :ids) or split the "
            "query.",
            limit="SOQL statement length: 100,000 characters",
        )
    ]


def describe_query(query: Query) -> dict[str, Any]:
    """A compact, JSON-ready outline of a query tree."""
    return {
        "object": query.sobject.name,
        "alias": query.sobject.alias,
        "fields": [_select_item_text(item) for item in query.select],
        "subqueries": [describe_query(item.query) for item in query.subqueries],
        "has_where": query.where is not None,
        "group_by": None if query.group_by is None else len(query.group_by.items),
        "order_by": len(query.order_by),
        "limit": None if query.limit is None else _value_text(query.limit),
        "offset": None if query.offset is None else _value_text(query.offset),
        "security_mode": query.security_mode,
        "binds": [bind.expression for bind in bind_variables(query)],
    }


def _select_item_text(item: SelectField | TypeOf | Subquery) -> str:
    if isinstance(item, Subquery):
        return f"SUBQUERY:{item.query.sobject.name}"
    if isinstance(item, TypeOf):
        return f"TYPEOF:{item.field}"
    text = expression_text(item.expression)
    return text if item.alias is None else f"{text} {item.alias}"


def _value_text(value: Literal | BindVariable) -> str:
    return expression_text(value)


def analyze_soql_input(
    data: str | bytes,
    *,
    max_bytes: int,
    large_objects: frozenset[str] | None = None,
    formula_fields: frozenset[str] = frozenset(),
    indexed_fields: frozenset[str] = frozenset(),
) -> SoqlAnalysis:
    """`analyze_soql` for pasted or uploaded input: refuses binary, empty and oversize input."""
    decoded = decode_input(data, what="SOQL query", max_bytes=max_bytes)
    return analyze_soql(
        decoded.text,
        large_objects=large_objects,
        formula_fields=formula_fields,
        indexed_fields=indexed_fields,
    )
