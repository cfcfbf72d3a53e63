"""Syntax errors in a SOQL query: where they are and what to write instead."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass
from typing import Any

from sfagent.diagnostics.findings import Finding, Severity, Span

SYNTAX_RULE = "SoqlSyntax"
SYNTAX_CATEGORY = "soql-syntax"


@dataclass(frozen=True, slots=True)
class SoqlSyntaxError:
    """A query Salesforce would reject, with a 1-based position and a suggested fix."""

    message: str
    line: int
    column: int
    suggestion: str
    code: str
    end_line: int
    end_column: int

    @property
    def span(self) -> Span:
        """Where the error is, as a finding span."""
        return Span(self.line, self.column, self.end_line, self.end_column)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def to_finding(self) -> Finding:
        """The error as a finding, so callers can list it with the advice."""
        return Finding(
            rule=SYNTAX_RULE,
            category=SYNTAX_CATEGORY,
            severity=Severity.HIGH,
            span=self.span,
            message=self.message,
            why="Salesforce refuses to run a query it cannot parse: inline Apex does not "
            "compile and dynamic SOQL throws a QueryException at run time.",
            fix=self.suggestion,
            details={"code": self.code},
        )


class SoqlParseError(Exception):
    """Raised inside the parser to stop at the first syntax error."""

    def __init__(self, error: SoqlSyntaxError) -> None:
        super().__init__(error.message)
        self.error = error


class TextLocator:
    """Turns character offsets into 1-based line and column numbers."""

    def __init__(self, text: str) -> None:
        self._line_starts = [0]
        position = text.find("\n")
        while position != -1:
            self._line_starts.append(position + 1)
            position = text.find("\n", position + 1)

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of the character at `offset`."""
        line_index = bisect_right(self._line_starts, offset) - 1
        return line_index + 1, offset - self._line_starts[line_index] + 1

    def span(self, start: int, end: int) -> Span:
        """Span from `start` to `end` (end exclusive, so end_column is one past the text)."""
        line, column = self.line_column(start)
        end_line, end_column = self.line_column(max(end, start))
        return Span(line, column, end_line, end_column)

    def error(
        self, start: int, end: int, message: str, suggestion: str, code: str
    ) -> SoqlSyntaxError:
        """A syntax error covering the text from `start` to `end`."""
        span = self.span(start, end)
        return SoqlSyntaxError(
            message=message,
            line=span.line,
            column=span.column,
            suggestion=suggestion,
            code=code,
            end_line=span.end_line,
            end_column=span.end_column,
        )
