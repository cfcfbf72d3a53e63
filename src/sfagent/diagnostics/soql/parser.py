"""Recursive-descent parser for a SOQL statement: SELECT list, FROM, then the clauses."""

from __future__ import annotations

from typing import NoReturn

from sfagent.diagnostics.soql.clauses import CLAUSE_ORDER_HELP, ClauseParsing, ClauseValues
from sfagent.diagnostics.soql.lexer import Token, TokenKind
from sfagent.diagnostics.soql.model import Clause, ObjectRef, Query
from sfagent.diagnostics.soql.vocabulary import GLUABLE_KEYWORDS, RESERVED


class SoqlParser(ClauseParsing):
    """Parses one SOQL statement into a Query."""

    def parse_statement(self) -> Query:
        """The whole text as one query; anything left over is an error."""
        self._expect_select()
        return self.parse_query_body(nested=False)

    def parse_query_body(self, *, nested: bool) -> Query:
        """SELECT ... FROM ... [clauses]; stops before ')' when nested."""
        select_token = self.advance()
        select = self.parse_select_list()
        values = ClauseValues()
        values.clauses.append(Clause("SELECT", self.span_from(select_token)))
        from_token = self._expect_from()
        sobject = self._object_ref()
        related = []
        while self.at_kind(TokenKind.COMMA):
            self.advance()
            related.append(self._object_ref())
        values.clauses.append(Clause("FROM", self.span_from(from_token)))
        self.parse_clauses(values)
        expected = TokenKind.RPAREN if nested else TokenKind.EOF
        if not self.at_kind(expected):
            self._fail_unexpected(nested=nested)
        return Query(
            select=select,
            sobject=sobject,
            related_objects=tuple(related),
            using_scope=values.using_scope,
            where=values.where,
            security_mode=values.security_mode,
            data_category=tuple(values.data_category),
            group_by=values.group_by,
            having=values.having,
            order_by=tuple(values.order_by),
            limit=values.limit,
            offset=values.offset,
            for_modes=tuple(values.for_modes),
            update_modes=tuple(values.update_modes),
            all_rows=values.all_rows,
            clauses=tuple(values.clauses),
            span=self.span_from(select_token),
        )

    def _expect_select(self) -> None:
        token = self.current
        if self.at_word("SELECT"):
            return
        if token.kind is TokenKind.EOF:
            self.fail(
                token,
                "The query is empty.",
                "Write a query: SELECT Id FROM Account.",
                "empty-query",
            )
        if token.kind is TokenKind.STRING and token.text[1:].lstrip().upper().startswith("SELECT"):
            self.fail(
                token,
                "The whole query is inside a string literal.",
                "Paste the query itself, without the surrounding quotes.",
                "quoted-query",
            )
        self._fail_glued(token)
        self.fail(
            token,
            f"A SOQL query starts with SELECT, not {self.describe(token)}.",
            "Start with SELECT and the fields: SELECT Id, Name FROM Account.",
            "missing-select",
        )

    def _expect_from(self) -> Token:
        token = self.current
        if self.at_word("FROM"):
            return self.advance()
        alias = self.previous
        if alias.kind is TokenKind.IDENT and alias.upper.startswith("FROM"):
            # "SELECT Id FROMAccount" reads FROMAccount as an alias of Id.
            self._fail_glued(alias)
        self._fail_glued(token)
        if token.kind is TokenKind.LPAREN:
            self.fail(
                token,
                "A subquery follows a field without a comma.",
                "Add a comma before the subquery: SELECT Name, (SELECT ...) FROM ...",
                "missing-comma",
            )
        if token.kind is TokenKind.EOF:
            self.fail(
                token,
                "The query has no FROM clause.",
                "Add FROM and the object to query: SELECT Id FROM Account.",
                "missing-from",
            )
        if token.kind is TokenKind.IDENT:
            self.fail(
                token,
                f"Expected a comma or FROM but found '{token.text}'.",
                "Separate fields with commas (SELECT Id, Name, Email FROM Contact) and end "
                "the field list with FROM.",
                "missing-comma",
            )
        self.fail(
            token,
            f"Expected FROM after the fields but found {self.describe(token)}.",
            "End the field list with FROM and the object: SELECT Id FROM Account.",
            "missing-from",
        )

    def _object_ref(self) -> ObjectRef:
        start = self.current
        if (
            start.kind is not TokenKind.IDENT
            or self.clause_word() is not None
            or start.upper in RESERVED - {"GROUP"}
        ):
            self.fail(
                start,
                f"FROM needs an object name before {self.describe(start)}.",
                "Name the object to query: FROM Account.",
                "missing-object",
            )
        name = self.parse_field_path(object_name=True).name
        alias = None
        token = self.current
        if (
            token.kind is TokenKind.IDENT
            and token.upper not in RESERVED
            and self.clause_word() is None
        ):
            alias = self.advance().text
        return ObjectRef(name, alias, self.span_from(start))

    def _fail_glued(self, token: Token) -> None:
        glued = _glued_keyword(token)
        if glued is not None:
            keyword, rest = glued
            self.fail(
                token,
                f"'{token.text}' runs the keyword {keyword} into '{rest}'.",
                f"Add a space: {keyword} {rest}.",
                "missing-space",
            )

    def _fail_unexpected(self, *, nested: bool) -> NoReturn:
        token = self.current
        self._fail_glued(token)
        previous = _glued_keyword(self.previous)
        if previous is not None and previous[1].upper() == "BY":
            self._fail_glued(self.previous)  # "FROM Account GROUPBY Name" reads GROUPBY as alias
        if nested and (token.kind is TokenKind.EOF or self.at_word("FROM")):
            self.fail(
                token,
                f"A subquery is not closed before {self.describe(token)}.",
                "Add ')' after the subquery.",
                "unbalanced-parentheses",
            )
        if self.at_word("FROM"):
            self.fail(
                token,
                "The query has a second FROM.",
                "Keep one FROM; a SOQL query reads from one object.",
                "duplicate-clause",
            )
        if token.kind is TokenKind.RPAREN:
            self.fail(
                token,
                "This ')' has no matching '('.",
                "Remove it or add the missing '('.",
                "unbalanced-parentheses",
            )
        if token.kind is TokenKind.SYMBOL and token.text in ("+", "-", "*", "/"):
            self.fail_arithmetic(token)
        if token.kind is TokenKind.SYMBOL and token.text == ";":
            self.fail(
                token,
                "Text follows the semicolon that ends the query.",
                "Analyse one query at a time.",
                "extra-text",
            )
        self.fail(
            token,
            f"Unexpected {self.describe(token)} here.",
            f"Check for a missing operator, comma or keyword. {CLAUSE_ORDER_HELP}",
            "unexpected",
        )


def _glued_keyword(token: Token) -> tuple[str, str] | None:
    """(keyword, rest) when a word is a keyword run into the next word: FROMAccount, GROUPBY."""
    if token.kind is not TokenKind.IDENT:
        return None
    for keyword in GLUABLE_KEYWORDS:
        rest = token.text[len(keyword) :]
        if not token.upper.startswith(keyword) or not rest:
            continue
        if keyword in ("GROUP", "ORDER") and rest.upper() != "BY":
            continue
        return keyword, rest
    return None
