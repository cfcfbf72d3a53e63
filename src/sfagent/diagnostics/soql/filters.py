"""What the advice rules know about a query's filters and the org: indexes, sizes, formulas."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from sfagent.diagnostics.soql.model import (
    And,
    Comparison,
    Condition,
    FieldRef,
    Literal,
    LiteralKind,
    Not,
    Or,
    Query,
)
from sfagent.diagnostics.soql.vocabulary import NEGATIVE_OPERATORS

# Objects that commonly hold hundreds of thousands of rows in production orgs.
DEFAULT_LARGE_OBJECTS: Final = frozenset(
    {"ACCOUNT", "CONTACT", "LEAD", "OPPORTUNITY", "CASE", "TASK", "EVENT"}
)
# Fields Salesforce indexes on most objects (large-data-volume guide): the record Id, Name,
# OwnerId, CreatedDate, SystemModstamp/LastModifiedDate, RecordTypeId, Division, and lookups.
STANDARD_INDEXED_FIELDS: Final = frozenset(
    {
        "ID",
        "NAME",
        "OWNERID",
        "CREATEDDATE",
        "SYSTEMMODSTAMP",
        "LASTMODIFIEDDATE",
        "RECORDTYPEID",
        "DIVISION",
    }
)
# Email is indexed on these two objects only.
EMAIL_INDEXED_OBJECTS: Final = frozenset({"CONTACT", "LEAD"})
# Operators an index can serve (LIKE only without a leading wildcard).
_POSITIVE_OPERATORS: Final = frozenset({"=", "<", "<=", ">", ">=", "IN", "LIKE", "INCLUDES"})


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    """What the caller knows about the org; upper-cased names, None means built-in defaults."""

    large_objects: frozenset[str] | None
    formula_fields: frozenset[str]
    indexed_fields: frozenset[str]

    @classmethod
    def build(
        cls,
        large_objects: frozenset[str] | None,
        formula_fields: frozenset[str],
        indexed_fields: frozenset[str],
    ) -> AnalysisSettings:
        """Settings with every name upper-cased for case-insensitive matching."""
        return cls(
            large_objects=None if large_objects is None else _upper(large_objects),
            formula_fields=_upper(formula_fields),
            indexed_fields=_upper(indexed_fields),
        )

    def is_large(self, object_name: str) -> bool:
        """True for objects treated as large (by default the usual big ones and custom ones)."""
        name = object_name.upper()
        if self.large_objects is not None:
            return name in self.large_objects
        return name in DEFAULT_LARGE_OBJECTS or name.endswith("__C")

    def is_formula(self, field_ref: FieldRef, query: Query) -> bool:
        """True when the caller named this field (bare or Object.Field) as a formula field."""
        qualified = f"{query.sobject.name}.{field_ref.name}".upper()
        return _matches(field_ref, self.formula_fields) or qualified in self.formula_fields

    def is_indexed(self, field_ref: FieldRef, query: Query) -> bool:
        """True when the field is one Salesforce indexes, or the caller said it is indexed."""
        if _matches(field_ref, self.indexed_fields):
            return True
        own_names = {query.sobject.name.upper()}
        if query.sobject.alias:
            own_names.add(query.sobject.alias.upper())
        if len(field_ref.path) > 2 or (
            len(field_ref.path) == 2 and field_ref.path[0].upper() not in own_names
        ):
            return False  # a parent's field: its index is on the parent object
        field_name = field_ref.field_name.upper()
        if field_name in STANDARD_INDEXED_FIELDS:
            return True
        if field_name == "EMAIL":
            return query.sobject.name.upper() in EMAIL_INDEXED_OBJECTS
        # Standard reference fields end in Id (AccountId, WhoId, ...) and are indexed lookups.
        return field_name.endswith("ID") and "__" not in field_name


@dataclass(frozen=True, slots=True)
class FilterUse:
    """A comparison in WHERE and how it is reached: under NOT, under OR."""

    comparison: Comparison
    negated: bool
    under_or: bool

    @property
    def is_negative(self) -> bool:
        """True for !=, NOT IN, EXCLUDES or a NOT around a positive comparison (not both)."""
        return self.negated != (self.comparison.operator in NEGATIVE_OPERATORS)

    @property
    def compares_null(self) -> bool:
        """True when the value is null."""
        right = self.comparison.right
        return isinstance(right, Literal) and right.kind is LiteralKind.NULL

    @property
    def leading_wildcard(self) -> bool:
        """True for LIKE with a pattern that starts with %."""
        right = self.comparison.right
        return (
            self.comparison.operator == "LIKE"
            and isinstance(right, Literal)
            and right.kind is LiteralKind.STRING
            and right.string_value.startswith("%")
        )

    @property
    def field(self) -> FieldRef | None:
        """The filtered field, when the left side is a plain field."""
        left = self.comparison.left
        return left if isinstance(left, FieldRef) else None


def filter_uses(condition: Condition | None) -> list[FilterUse]:
    """Every comparison of a WHERE clause with its NOT/OR context, in source order."""
    return [] if condition is None else list(_walk(condition, negated=False, under_or=False))


def _walk(condition: Condition, *, negated: bool, under_or: bool) -> Iterator[FilterUse]:
    if isinstance(condition, Comparison):
        yield FilterUse(condition, negated, under_or)
    elif isinstance(condition, Not):
        yield from _walk(condition.operand, negated=not negated, under_or=under_or)
    elif isinstance(condition, And):
        for operand in condition.operands:
            yield from _walk(operand, negated=negated, under_or=under_or)
    elif isinstance(condition, Or):
        for operand in condition.operands:
            yield from _walk(operand, negated=negated, under_or=True)


def can_use_index(use: FilterUse, query: Query, settings: AnalysisSettings) -> bool:
    """True when this filter is a positive match on an indexed field, reached without OR."""
    field_ref = use.field
    return (
        field_ref is not None
        and not use.under_or
        and not use.is_negative
        and not use.compares_null
        and not use.leading_wildcard
        and use.comparison.operator in _POSITIVE_OPERATORS
        and not settings.is_formula(field_ref, query)
        and settings.is_indexed(field_ref, query)
    )


def cannot_use_index(use: FilterUse, query: Query, settings: AnalysisSettings) -> bool:
    """True when no index can serve this filter, whatever the org's indexes are."""
    field_ref = use.field
    return (
        use.is_negative
        or use.leading_wildcard
        or (use.compares_null and use.comparison.operator == "=" and _is_custom(field_ref))
        or (field_ref is not None and settings.is_formula(field_ref, query))
    )


def _is_custom(field_ref: FieldRef | None) -> bool:
    return field_ref is not None and field_ref.field_name.lower().endswith("__c")


def _matches(field_ref: FieldRef, names: frozenset[str]) -> bool:
    return field_ref.name.upper() in names or field_ref.field_name.upper() in names


def _upper(names: frozenset[str]) -> frozenset[str]:
    return frozenset(name.upper() for name in names)
