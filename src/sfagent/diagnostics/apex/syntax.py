"""Apex syntax errors from tree-sitter's ERROR and MISSING nodes, in a developer's words."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tree_sitter import Node

from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.findings import Span

MAX_REPORTED_ERRORS = 20
_SNIPPET_CHARS = 40


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """One place where the source does not parse."""

    span: Span
    message: str
    missing: str | None = None
    unexpected: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def syntax_problems(source: ApexSource) -> list[SyntaxProblem]:
    """The outermost ERROR and every MISSING node, first MAX_REPORTED_ERRORS in order."""
    if not source.root.has_error:
        return []
    problems: list[SyntaxProblem] = []
    stack = [source.root]
    while stack and len(problems) < MAX_REPORTED_ERRORS:
        node = stack.pop()
        if node.is_missing:
            problems.append(_missing(source, node))
            continue
        if node.is_error:
            problems.append(_unexpected(source, node))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return problems


def _missing(source: ApexSource, node: Node) -> SyntaxProblem:
    expected = node.type if not node.is_named else node.type.replace("_", " ")
    span = source.span_of(node)
    if node.start_byte >= len(source.data.rstrip()):
        message = f"Missing `{expected}` at the end of the code: a block or statement is not closed"
        return SyntaxProblem(span=span, message=message + ".", missing=expected)
    where = _context_before(source, node)
    message = f"Missing `{expected}`" + (f" after `{where}`" if where else "")
    return SyntaxProblem(span=span, message=message + ".", missing=expected)


def _unexpected(source: ApexSource, node: Node) -> SyntaxProblem:
    text = source.text_of(node).strip()
    snippet = text.splitlines()[0][:_SNIPPET_CHARS] if text else ""
    if not snippet:
        message = "The code ends before a statement or block is complete (a `}` or `;` is missing)."
    elif _unbalanced(text):
        message = f"Cannot parse `{snippet}`: brackets or braces do not balance here."
    else:
        message = (
            f"Cannot parse `{snippet}` here; check the statement just before it "
            "for a missing `;`, `)` or `}`."
        )
    return SyntaxProblem(span=source.span_of(node), message=message, unexpected=snippet or None)


def _context_before(source: ApexSource, node: Node) -> str:
    previous = node.prev_sibling
    if previous is None:
        return ""
    words = source.text_of(previous).split()
    return " ".join(words[-3:])[-_SNIPPET_CHARS:]


def _unbalanced(text: str) -> bool:
    pairs = {"(": ")", "{": "}", "[": "]"}
    return any(text.count(opening) != text.count(closing) for opening, closing in pairs.items())
