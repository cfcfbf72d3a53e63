"""Advice on filters that keep Salesforce from using an index (selectivity)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from sfagent.diagnostics.findings import Finding, Severity
from sfagent.diagnostics.soql.filters import (
    AnalysisSettings,
    FilterUse,
    cannot_use_index,
    filter_uses,
)
from sfagent.diagnostics.soql.model import And, Condition, Not, Or, Query
from sfagent.diagnostics.soql.walk import expression_fields, iter_comparisons

CATEGORY: Final = "soql-selectivity"
NON_SELECTIVE_LIMIT: Final = (
    "In Apex triggers, a non-selective query on an object with more than 200,000 records "
    "fails with System.QueryException: Non-selective query against large object type."
)
_INDEX_WHY: Final = (
    "Salesforce's query optimizer uses an index only for filters it can look up directly; "
    "otherwise it reads every record of the object, which is slow on large objects and can "
    "time out."
)


def leading_wildcard(query: Query, settings: AnalysisSettings) -> Iterator[Finding]:
    """LIKE '%text': the index on the field cannot be used."""
    for use in filter_uses(query.where):
        if use.leading_wildcard:
            yield Finding(
                rule="SoqlLeadingWildcard",
                category=CATEGORY,
                severity=Severity.MEDIUM,
                span=use.comparison.span,
                message="LIKE pattern starts with %, so no index can be used for it.",
                why="An index is ordered by the start of the value; a pattern that may match "
                "anywhere in the text forces Salesforce to check every record. " + _INDEX_WHY,
                fix="Match from the start of the value ('Acme%') if that is what you need. For "
                "a contains-search on text, SOSL (FIND 'acme' IN NAME FIELDS RETURNING "
                "Account(Id)) uses the search index instead.",
                example="SELECT Id FROM Account WHERE Name LIKE 'Acme%'",
            )


def negative_operators(query: Query, settings: AnalysisSettings) -> Iterator[Finding]:
    """!=, NOT IN, EXCLUDES and NOT: negative filters cannot use an index."""
    uses = filter_uses(query.where)
    has_positive = any(not u.is_negative for u in uses)
    for use in uses:
        if not use.is_negative or use.compares_null:
            continue
        operator = use.comparison.operator
        shown = f"NOT ... {operator}" if use.negated else operator
        yield Finding(
            rule="SoqlNegativeOperator",
            category=CATEGORY,
            severity=Severity.LOW if has_positive else Severity.MEDIUM,
            span=use.comparison.span,
            message=f"Negative filter ({shown}) cannot use an index.",
            why="A negative condition matches most rows, so the optimizer never looks it up in "
            "an index. " + _INDEX_WHY,
            fix="Filter on the values you want (Status IN ('Open', 'Pending') instead of "
            "Status != 'Closed'), or pair the negative filter with a selective positive filter "
            "on an indexed field such as CreatedDate or OwnerId.",
            details={"has_positive_filter": has_positive},
        )


def null_filters(query: Query, settings: AnalysisSettings) -> Iterator[Finding]:
    """= null on custom fields and != null filters."""
    for use in filter_uses(query.where):
        field_ref = use.field
        if not use.compares_null or field_ref is None:
            continue
        if use.comparison.operator in ("!=", "<>"):
            yield _not_null_finding(use)
        elif use.comparison.operator == "=" and field_ref.field_name.lower().endswith("__c"):
            yield _is_null_finding(use)


def _not_null_finding(use: FilterUse) -> Finding:
    return Finding(
        rule="SoqlNotNullFilter",
        category=CATEGORY,
        severity=Severity.LOW,
        span=use.comparison.span,
        message="'!= null' is a negative filter; it narrows the query only when few records "
        "have a value.",
        why="Negative filters are not looked up in an index, so on its own this filter "
        "usually means a full scan. " + _INDEX_WHY,
        fix="Keep it as an extra condition next to a selective filter on an indexed field, or "
        "maintain a checkbox (Has_Value__c = true) that a custom index can serve.",
    )


def _is_null_finding(use: FilterUse) -> Finding:
    return Finding(
        rule="SoqlNullFilter",
        category=CATEGORY,
        severity=Severity.LOW,
        span=use.comparison.span,
        message="'= null' on a custom field usually cannot use an index.",
        why="Custom indexes leave out records whose value is null unless Salesforce Support "
        "enabled nulls for that index, so the optimizer falls back to a full scan.",
        fix="Store a placeholder value (for example 'NA') instead of null when records must be "
        "found by 'no value', or add a selective filter on an indexed field.",
    )


def or_across_fields(query: Query, settings: AnalysisSettings) -> Iterator[Finding]:
    """OR over different fields: every field must be indexed for an index to be used."""
    for node in _outermost_ors(query.where):
        names = {
            ref.name.lower() for c in iter_comparisons(node) for ref in expression_fields(c.left)
        }
        if len(names) < 2:
            continue
        large = settings.is_large(query.sobject.name)
        yield Finding(
            rule="SoqlOrAcrossFields",
            category=CATEGORY,
            severity=Severity.MEDIUM if large else Severity.LOW,
            span=node.span,
            message=f"OR combines filters on {len(names)} different fields.",
            why="The optimizer can use indexes for an OR only when every field in it is "
            "indexed and the combined result stays selective; if any one is not, the whole "
            "object is scanned. " + _INDEX_WHY,
            fix="Make sure each field in the OR is indexed, or run one query per condition and "
            "merge the results (Salesforce's large-data-volume advice). For alternatives on "
            "one field, use IN.",
            details={"fields": sorted(names)},
        )


def _outermost_ors(condition: Condition | None) -> Iterator[Or]:
    pending = [] if condition is None else [condition]
    while pending:
        node = pending.pop(0)
        if isinstance(node, Or):
            yield node
        elif isinstance(node, And):
            pending.extend(node.operands)
        elif isinstance(node, Not):
            pending.append(node.operand)


def formula_field_filters(query: Query, settings: AnalysisSettings) -> Iterator[Finding]:
    """Filters on fields the caller says are formulas."""
    for use in filter_uses(query.where):
        field_ref = use.field
        if field_ref is None or not settings.is_formula(field_ref, query):
            continue
        yield Finding(
            rule="SoqlFormulaFieldFilter",
            category=CATEGORY,
            severity=Severity.MEDIUM,
            span=use.comparison.span,
            message=f"{field_ref.name} is a formula field, computed for each record at query time.",
            why="A formula has no stored value to index unless Salesforce Support builds a "
            "custom index for it, which is possible only for deterministic formulas (no "
            "TODAY(), NOW(), or cross-object references). " + _INDEX_WHY,
            fix="Filter on the stored fields the formula reads, or keep the value in a real "
            "field (set by a flow or trigger) and filter on that.",
        )


def non_selective(query: Query, settings: AnalysisSettings) -> Iterator[Finding]:
    """A large object filtered only by conditions no index can serve."""
    uses = filter_uses(query.where)
    if not uses or not settings.is_large(query.sobject.name):
        return
    if not all(cannot_use_index(use, query, settings) for use in uses):
        return
    where = query.clause("WHERE")
    yield Finding(
        rule="SoqlNonSelectiveFilter",
        category=CATEGORY,
        severity=Severity.HIGH,
        span=where.span if where else query.span,
        message=f"No filter in WHERE can use an index, so every {query.sobject.name} record "
        "is read.",
        why="Each condition is negative, starts with a wildcard, tests for null on a custom "
        "field or reads a formula. " + _INDEX_WHY,
        fix="Add a selective positive filter on an indexed field: Id, Name, OwnerId, "
        "CreatedDate, SystemModstamp, RecordTypeId, a lookup, or an External ID field.",
        example=f"SELECT Id FROM {query.sobject.name} WHERE CreatedDate = LAST_N_DAYS:30",
        limit=NON_SELECTIVE_LIMIT,
    )


SELECTIVITY_RULES: Final = (
    leading_wildcard,
    negative_operators,
    null_filters,
    or_across_fields,
    formula_field_filters,
    non_selective,
)
