"""parse_soql: text in, a query tree or syntax errors out, never an exception."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sfagent.diagnostics.soql.checks import compile_errors
from sfagent.diagnostics.soql.errors import SoqlParseError, SoqlSyntaxError, TextLocator
from sfagent.diagnostics.soql.lexer import tokenize
from sfagent.diagnostics.soql.model import BindVariable, Query
from sfagent.diagnostics.soql.parser import SoqlParser
from sfagent.diagnostics.soql.walk import bind_variables

# Salesforce's default cap on a SOQL statement is 100,000 characters (dynamic Apex may go
# beyond it); past twice that we stop rather than spend time and memory on the text.
MAX_QUERY_CHARS: Final = 200_000


@dataclass(frozen=True, slots=True)
class SoqlParseResult:
    """The query tree when the text is valid SOQL, otherwise the syntax errors."""

    text: str
    query: Query | None
    errors: tuple[SoqlSyntaxError, ...]

    @property
    def ok(self) -> bool:
        """True when the text parsed and Salesforce would accept its structure."""
        return self.query is not None and not self.errors

    @property
    def binds(self) -> tuple[BindVariable, ...]:
        """Apex bind variables used by the query (empty when it did not parse)."""
        return () if self.query is None else bind_variables(self.query)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"ok": self.ok, "errors": [error.to_dict() for error in self.errors]}


def parse_soql(text: str) -> SoqlParseResult:
    """Parse one SOQL query, given bare or as Apex `[SELECT ...]` with an optional `;`."""
    locator = TextLocator(text)
    if len(text) > MAX_QUERY_CHARS:
        error = locator.error(
            0,
            1,
            f"The text is {len(text):,} characters long; SOQL analysis stops at "
            f"{MAX_QUERY_CHARS:,}.",
            "Paste only the query. Salesforce itself rejects SOQL statements over 100,000 "
            "characters (except in dynamic Apex).",
            "too-long",
        )
        return SoqlParseResult(text, None, (error,))
    query_text = strip_apex_wrapper(text)
    try:
        tokens = tokenize(query_text, locator)
        query = SoqlParser(tokens, locator, query_text).parse_statement()
    except SoqlParseError as failure:
        return SoqlParseResult(text, None, (failure.error,))
    return SoqlParseResult(text, query, tuple(compile_errors(query)))


def strip_apex_wrapper(text: str) -> str:
    """Blank out surrounding [ ] and a trailing ; so offsets still match the original text."""
    chars = list(text)
    last = _last_non_space(chars)
    if last is not None and chars[last] == ";":
        chars[last] = " "
        last = _last_non_space(chars)
    first = next((i for i, char in enumerate(chars) if not char.isspace()), None)
    if first is not None and last is not None and chars[first] == "[" and chars[last] == "]":
        chars[first] = " "
        chars[last] = " "
    return "".join(chars)


def _last_non_space(chars: list[str]) -> int | None:
    return next((i for i in range(len(chars) - 1, -1, -1) if not chars[i].isspace()), None)
