"""Re-parse statements the Apex grammar rejects, so rules still see their calls.

The tree-sitter Apex grammar cannot parse an expression statement that starts with the
`Trigger` keyword (`Trigger.new[0].addError(msg, false);`), although such statements are
valid Apex and common in trigger handler classes. Each such ERROR region is parsed again as the
right-hand side of an assignment inside a throw-away wrapper class; the recovered nodes keep a
mapping back to positions in the original source.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from tree_sitter import Node

from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.findings import Span

_TRIGGER_START = re.compile(r"\s*trigger\s*\.", re.IGNORECASE)
_WRAPPER_PREFIX = "class R{void m(){R="
_WRAPPER_SUFFIX = ";}}"


@dataclass(frozen=True, slots=True)
class RecoveredExpression:
    """An expression re-parsed from an ERROR region, with its place in the original source."""

    source: ApexSource  # the wrapper source the nodes belong to
    anchor: Node  # the ERROR node in the original tree
    line: int  # 0-based row of the expression in the original source
    column: int  # 0-based character column of its first character

    def calls(self) -> list[Node]:
        """Method invocations inside the recovered expression, in document order."""
        return list(self.source.nodes("method_invocation"))

    def span_of(self, node: Node) -> Span:
        """Where a recovered node is in the original source."""
        local = self.source.span_of(node)
        shift = len(_WRAPPER_PREFIX)
        return Span(
            line=self.line + local.line,
            column=local.column - shift + self.column if local.line == 1 else local.column,
            end_line=self.line + local.end_line,
            end_column=(
                local.end_column - shift + self.column if local.end_line == 1 else local.end_column
            ),
        )


_cache: weakref.WeakKeyDictionary[ApexSource, list[RecoveredExpression]] = (
    weakref.WeakKeyDictionary()
)


def recovered_trigger_expressions(source: ApexSource) -> list[RecoveredExpression]:
    """Expression statements starting with `Trigger.` that the grammar failed to parse."""
    if not source.root.has_error:
        return []
    cached = _cache.get(source)
    if cached is None:
        cached = [item for item in _recover(source)]
        _cache[source] = cached
    return cached


def _recover(source: ApexSource) -> list[RecoveredExpression]:
    recovered: list[RecoveredExpression] = []
    handled_end = -1
    for error in source.nodes("ERROR"):
        if error.start_byte < handled_end:
            continue  # part of a statement already recovered
        end = _statement_end(source.data, error.start_byte)
        expression = source.data[error.start_byte : end].decode("utf-8", "replace")
        if not _TRIGGER_START.match(expression):
            continue
        handled_end = end
        wrapper = ApexSource(_WRAPPER_PREFIX + expression + _WRAPPER_SUFFIX)
        if wrapper.root.has_error:
            continue
        row, byte_column = error.start_point
        line_start = error.start_byte - byte_column
        column = len(source.data[line_start : error.start_byte].decode("utf-8", "replace"))
        recovered.append(RecoveredExpression(wrapper, error, row, column))
    return recovered


_OPENING = frozenset(b"([{")
_CLOSING = frozenset(b")]}")
_QUOTE = ord("'")
_BACKSLASH = ord("\\")
_SEMICOLON = ord(";")


def _statement_end(data: bytes, start: int) -> int:
    """Byte offset of the `;` ending the statement at `start` (brackets and strings skipped)."""
    depth = 0
    index = start
    while index < len(data):
        byte = data[index]
        if byte == _QUOTE:
            index = _string_end(data, index)
            continue
        if byte in _OPENING:
            depth += 1
        elif byte in _CLOSING:
            if depth == 0:
                return index
            depth -= 1
        elif byte == _SEMICOLON and depth == 0:
            return index
        index += 1
    return index


def _string_end(data: bytes, start: int) -> int:
    index = start + 1
    while index < len(data):
        if data[index] == _BACKSLASH:
            index += 2
            continue
        if data[index] == _QUOTE:
            return index + 1
        index += 1
    return index
