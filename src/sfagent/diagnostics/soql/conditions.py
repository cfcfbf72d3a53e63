"""WHERE and HAVING conditions: AND/OR/NOT, comparisons, value lists and semi-joins."""

from __future__ import annotations

from typing import NoReturn

from sfagent.diagnostics.soql.fields import FieldParsing
from sfagent.diagnostics.soql.lexer import Token, TokenKind
from sfagent.diagnostics.soql.model import (
    And,
    BindVariable,
    Comparison,
    Condition,
    FieldRef,
    FunctionCall,
    Literal,
    Not,
    Or,
    Query,
    ValueList,
)
from sfagent.diagnostics.soql.values import ARITHMETIC_SYMBOLS
from sfagent.diagnostics.soql.vocabulary import CLAUSE_WORDS

_WORD_OPERATORS = frozenset({"LIKE", "IN", "INCLUDES", "EXCLUDES"})


class ConditionParsing(FieldParsing):
    """Parses condition expressions for WHERE and HAVING."""

    def parse_condition(self, clause: Token) -> Condition:
        """Conditions joined by one kind of logical operator; mixing needs parentheses."""
        start = self.current
        first = self._condition_term(clause)
        if not self.at_word("AND", "OR"):
            return first
        joiner = self.current.upper
        operands = [first]
        while self.at_word(joiner):
            self.advance()
            operands.append(self._condition_term(clause))
        if self.at_word("AND", "OR"):
            other = self.current
            self.fail(
                other,
                f"{joiner} and {other.upper} are mixed without parentheses.",
                "SOQL needs parentheses to say which goes first, for example "
                "(A AND B) OR C, or A AND (B OR C).",
                "mixed-and-or",
            )
        node = And if joiner == "AND" else Or
        return node(tuple(operands), self.span_from(start))

    def _condition_term(self, clause: Token) -> Condition:
        start = self.current
        if self.at_kind(TokenKind.EOF) or (
            start.kind is TokenKind.IDENT and start.upper in CLAUSE_WORDS - {"ALL"}
        ):
            self.fail(
                start,
                f"{clause.upper} has no condition before {self.describe(start)}.",
                f"Add a condition (Name = 'Acme') or remove {clause.upper}.",
                "empty-condition",
            )
        if self.at_word("NOT"):
            self.advance()
            with self.nesting(start):
                operand = self._condition_term(clause)
            return Not(operand, self.span_from(start))
        if start.kind is TokenKind.LPAREN:
            return self._parenthesised(clause)
        if self.at_symbol("!"):
            self.fail(
                start,
                "SOQL has no ! operator.",
                "Use NOT before a condition, or compare: IsActive = false.",
                "bang",
            )
        return self._comparison()

    def _parenthesised(self, clause: Token) -> Condition:
        opener = self.advance()
        with self.nesting(opener):
            condition = self.parse_condition(clause)
        if not self.at_kind(TokenKind.RPAREN):
            line, column = self.locator.line_column(opener.start)
            self.fail(
                self.current,
                f"Missing ')' for the parenthesis opened at line {line}, column {column}.",
                "Balance the parentheses: every '(' needs a matching ')'.",
                "unbalanced-parentheses",
            )
        self.advance()
        return condition

    def _comparison(self) -> Comparison:
        start = self.current
        left = self.parse_field_or_function()
        if isinstance(left, FunctionCall) and left.upper_name == "GEOLOCATION":
            self.fail(
                start,
                "GEOLOCATION() cannot be compared on its own.",
                "Compare a distance: DISTANCE(Location__c, GEOLOCATION(37.775, "
                "-122.418), 'mi') < 20.",
                "bad-geolocation",
            )
        operator = self._operator(left)
        right = self._right_side(operator)
        if self.at_kind(TokenKind.SYMBOL) and self.current.text in ARITHMETIC_SYMBOLS:
            self.fail_arithmetic(self.current)
        return Comparison(left, operator, right, self.span_from(start))

    def _operator(self, left: FieldRef | FunctionCall) -> str:
        token = self.current
        if token.kind is TokenKind.OPERATOR:
            if token.text == "==":
                self.fail(
                    token,
                    "SOQL compares with a single '='.",
                    "Replace '==' with '='.",
                    "double-equals",
                )
            self.advance()
            return token.text
        if token.kind is TokenKind.IDENT and token.upper in _WORD_OPERATORS:
            self.advance()
            return token.upper
        if self.at_word("NOT") and self.peek().upper == "IN":
            self.advance()
            self.advance()
            return "NOT IN"
        self._fail_operator(token, left)

    def _fail_operator(self, token: Token, left: FieldRef | FunctionCall) -> NoReturn:
        name = left.name if isinstance(left, FieldRef) else f"{left.name}(...)"
        if self.at_word("NOT") and self.peek().upper == "LIKE":
            self.fail(
                token,
                "SOQL has no NOT LIKE operator.",
                f"Put NOT before the whole condition: NOT {name} LIKE '...'.",
                "not-like",
            )
        if self.at_symbol("!"):
            self.fail(token, "SOQL has no ! operator.", "Use != to compare.", "bang")
        if token.kind is TokenKind.IDENT:
            self.fail(
                token,
                f"Expected an operator after {name} but found '{token.text}'.",
                "A condition is field operator value, e.g. Name = 'Acme'; check for a "
                "missing operator, a missing dot in a relationship path, or a stray word.",
                "missing-operator",
            )
        self.fail(
            token,
            f"Expected a comparison operator after {name}.",
            "Use =, !=, <, <=, >, >=, LIKE, IN, NOT IN, INCLUDES or EXCLUDES.",
            "missing-operator",
        )

    def _right_side(self, operator: str) -> Literal | BindVariable | ValueList | Query:
        if operator in ("IN", "NOT IN", "INCLUDES", "EXCLUDES"):
            if self.at_kind(TokenKind.COLON):
                return self.parse_bind()
            return self._value_list_or_semi_join(operator)
        if self.at_kind(TokenKind.LPAREN):
            self.fail(
                self.current,
                f"'{operator}' compares with one value, not a list.",
                "Use IN ('a', 'b') to match any value of a list.",
                "list-needs-in",
            )
        return self.parse_value()

    def _value_list_or_semi_join(self, operator: str) -> ValueList | Query:
        opener = self.current
        if not self.at_kind(TokenKind.LPAREN):
            self.fail(
                opener,
                f"{operator} needs a parenthesised list or a bind variable.",
                f"Write {operator} ('a', 'b') or, in Apex, {operator} :values.",
                "bad-list",
            )
        self.advance()
        with self.nesting(opener):
            if self.at_word("SELECT"):
                if operator not in ("IN", "NOT IN"):
                    self.fail(
                        self.current,
                        f"{operator} cannot take a subquery.",
                        "Only IN and NOT IN take a subquery.",
                        "bad-list",
                    )
                result: ValueList | Query = self.parse_query_body(nested=True)
            else:
                result = self._value_list(opener)
        self.expect_kind(
            TokenKind.RPAREN,
            f"The {operator} list is not closed.",
            "Add ')' after the last value.",
            "unbalanced-parentheses",
        )
        return result

    def _value_list(self, opener: Token) -> ValueList:
        if self.at_kind(TokenKind.RPAREN):
            self.fail(
                self.current,
                "The value list is empty.",
                "Put at least one value in the list.",
                "bad-list",
            )
        values = [self.parse_value()]
        while self.at_kind(TokenKind.COMMA):
            self.advance()
            values.append(self.parse_value())
        return ValueList(tuple(values), self.locator.span(opener.start, self.current.end))
