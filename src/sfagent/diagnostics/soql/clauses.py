"""The clauses after FROM: USING SCOPE, WHERE, WITH, GROUP BY, HAVING, ORDER BY, LIMIT..."""

from __future__ import annotations

from dataclasses import dataclass, field

from sfagent.diagnostics.soql.conditions import ConditionParsing
from sfagent.diagnostics.soql.lexer import Token, TokenKind
from sfagent.diagnostics.soql.model import (
    BindVariable,
    Clause,
    Condition,
    DataCategoryFilter,
    FieldRef,
    FunctionCall,
    GroupBy,
    Literal,
    OrderItem,
)
from sfagent.diagnostics.soql.vocabulary import (
    CLAUSE_ORDER,
    CLAUSE_TITLES,
    DATA_CATEGORY_SELECTORS,
    FOR_MODES,
    SECURITY_MODES,
    UPDATE_MODES,
)

# FOR, UPDATE and ALL ROWS close the query; SOQL accepts them together, so they share a rank.
_CLAUSE_RANK = {
    word: min(index, CLAUSE_ORDER.index("FOR")) for index, word in enumerate(CLAUSE_ORDER)
}
_REPEATABLE = frozenset({"WITH", "FOR", "UPDATE"})
CLAUSE_ORDER_HELP = (
    "SOQL clauses go in this order: SELECT, FROM, USING SCOPE, WHERE, WITH, GROUP BY, HAVING, "
    "ORDER BY, LIMIT, OFFSET, FOR VIEW/REFERENCE/UPDATE."
)


@dataclass
class ClauseValues:
    """What the optional clauses after FROM set, gathered before the Query is built."""

    using_scope: str | None = None
    where: Condition | None = None
    security_mode: str | None = None
    data_category: list[DataCategoryFilter] = field(default_factory=list)
    group_by: GroupBy | None = None
    having: Condition | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: Literal | BindVariable | None = None
    offset: Literal | BindVariable | None = None
    for_modes: list[str] = field(default_factory=list)
    update_modes: list[str] = field(default_factory=list)
    all_rows: bool = False
    clauses: list[Clause] = field(default_factory=list)


class ClauseParsing(ConditionParsing):
    """Parses the optional clauses that follow FROM, checking their order."""

    def clause_word(self) -> str | None:
        """The clause keyword under the cursor, when it really opens a clause."""
        token = self.current
        if token.kind is not TokenKind.IDENT:
            return None
        follower = self.peek().upper
        word = token.upper
        opens = {
            "USING": follower == "SCOPE",
            "WHERE": True,
            "WITH": True,
            "GROUP": follower == "BY",
            "HAVING": True,
            "ORDER": follower == "BY",
            "LIMIT": True,
            "OFFSET": True,
            "FOR": follower in FOR_MODES,
            "UPDATE": follower in UPDATE_MODES,
            "ALL": follower == "ROWS",
        }
        return word if opens.get(word, False) else None

    def parse_clauses(self, values: ClauseValues) -> None:
        last_rank = -1
        seen: set[str] = set()
        while (word := self.clause_word()) is not None:
            token = self.current
            rank = _CLAUSE_RANK[word]
            if word in seen and word not in _REPEATABLE:
                self.fail(
                    token,
                    f"{CLAUSE_TITLES.get(word, word)} appears twice.",
                    "Keep one; combine the conditions or items into it.",
                    "duplicate-clause",
                )
            if rank < last_rank:
                self.fail(
                    token,
                    f"{CLAUSE_TITLES.get(word, word)} is out of place.",
                    CLAUSE_ORDER_HELP,
                    "clause-order",
                )
            seen.add(word)
            last_rank = rank
            self._parse_clause(word, values)
            values.clauses.append(Clause(word, self.span_from(token)))

    def _parse_clause(self, word: str, values: ClauseValues) -> None:
        keyword = self.advance()
        if word == "USING":
            self.advance()
            scope = self.expect_kind(
                TokenKind.IDENT,
                "USING SCOPE needs a scope name.",
                "For example: USING SCOPE mine.",
                "bad-scope",
            )
            values.using_scope = scope.text
        elif word == "WHERE":
            values.where = self.parse_condition(keyword)
        elif word == "WITH":
            self._parse_with(keyword, values)
        elif word == "GROUP":
            values.group_by = self._parse_group_by(keyword)
        elif word == "HAVING":
            if values.group_by is None:
                self.fail(
                    keyword,
                    "HAVING is used without GROUP BY.",
                    "HAVING filters groups: add GROUP BY before it, or move the condition "
                    "to WHERE.",
                    "having-without-group-by",
                )
            values.having = self.parse_condition(keyword)
        elif word == "ORDER":
            values.order_by = self._parse_order_by(keyword)
        elif word in ("LIMIT", "OFFSET"):
            setattr(values, word.lower(), self.parse_row_count(keyword))
        else:
            self._parse_trailing_mode(word, values)

    def _parse_trailing_mode(self, word: str, values: ClauseValues) -> None:
        mode = self.advance().upper
        if word == "ALL":
            values.all_rows = True
            return
        modes = values.for_modes if word == "FOR" else values.update_modes
        if mode in modes:
            self.fail(
                self.previous, f"{word} {mode} appears twice.", "Keep one.", "duplicate-clause"
            )
        modes.append(mode)

    def _parse_with(self, keyword: Token, values: ClauseValues) -> None:
        token = self.current
        if self.at_word("DATA"):
            self.advance()
            self.expect_word(
                "CATEGORY",
                "Expected CATEGORY after WITH DATA.",
                "Write WITH DATA CATEGORY Geography__c AT usa__c.",
                "bad-with",
            )
            values.data_category.append(self._data_category_filter())
            while self.accept_word("AND"):
                values.data_category.append(self._data_category_filter())
        elif token.kind is TokenKind.IDENT and token.upper in SECURITY_MODES:
            if values.security_mode is not None:
                self.fail(
                    token,
                    "The query sets its security mode twice.",
                    "Keep one of WITH SECURITY_ENFORCED, WITH USER_MODE or WITH SYSTEM_MODE.",
                    "duplicate-clause",
                )
            values.security_mode = self.advance().upper
        elif self.at_word("RECORDVISIBILITYCONTEXT") and self.peek().kind is TokenKind.LPAREN:
            self.advance()
            self._skip_balanced()
        else:
            self.fail(
                token,
                f"WITH cannot be followed by {self.describe(token)}.",
                "Use WITH SECURITY_ENFORCED, WITH USER_MODE, WITH SYSTEM_MODE or "
                "WITH DATA CATEGORY ...",
                "bad-with",
            )

    def _data_category_filter(self) -> DataCategoryFilter:
        usage = "Write Geography__c AT usa__c, or Product__c BELOW (phones__c, tablets__c)."
        group = self.expect_kind(
            TokenKind.IDENT, "Expected a data category group name.", usage, "bad-with"
        )
        selector = self.current
        if selector.kind is not TokenKind.IDENT or selector.upper not in DATA_CATEGORY_SELECTORS:
            self.fail(selector, "Expected AT, ABOVE, BELOW or ABOVE_OR_BELOW.", usage, "bad-with")
        self.advance()
        categories = []
        if self.at_kind(TokenKind.LPAREN):
            self.advance()
            categories.append(
                self.expect_kind(TokenKind.IDENT, "Expected a category.", usage, "bad-with").text
            )
            while self.at_kind(TokenKind.COMMA):
                self.advance()
                categories.append(
                    self.expect_kind(
                        TokenKind.IDENT, "Expected a category.", usage, "bad-with"
                    ).text
                )
            self.expect_kind(
                TokenKind.RPAREN,
                "The category list is not closed.",
                usage,
                "unbalanced-parentheses",
            )
        else:
            categories.append(
                self.expect_kind(TokenKind.IDENT, "Expected a category.", usage, "bad-with").text
            )
        return DataCategoryFilter(group.text, selector.upper, tuple(categories))

    def _parse_group_by(self, keyword: Token) -> GroupBy:
        self.advance()
        self._refuse_empty_list(keyword, "GROUP BY", "GROUP BY Industry")
        if self.at_word("ROLLUP", "CUBE") and self.peek().kind is TokenKind.LPAREN:
            kind = self.advance().upper
            opener = self.advance()
            with self.nesting(opener):
                items = self._expression_list()
            self.expect_kind(
                TokenKind.RPAREN, f"{kind}( is not closed.", "Add ')'.", "unbalanced-parentheses"
            )
        else:
            kind = "PLAIN"
            items = self._expression_list()
        return GroupBy(kind, items, self.span_from(keyword))

    def _expression_list(self) -> tuple[FieldRef | FunctionCall, ...]:
        items = [self.parse_field_or_function()]
        while self.at_kind(TokenKind.COMMA):
            self.advance()
            items.append(self.parse_field_or_function())
        return tuple(items)

    def _parse_order_by(self, keyword: Token) -> list[OrderItem]:
        self.advance()
        self._refuse_empty_list(keyword, "ORDER BY", "ORDER BY Name")
        items = [self._order_item()]
        while self.at_kind(TokenKind.COMMA):
            self.advance()
            items.append(self._order_item())
        return items

    def _order_item(self) -> OrderItem:
        start = self.current
        expression = self.parse_field_or_function()
        direction = self.advance().upper if self.at_word("ASC", "DESC") else None
        nulls = None
        if self.accept_word("NULLS"):
            if not self.at_word("FIRST", "LAST"):
                self.fail(
                    self.current,
                    "NULLS must be followed by FIRST or LAST.",
                    "Write NULLS FIRST or NULLS LAST.",
                    "bad-order-by",
                )
            nulls = self.advance().upper
        return OrderItem(expression, direction, nulls, self.span_from(start))

    def _refuse_empty_list(self, keyword: Token, title: str, example: str) -> None:
        token = self.current
        if token.kind is TokenKind.EOF or self.clause_word() is not None:
            self.fail(
                keyword,
                f"{title} has nothing to {title.split()[0].lower()} by.",
                f"Name at least one field ({example}) or remove {title}.",
                "empty-clause",
            )
