"""Token cursor shared by the parser parts: look-ahead, expectations, errors, nesting cap."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from sfagent.diagnostics.findings import Span
from sfagent.diagnostics.soql.errors import SoqlParseError, TextLocator
from sfagent.diagnostics.soql.lexer import Token, TokenKind
from sfagent.diagnostics.soql.model import Query

# Parentheses, subqueries and nested functions deeper than this are refused: real queries stay
# far below it, and it keeps the recursive descent well inside Python's recursion limit.
MAX_NESTING = 64


class ParserCore(ABC):
    """Cursor over the tokens; the parser mixins build on it."""

    def __init__(self, tokens: list[Token], locator: TextLocator, text: str) -> None:
        self.tokens = tokens
        self.locator = locator
        self.text = text
        self.index = 0
        self.depth = 0

    @abstractmethod
    def parse_query_body(self, *, nested: bool) -> Query:
        """The full query grammar; subqueries and semi-joins reuse it."""

    @property
    def current(self) -> Token:
        """The token under the cursor."""
        return self.tokens[self.index]

    @property
    def previous(self) -> Token:
        """The token just consumed (the first token when nothing has been consumed)."""
        return self.tokens[max(self.index - 1, 0)]

    def peek(self, offset: int = 1) -> Token:
        """A token ahead of the cursor (EOF past the end)."""
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        """Consume and return the current token (EOF stays put)."""
        token = self.current
        if token.kind is not TokenKind.EOF:
            self.index += 1
        return token

    def at_word(self, *words: str) -> bool:
        """True when the current token is one of these keywords (upper case)."""
        token = self.current
        return token.kind is TokenKind.IDENT and token.upper in words

    def at_kind(self, kind: TokenKind) -> bool:
        """True when the current token is of this kind."""
        return self.current.kind is kind

    def at_symbol(self, *symbols: str) -> bool:
        """True when the current token is one of these symbols or operators."""
        token = self.current
        return token.kind in (TokenKind.SYMBOL, TokenKind.OPERATOR) and token.text in symbols

    def accept_word(self, word: str) -> Token | None:
        """Consume the keyword if it is next."""
        return self.advance() if self.at_word(word) else None

    def expect_word(self, word: str, message: str, suggestion: str, code: str) -> Token:
        """Consume the keyword or fail with the given explanation."""
        if not self.at_word(word):
            self.fail(self.current, message, suggestion, code)
        return self.advance()

    def expect_kind(self, kind: TokenKind, message: str, suggestion: str, code: str) -> Token:
        """Consume a token of `kind` or fail with the given explanation."""
        if not self.at_kind(kind):
            self.fail(self.current, message, suggestion, code)
        return self.advance()

    def fail(self, token: Token, message: str, suggestion: str, code: str) -> NoReturn:
        """Stop parsing with an error located at `token`."""
        self.fail_at(token.start, max(token.end, token.start + 1), message, suggestion, code)

    def fail_at(self, start: int, end: int, message: str, suggestion: str, code: str) -> NoReturn:
        """Stop parsing with an error covering the text from `start` to `end`."""
        end = min(end, len(self.text)) if start < len(self.text) else start
        raise SoqlParseError(self.locator.error(start, end, message, suggestion, code))

    def span_from(self, start: Token) -> Span:
        """Span from `start` to the end of the last consumed token."""
        return self.locator.span(start.start, max(self.previous.end, start.end))

    def describe(self, token: Token) -> str:
        """How a token reads in a message."""
        if token.kind is TokenKind.EOF:
            return "the end of the query"
        return f"'{token.text}'"

    @contextmanager
    def nesting(self, opener: Token) -> Iterator[None]:
        """Count one level of nesting; refuse to go deeper than MAX_NESTING."""
        if self.depth >= MAX_NESTING:
            self.fail(
                opener,
                f"The query nests parentheses or subqueries more than {MAX_NESTING} deep.",
                "Simplify the condition: flatten redundant parentheses or split the query.",
                "too-deep",
            )
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
