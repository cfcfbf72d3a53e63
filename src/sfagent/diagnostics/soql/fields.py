"""Field paths, SOQL functions, TYPEOF and the SELECT list."""

from __future__ import annotations

import difflib
from typing import NoReturn

from sfagent.diagnostics.soql.lexer import Token, TokenKind
from sfagent.diagnostics.soql.model import (
    Expression,
    FieldRef,
    FunctionCall,
    Keyword,
    Literal,
    LiteralKind,
    SelectField,
    SelectItem,
    Subquery,
    TypeOf,
    TypeOfWhen,
)
from sfagent.diagnostics.soql.values import ValueParsing
from sfagent.diagnostics.soql.vocabulary import (
    ALL_FUNCTIONS,
    DISTANCE_UNITS,
    FIELDS_GROUPS,
    RESERVED,
)

_ONE_ARGUMENT = ALL_FUNCTIONS - {"COUNT", "FIELDS", "GEOLOCATION", "DISTANCE", "GROUPING"}


class FieldParsing(ValueParsing):
    """Parses what names data: field paths, function calls and SELECT items."""

    def parse_field_path(self, *, object_name: bool = False) -> FieldRef:
        """Name(.Name)*: a field through parent relationships (or, in FROM, an object)."""
        start = self.current
        if start.kind is not TokenKind.IDENT:
            self.fail(
                start,
                f"Expected a field name but found {self.describe(start)}.",
                "Write a field API name such as Name or Account.Name.",
                "missing-field",
            )
        if start.upper in RESERVED and not object_name:
            self.fail(
                start,
                f"{start.text} is a SOQL keyword, not a field name.",
                "Check for a missing field or a misplaced keyword.",
                "keyword-as-field",
            )
        parts = [self.advance().text]
        while self.at_kind(TokenKind.DOT):
            dot = self.advance()
            if not self.at_kind(TokenKind.IDENT):
                self.fail(
                    dot,
                    "A dot in a field path must be followed by a name.",
                    "Remove the extra dot: Account.Name, not Account..Name or Account.",
                    "bad-path",
                )
            parts.append(self.advance().text)
        return FieldRef(tuple(parts), self.span_from(start))

    def parse_field_or_function(self) -> FieldRef | FunctionCall:
        """A field path, or a function call when a name is followed by '('."""
        if self.at_kind(TokenKind.IDENT) and self.peek().kind is TokenKind.LPAREN:
            return self.parse_function()
        return self.parse_field_path()

    def parse_function(self) -> FunctionCall:
        """NAME(args) with arguments checked against what the function accepts."""
        name = self.advance()
        if name.upper not in ALL_FUNCTIONS:
            self._fail_unknown_function(name)
        opener = self.advance()
        with self.nesting(opener):
            args = self._function_args(name)
        self.expect_kind(
            TokenKind.RPAREN,
            f"{name.text}( is not closed.",
            f"Close the call with ')': {name.text}(...).",
            "unbalanced-parentheses",
        )
        return FunctionCall(name.text, args, self.span_from(name))

    def _function_args(self, name: Token) -> tuple[Expression, ...]:
        upper = name.upper
        if upper == "COUNT" and self.at_kind(TokenKind.RPAREN):
            return ()
        if upper == "FIELDS":
            return (self._fields_group(name),)
        if upper == "GEOLOCATION":
            return self._geolocation_args()
        if upper == "DISTANCE":
            return self._distance_args(name)
        args: list[Expression] = [self.parse_field_or_function()]
        while upper == "GROUPING" and self.at_kind(TokenKind.COMMA):
            self.advance()
            args.append(self.parse_field_path())
        if upper in _ONE_ARGUMENT or upper == "COUNT":
            self._refuse_extra_arguments(name)
        return tuple(args)

    def _refuse_extra_arguments(self, name: Token) -> None:
        if self.at_kind(TokenKind.COMMA):
            self.fail(
                self.current,
                f"{name.text}() takes one field.",
                f"Use one {name.text}() per field.",
                "function-arguments",
            )

    def _fields_group(self, name: Token) -> Keyword:
        token = self.current
        if token.kind is not TokenKind.IDENT or token.upper not in FIELDS_GROUPS:
            self.fail(
                token,
                "FIELDS() takes ALL, STANDARD or CUSTOM.",
                "Write FIELDS(STANDARD), or FIELDS(ALL) / FIELDS(CUSTOM) with LIMIT 200.",
                "function-arguments",
            )
        self.advance()
        return Keyword(token.upper, self.span_from(token))

    def _geolocation_args(self) -> tuple[Expression, ...]:
        args: list[Expression] = []
        for position in range(2):
            if position:
                self.expect_kind(
                    TokenKind.COMMA,
                    "GEOLOCATION() takes latitude, longitude.",
                    "Write GEOLOCATION(37.775, -122.418).",
                    "function-arguments",
                )
            if self.at_kind(TokenKind.COLON):
                args.append(self.parse_bind())
            else:
                number = self.expect_kind(
                    TokenKind.NUMBER,
                    "GEOLOCATION() takes two numbers.",
                    "Write GEOLOCATION(37.775, -122.418).",
                    "function-arguments",
                )
                args.append(Literal(LiteralKind.NUMBER, number.text, self.span_from(number)))
        return tuple(args)

    def _distance_args(self, name: Token) -> tuple[Expression, ...]:
        usage = "Write DISTANCE(Location__c, GEOLOCATION(37.775, -122.418), 'mi')."
        first = self._location_argument(usage)
        self.expect_kind(
            TokenKind.COMMA,
            "DISTANCE() takes two locations and a unit.",
            usage,
            "function-arguments",
        )
        second = self._location_argument(usage)
        self.expect_kind(
            TokenKind.COMMA, "DISTANCE() needs a unit: 'mi' or 'km'.", usage, "function-arguments"
        )
        unit = self.current
        if unit.kind is not TokenKind.STRING or unit.text[1:-1] not in DISTANCE_UNITS:
            self.fail(
                unit, "The DISTANCE() unit must be 'mi' or 'km'.", usage, "function-arguments"
            )
        self.advance()
        return first, second, Literal(LiteralKind.STRING, unit.text, self.span_from(unit))

    def _location_argument(self, usage: str) -> FieldRef | FunctionCall:
        token = self.current
        if token.kind is TokenKind.IDENT and token.upper == "GEOLOCATION":
            return self.parse_function()
        if token.kind is not TokenKind.IDENT:
            self.fail(
                token,
                "DISTANCE() compares a location field with another location.",
                usage,
                "function-arguments",
            )
        return self.parse_field_path()

    def _fail_unknown_function(self, name: Token) -> NoReturn:
        upper = name.upper
        if self.peek().upper == "SELECT":
            self.fail(
                self.current,
                "A subquery follows a field without a comma.",
                f"Add a comma before the subquery: SELECT {name.text}, (SELECT ...) ...",
                "missing-comma",
            )
        glued = next(
            (
                f
                for f in sorted(ALL_FUNCTIONS, key=len, reverse=True)
                if upper.endswith(f) and len(upper) > len(f)
            ),
            None,
        )
        if glued:
            field = name.text[: -len(glued)]
            suggestion = f"Add a comma: {field}, {name.text[-len(glued) :]}(...)."
            message = f"{name.text}( looks like a field and a function with no comma between."
        else:
            close = difflib.get_close_matches(upper, sorted(ALL_FUNCTIONS), n=1, cutoff=0.75)
            message = f"{name.text}() is not a SOQL function."
            suggestion = (
                f"Did you mean {close[0]}()?"
                if close
                else "SOQL functions are aggregates (COUNT, SUM, AVG, MIN, MAX, "
                "COUNT_DISTINCT), date functions (CALENDAR_YEAR, DAY_ONLY, ...), "
                "FORMAT, toLabel, convertCurrency, FIELDS, DISTANCE and GEOLOCATION."
            )
        self.fail(name, message, suggestion, "unknown-function")

    def parse_select_list(self) -> tuple[SelectItem, ...]:
        """SELECT items up to FROM."""
        self._refuse_empty_select()
        items = [self.parse_select_item()]
        while self.at_kind(TokenKind.COMMA):
            comma = self.advance()
            if self.at_word("FROM") or self.at_kind(TokenKind.EOF):
                self.fail(
                    comma,
                    "Trailing comma before FROM.",
                    "Remove the comma after the last field.",
                    "trailing-comma",
                )
            items.append(self.parse_select_item())
        return tuple(items)

    def _refuse_empty_select(self) -> None:
        token = self.current
        if self.at_symbol("*"):
            self.fail(
                token,
                "SOQL has no SELECT *.",
                "List the fields you need (SELECT Id, Name FROM Account), or use "
                "FIELDS(STANDARD); FIELDS(ALL) and FIELDS(CUSTOM) also work outside Apex "
                "when the query ends with LIMIT 200 or less.",
                "select-star",
            )
        if self.at_word("FROM") or self.at_kind(TokenKind.EOF):
            self.fail(
                token,
                "SELECT has no fields.",
                "Name at least one field: SELECT Id FROM Account.",
                "empty-select",
            )

    def parse_select_item(self) -> SelectItem:
        """A field or function with optional alias, a TYPEOF, or a child subquery."""
        start = self.current
        if start.kind is TokenKind.LPAREN:
            return self._child_subquery()
        if start.upper == "TYPEOF" and self.peek().kind is TokenKind.IDENT:
            return self._typeof()
        if start.kind is TokenKind.COMMA:
            self.fail(
                start,
                "Two commas in a row in the SELECT list.",
                "Remove the extra comma.",
                "extra-comma",
            )
        expression = self.parse_field_or_function()
        alias = None
        if self._at_alias():
            alias = self.advance().text
        return SelectField(expression, alias, self.span_from(start))

    def _at_alias(self) -> bool:
        token = self.current
        follower = self.peek().kind
        return (
            token.kind is TokenKind.IDENT
            and token.upper not in RESERVED
            and follower not in (TokenKind.DOT, TokenKind.LPAREN)
        )

    def _child_subquery(self) -> Subquery:
        opener = self.advance()
        with self.nesting(opener):
            if not self.at_word("SELECT"):
                self.fail(
                    self.current,
                    "A parenthesis in the SELECT list must hold a subquery.",
                    "Write a child subquery as (SELECT Id FROM Contacts).",
                    "bad-subquery",
                )
            query = self.parse_query_body(nested=True)
        self.expect_kind(
            TokenKind.RPAREN,
            "The subquery is not closed.",
            "Add ')' after the subquery.",
            "unbalanced-parentheses",
        )
        return Subquery(query, self.span_from(opener))

    def _typeof(self) -> TypeOf:
        start = self.advance()
        field = self.advance()
        whens: list[TypeOfWhen] = []
        while self.accept_word("WHEN"):
            object_type = self.expect_kind(
                TokenKind.IDENT,
                "WHEN needs an object type.",
                "Write WHEN Account THEN Phone.",
                "bad-typeof",
            )
            self.expect_word(
                "THEN",
                "Expected THEN after the WHEN object type.",
                "Write WHEN Account THEN Phone, Name.",
                "bad-typeof",
            )
            whens.append(TypeOfWhen(object_type.text, self._typeof_fields()))
        if not whens:
            self.fail(
                self.current,
                "TYPEOF needs at least one WHEN ... THEN ... branch.",
                "Write TYPEOF What WHEN Account THEN Phone ELSE Name END.",
                "bad-typeof",
            )
        else_fields = self._typeof_fields() if self.accept_word("ELSE") else ()
        self.expect_word(
            "END", "TYPEOF must be closed with END.", "Add END after the last branch.", "bad-typeof"
        )
        return TypeOf(field.text, tuple(whens), else_fields, self.span_from(start))

    def _typeof_fields(self) -> tuple[FieldRef, ...]:
        fields = [self.parse_field_path()]
        while self.at_kind(TokenKind.COMMA):
            self.advance()
            fields.append(self.parse_field_path())
        return tuple(fields)
