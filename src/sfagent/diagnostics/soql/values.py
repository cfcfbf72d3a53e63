"""Values on the right of a comparison: literals, date literals, currency, Apex binds."""

from __future__ import annotations

import difflib
import re
from typing import Final, NoReturn

from sfagent.diagnostics.soql.lexer import Token, TokenKind
from sfagent.diagnostics.soql.model import BindVariable, Literal, LiteralKind
from sfagent.diagnostics.soql.stream import ParserCore
from sfagent.diagnostics.soql.vocabulary import DATE_LITERALS, DATE_LITERALS_WITH_N

_CURRENCY = re.compile(r"[A-Za-z]{3}\d+(?:\.\d+)?")
ARITHMETIC_SYMBOLS: Final = frozenset({"+", "-", "*", "/"})
_ALL_DATE_LITERALS: Final = sorted(DATE_LITERALS | DATE_LITERALS_WITH_N)
_CLOSERS: Final = {"(": ")", "[": "]", "{": "}"}


class ValueParsing(ParserCore):
    """Parses literal values and Apex bind expressions."""

    def parse_value(self) -> Literal | BindVariable:
        """One value: string, number, null, boolean, date, date literal, currency or bind."""
        token = self.current
        if token.kind is TokenKind.COLON:
            return self.parse_bind()
        kind = _LITERAL_KINDS.get(token.kind)
        if kind is not None:
            self.advance()
            return Literal(kind, token.text, self.span_from(token))
        if token.kind is TokenKind.IDENT:
            return self._word_value(token)
        if token.kind is TokenKind.SYMBOL and token.text in ARITHMETIC_SYMBOLS:
            self.fail_arithmetic(token)
        self.fail(
            token,
            f"Expected a value here but found {self.describe(token)}.",
            "Compare the field with a literal: 'text', 42, true, null, 2024-01-31, TODAY, or an "
            "Apex bind variable such as :value.",
            "missing-value",
        )

    def fail_arithmetic(self, token: Token) -> NoReturn:
        """Stop at an arithmetic operator, which SOQL filters do not have."""
        self.fail(
            token,
            "SOQL has no arithmetic in filters.",
            "Compute the value first (in Apex, bind it as :value) and compare the "
            "field with the result.",
            "arithmetic",
        )

    def _word_value(self, token: Token) -> Literal:
        upper = token.upper
        if upper == "NULL":
            kind = LiteralKind.NULL
        elif upper in ("TRUE", "FALSE"):
            kind = LiteralKind.BOOLEAN
        elif upper in DATE_LITERALS:
            kind = LiteralKind.DATE_LITERAL
        elif upper in DATE_LITERALS_WITH_N:
            return self._date_literal_with_n(token)
        elif _CURRENCY.fullmatch(token.text):
            kind = LiteralKind.CURRENCY
        else:
            self._fail_word_value(token)
        self.advance()
        if kind is LiteralKind.DATE_LITERAL and self.at_kind(TokenKind.COLON):
            self.fail(
                self.current,
                f"{token.text} does not take a number.",
                f"Use {token.text} alone, or a LAST_N_/NEXT_N_ literal with :n.",
                "date-literal-count",
            )
        return Literal(kind, token.text, self.span_from(token))

    def _date_literal_with_n(self, token: Token) -> Literal:
        self.advance()
        if not self.at_kind(TokenKind.COLON):
            self.fail(
                token,
                f"{token.text} needs a number after a colon.",
                f"Write it as {token.text}:30 (no spaces).",
                "date-literal-count",
            )
        self.advance()
        if not (self.at_kind(TokenKind.NUMBER) and self.current.text.isdigit()):
            self.fail(
                self.current,
                f"{token.text} needs a whole number written in the query after the colon.",
                f"Write it as {token.text}:30. For a number held in an Apex variable, compare "
                "with a computed date instead: CreatedDate >= :Date.today().addDays(-days).",
                "date-literal-count",
            )
        self.advance()
        return Literal(LiteralKind.DATE_LITERAL, self._source(token), self.span_from(token))

    def _fail_word_value(self, token: Token) -> NoReturn:
        name = token.text
        if name.lower().endswith("__r"):
            message = f"{name} is a relationship name, not a value."
            suggestion = (
                f"To filter on the related record's Id compare the lookup field "
                f"({name[:-3]}__c = '001...'); to filter on one of its fields write "
                f"{name}.Name = 'value'. SOQL cannot compare a field with another field."
            )
        elif name.lower().endswith("__c") or self.peek().kind is TokenKind.DOT:
            message = f"{name} is a field name; SOQL compares fields only with values."
            suggestion = (
                "SOQL cannot compare one field with another. Compare with a literal or an Apex "
                "bind (:value), or use a formula field that does the comparison."
            )
        else:
            close = difflib.get_close_matches(name.upper(), _ALL_DATE_LITERALS, n=1, cutoff=0.8)
            message = f"{name} is not a value SOQL understands."
            suggestion = (
                f"Did you mean the date literal {close[0]}?"
                if close
                else f"Quote text as '{name}', or in Apex bind a variable as :{name}. SOQL "
                "cannot compare a field with another field."
            )
        self.fail(token, message, suggestion, "bad-value")

    def parse_bind(self) -> BindVariable:
        """`:expression`: an Apex variable, field access, method call or `new` expression."""
        colon = self.advance()
        first = self.current
        if self.accept_word("NEW"):
            self._bind_type_name()
            self._bind_constructor_args()
        elif self.at_kind(TokenKind.IDENT):
            self.advance()
        elif self.at_kind(TokenKind.LPAREN):
            self._skip_balanced()
        else:
            self.fail(
                first,
                "A colon must be followed by an Apex variable or expression.",
                "Write the bind as :variableName.",
                "bad-bind",
            )
        self._bind_member_chain()
        expression = " ".join(self.text[first.start : self.previous.end].split())
        return BindVariable(expression, self.span_from(colon))

    def _bind_type_name(self) -> None:
        self.expect_kind(
            TokenKind.IDENT,
            "Expected a type name after new.",
            "Write the Apex expression as in code: :new Set<Id>(ids).",
            "bad-bind",
        )
        while self.at_kind(TokenKind.DOT) and self.peek().kind is TokenKind.IDENT:
            self.advance()
            self.advance()
        if self.at_symbol("<"):
            self._skip_generic_arguments()

    def _bind_constructor_args(self) -> None:
        if self.at_kind(TokenKind.LPAREN) or self.at_symbol("{", "["):
            self._skip_balanced()
        else:
            self.fail(
                self.current,
                "Expected ( after the type in a bind's new expression.",
                "Write the Apex expression as in code: :new Set<Id>(ids).",
                "bad-bind",
            )

    def _bind_member_chain(self) -> None:
        while True:
            if self.at_kind(TokenKind.DOT) and self.peek().kind is TokenKind.IDENT:
                self.advance()
                self.advance()
            elif self._at_call_or_index():
                self._skip_balanced()
            else:
                return

    def _at_call_or_index(self) -> bool:
        call = self.at_kind(TokenKind.LPAREN) and self.previous.kind is TokenKind.IDENT
        return call or self.at_symbol("[")

    def _skip_generic_arguments(self) -> None:
        opener = self.advance()
        depth = 1
        while depth:
            token = self.advance()
            if token.kind is TokenKind.EOF:
                self.fail(
                    opener,
                    "The generic type in this bind is never closed with >.",
                    "Close the type arguments, for example :new Set<Id>(ids).",
                    "bad-bind",
                )
            if token.text == "<":
                depth += 1
            elif token.text == ">":
                depth -= 1

    def _skip_balanced(self) -> None:
        """Skip an Apex bracketed group without recursion; the text is kept verbatim."""
        opener = self.advance()
        stack = [_CLOSERS[opener.text]]
        while stack:
            token = self.advance()
            if token.kind is TokenKind.EOF:
                self.fail(
                    opener,
                    f"This '{opener.text}' in a bind expression is never closed.",
                    f"Add the missing '{stack[-1]}'.",
                    "unbalanced-parentheses",
                )
            if token.text in _CLOSERS:
                stack.append(_CLOSERS[token.text])
            elif token.text == stack[-1]:
                stack.pop()

    def parse_row_count(self, clause: Token) -> Literal | BindVariable:
        """The whole number after LIMIT or OFFSET (or a bind)."""
        token = self.current
        if token.kind is TokenKind.COLON:
            return self.parse_bind()
        if token.kind is TokenKind.NUMBER and token.text.isdigit():
            self.advance()
            return Literal(LiteralKind.NUMBER, token.text, self.span_from(token))
        word = clause.upper
        if token.kind is TokenKind.NUMBER and token.text.startswith("-"):
            self.fail(
                token,
                f"{word} cannot be negative.",
                f"Use a whole number of 0 or more: {word} 100.",
                "bad-row-count",
            )
        self.fail(
            token,
            f"{word} needs a whole number, but found {self.describe(token)}.",
            f"Write a number without quotes ({word} 100), or in Apex a bind such as "
            f":{word.lower()}Size.",
            "bad-row-count",
        )

    def _source(self, start: Token) -> str:
        return self.text[start.start : self.previous.end]


_LITERAL_KINDS: Final = {
    TokenKind.STRING: LiteralKind.STRING,
    TokenKind.NUMBER: LiteralKind.NUMBER,
    TokenKind.DATE: LiteralKind.DATE,
    TokenKind.DATETIME: LiteralKind.DATETIME,
}
