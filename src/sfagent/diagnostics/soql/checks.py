"""Mistakes that parse but that Salesforce rejects when it compiles the query."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from sfagent.diagnostics.findings import Span
from sfagent.diagnostics.soql.errors import SoqlSyntaxError
from sfagent.diagnostics.soql.model import FieldRef, Literal, LiteralKind, Query
from sfagent.diagnostics.soql.walk import iter_comparisons, iter_queries, query_field_refs

# Standard fields that are always Date or DateTime, so a quoted value is always wrong.
KNOWN_DATE_FIELDS: Final = frozenset(
    {
        "CREATEDDATE",
        "LASTMODIFIEDDATE",
        "SYSTEMMODSTAMP",
        "CLOSEDATE",
        "ACTIVITYDATE",
        "LASTACTIVITYDATE",
        "LASTVIEWEDDATE",
        "LASTREFERENCEDDATE",
        "BIRTHDATE",
    }
)
DATE_LIKE_TEXT: Final = re.compile(r"'\d{4}-\d{1,2}-\d{1,2}")


def compile_errors(query: Query) -> list[SoqlSyntaxError]:
    """Errors Salesforce reports for a query that is well formed but cannot run."""
    errors: list[SoqlSyntaxError] = []
    for nested in iter_queries(query):
        errors.extend(_relationship_suffix_errors(nested.query))
        errors.extend(_quoted_date_errors(nested.query))
        errors.extend(_plain_alias_errors(nested.query))
    return sorted(errors, key=lambda error: (error.line, error.column))


def _relationship_suffix_errors(query: Query) -> Iterator[SoqlSyntaxError]:
    own_names = {query.sobject.name.lower()}
    own_names.update(
        ref.alias.lower() for ref in (query.sobject, *query.related_objects) if ref.alias
    )
    for field_ref in query_field_refs(query):
        error = _path_error(field_ref, own_names)
        if error is not None:
            yield error


def _path_error(field_ref: FieldRef, own_names: set[str]) -> SoqlSyntaxError | None:
    *relationships, field_name = field_ref.path
    for position, segment in enumerate(relationships):
        if position == 0 and segment.lower() in own_names:
            continue  # Account.Name FROM Account: the object's own name as a prefix
        if segment.lower().endswith("__c"):
            fixed = ".".join(
                (*field_ref.path[:position], segment[:-3] + "__r", *field_ref.path[position + 1 :])
            )
            return _error(
                field_ref.span,
                f"{segment} is the lookup field; a path through the relationship uses __r.",
                f"Write {fixed}. {segment} alone holds the related record's Id.",
                "custom-relationship-suffix",
            )
    if field_name.lower().endswith("__r"):
        parent = ".".join((*relationships, field_name))
        return _error(
            field_ref.span,
            f"{field_name} is a relationship, not a field.",
            f"Read a field of the related record ({parent}.Name), the lookup's Id "
            f"({field_name[:-3]}__c), or for child records a subquery: "
            f"(SELECT Id FROM {field_name}).",
            "relationship-as-field",
        )
    return None


def _quoted_date_errors(query: Query) -> Iterator[SoqlSyntaxError]:
    for condition in (query.where, query.having):
        for comparison in iter_comparisons(condition):
            left, right = comparison.left, comparison.right
            if not (isinstance(left, FieldRef) and isinstance(right, Literal)):
                continue
            if (
                right.kind is LiteralKind.STRING
                and left.field_name.upper() in KNOWN_DATE_FIELDS
                and DATE_LIKE_TEXT.match(right.text)
            ):
                yield _error(
                    right.span,
                    f"{left.field_name} is a date field, so its value must not be quoted.",
                    f"Remove the quotes: {left.name} {comparison.operator} "
                    f"{right.string_value} (datetimes need a time zone, e.g. "
                    "2024-01-31T00:00:00Z).",
                    "quoted-date",
                )


def _plain_alias_errors(query: Query) -> Iterator[SoqlSyntaxError]:
    if query.group_by is not None:
        return
    for item in query.fields:
        if isinstance(item.expression, FieldRef) and item.alias is not None:
            yield _error(
                item.span,
                f"'{item.expression.name} {item.alias}' reads as field "
                f"{item.expression.name} with alias {item.alias}, and SOQL allows aliases "
                "on plain fields only in GROUP BY queries.",
                f"If these are two fields, add a comma: {item.expression.name}, {item.alias}.",
                "missing-comma",
            )


def _error(span: Span, message: str, suggestion: str, code: str) -> SoqlSyntaxError:
    return SoqlSyntaxError(
        message=message,
        line=span.line,
        column=span.column,
        suggestion=suggestion,
        code=code,
        end_line=span.end_line,
        end_column=span.end_column,
    )
