"""The SOQL syntax tree: small frozen dataclasses the advice rules walk."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sfagent.diagnostics.findings import Span
from sfagent.diagnostics.soql.vocabulary import AGGREGATE_FUNCTIONS


class LiteralKind(StrEnum):
    """The kind of a literal value on the right of a comparison."""

    STRING = "string"
    NUMBER = "number"
    NULL = "null"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    DATE_LITERAL = "date_literal"  # TODAY, LAST_N_DAYS:30
    CURRENCY = "currency"  # USD5000


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A field, possibly through parent relationships: Account.Owner.Name."""

    path: tuple[str, ...]
    span: Span

    @property
    def name(self) -> str:
        """The path as written, joined with dots."""
        return ".".join(self.path)

    @property
    def field_name(self) -> str:
        """The last segment: the field itself."""
        return self.path[-1]


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal value; `text` is the source text (strings keep their quotes)."""

    kind: LiteralKind
    text: str
    span: Span

    @property
    def string_value(self) -> str:
        """For strings, the content between the quotes (escapes left as written)."""
        return self.text[1:-1] if self.kind is LiteralKind.STRING else self.text


@dataclass(frozen=True, slots=True)
class BindVariable:
    """An Apex bind expression after a colon: `:accountIds`, `:acc.Id`, `:ids.keySet()`."""

    expression: str
    span: Span

    @property
    def root(self) -> str:
        """The variable the expression starts from."""
        head = self.expression.split(".", 1)[0]
        return head.split("(", 1)[0].strip()


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """A SOQL function: COUNT(Id), CALENDAR_YEAR(CreatedDate), FIELDS(ALL), DISTANCE(...)."""

    name: str
    args: tuple[Expression, ...]
    span: Span

    @property
    def upper_name(self) -> str:
        """Function name in upper case, for matching."""
        return self.name.upper()

    @property
    def is_aggregate(self) -> bool:
        """True when this call, or a call inside it, aggregates rows."""
        if self.upper_name in AGGREGATE_FUNCTIONS:
            return True
        return any(isinstance(arg, FunctionCall) and arg.is_aggregate for arg in self.args)

    def field_refs(self) -> tuple[FieldRef, ...]:
        """Every field read by the call and the calls nested in it."""
        found: list[FieldRef] = []
        for arg in self.args:
            if isinstance(arg, FieldRef):
                found.append(arg)
            elif isinstance(arg, FunctionCall):
                found.extend(arg.field_refs())
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Keyword:
    """A bare word argument such as ALL in FIELDS(ALL)."""

    text: str
    span: Span


Expression = FieldRef | FunctionCall | Literal | BindVariable | Keyword


@dataclass(frozen=True, slots=True)
class SelectField:
    """One SELECT item that is a field or a function, with its alias if any."""

    expression: FieldRef | FunctionCall
    alias: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class TypeOfWhen:
    """WHEN ObjectType THEN field, field ..."""

    object_type: str
    fields: tuple[FieldRef, ...]


@dataclass(frozen=True, slots=True)
class TypeOf:
    """TYPEOF polymorphicField WHEN ... THEN ... [ELSE ...] END."""

    field: str
    whens: tuple[TypeOfWhen, ...]
    else_fields: tuple[FieldRef, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Subquery:
    """A parent-to-child subquery in the SELECT list: (SELECT ... FROM Contacts)."""

    query: Query
    span: Span


SelectItem = SelectField | TypeOf | Subquery


@dataclass(frozen=True, slots=True)
class ValueList:
    """A parenthesised list of values after IN, NOT IN, INCLUDES or EXCLUDES."""

    values: tuple[Literal | BindVariable, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Comparison:
    """field operator value; operator is upper case ('=', 'LIKE', 'NOT IN', ...)."""

    left: FieldRef | FunctionCall
    operator: str
    right: Literal | BindVariable | ValueList | Query
    span: Span


@dataclass(frozen=True, slots=True)
class Not:
    """NOT condition."""

    operand: Condition
    span: Span


@dataclass(frozen=True, slots=True)
class And:
    """Two or more conditions joined by AND."""

    operands: tuple[Condition, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Or:
    """Two or more conditions joined by OR."""

    operands: tuple[Condition, ...]
    span: Span


Condition = Comparison | Not | And | Or


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An object (or relationship path) in FROM, with its alias if any."""

    name: str
    alias: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class DataCategoryFilter:
    """Group__c AT|ABOVE|BELOW|ABOVE_OR_BELOW category or (categories)."""

    group: str
    selector: str
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GroupBy:
    """GROUP BY items; kind is PLAIN, ROLLUP or CUBE."""

    kind: str
    items: tuple[FieldRef | FunctionCall, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One ORDER BY item with direction and nulls placement as written (or None)."""

    expression: FieldRef | FunctionCall
    direction: str | None
    nulls: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Clause:
    """Where a clause starts and ends, so advice can point at it."""

    keyword: str
    span: Span


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed SELECT statement (top level, child subquery or semi-join)."""

    select: tuple[SelectItem, ...]
    sobject: ObjectRef
    related_objects: tuple[ObjectRef, ...]
    using_scope: str | None
    where: Condition | None
    security_mode: str | None
    data_category: tuple[DataCategoryFilter, ...]
    group_by: GroupBy | None
    having: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: Literal | BindVariable | None
    offset: Literal | BindVariable | None
    for_modes: tuple[str, ...]
    update_modes: tuple[str, ...]
    all_rows: bool
    clauses: tuple[Clause, ...]
    span: Span

    def clause(self, keyword: str) -> Clause | None:
        """The clause opened by `keyword` (SELECT, FROM, WHERE, GROUP, ORDER, LIMIT, ...)."""
        return next((c for c in self.clauses if c.keyword == keyword), None)

    @property
    def fields(self) -> tuple[SelectField, ...]:
        """SELECT items that are fields or functions (no subqueries or TYPEOF)."""
        return tuple(item for item in self.select if isinstance(item, SelectField))

    @property
    def subqueries(self) -> tuple[Subquery, ...]:
        """Parent-to-child subqueries in the SELECT list."""
        return tuple(item for item in self.select if isinstance(item, Subquery))
