"""Apex source parsed by tree-sitter, with a node index and text/position helpers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import cached_property

import tree_sitter_language_pack
from tree_sitter import Node, Parser, Tree

from sfagent.diagnostics.findings import Span

_parsers = threading.local()

LOOP_TYPES = frozenset(
    {"for_statement", "enhanced_for_statement", "while_statement", "do_statement"}
)
TYPE_DECLARATIONS = frozenset(
    {"class_declaration", "interface_declaration", "enum_declaration", "trigger_declaration"}
)
CALLABLE_DECLARATIONS = frozenset({"method_declaration", "constructor_declaration"})


def apex_parser() -> Parser:
    """One tree-sitter parser per thread: parsers hold mutable state and are not thread-safe."""
    parser = getattr(_parsers, "apex", None)
    if parser is None:
        parser = tree_sitter_language_pack.get_parser("apex")
        _parsers.apex = parser
    return parser


class ApexSource:
    """A parsed Apex compilation unit (class, trigger or anonymous code)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8", "replace")
        self.tree: Tree = apex_parser().parse(self.data)
        self.root: Node = self.tree.root_node
        self._index: dict[str, list[Node]] | None = None

    @cached_property
    def lines(self) -> list[str]:
        """Source lines without their line terminators."""
        return self.text.splitlines()

    @property
    def line_count(self) -> int:
        """Number of lines in the source."""
        return len(self.lines)

    def nodes(self, node_type: str) -> list[Node]:
        """Every named node of a type, in document order (index built in one pass)."""
        if self._index is None:
            self._index = _index_named_nodes(self.root)
        return self._index.get(node_type, [])

    def text_of(self, node: Node) -> str:
        """Source text covered by a node."""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def span_of(self, node: Node) -> Span:
        """1-based line/column span of a node, columns counted in characters."""
        start_row, start_byte_col = node.start_point
        end_row, end_byte_col = node.end_point
        return Span(
            line=start_row + 1,
            column=self._char_column(node.start_byte, start_byte_col) + 1,
            end_line=end_row + 1,
            end_column=self._char_column(node.end_byte, end_byte_col) + 1,
        )

    def _char_column(self, byte_offset: int, byte_column: int) -> int:
        line_start = byte_offset - byte_column
        return len(self.data[line_start:byte_offset].decode("utf-8", "replace"))

    @cached_property
    def nopmd_lines(self) -> frozenset[int]:
        """1-based lines carrying a `NOPMD` marker comment, whose findings PMD suppresses."""
        marked: set[int] = set()
        for comment_type in ("line_comment", "block_comment"):
            for comment in self.nodes(comment_type):
                if "NOPMD" in self.text_of(comment):
                    marked.add(comment.start_point[0] + 1)
        return frozenset(marked)


def _index_named_nodes(root: Node) -> dict[str, list[Node]]:
    index: dict[str, list[Node]] = {}
    cursor = root.walk()
    while True:
        node = cursor.node
        if node is not None and node.is_named:
            index.setdefault(node.type, []).append(node)
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return index


def ancestors(node: Node) -> Iterator[Node]:
    """Parents of a node, nearest first."""
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def descendants(node: Node, node_type: str | None = None) -> Iterator[Node]:
    """Named nodes below a node in document order, optionally of one type (iterative walk)."""
    stack = list(reversed(node.named_children))
    while stack:
        current = stack.pop()
        if node_type is None or current.type == node_type:
            yield current
        stack.extend(reversed(current.named_children))


def enclosing(node: Node, node_types: frozenset[str]) -> Node | None:
    """The nearest ancestor of one of the given types."""
    for parent in ancestors(node):
        if parent.type in node_types:
            return parent
    return None


def enclosing_loop(node: Node) -> Node | None:
    """The nearest loop that runs a node repeatedly, within the node's own method.

    The iterable of a for-each loop and the initialiser of a classic for loop run once, so a
    query there (`for (Account a : [SELECT ...])`) is not "in" the loop.
    """
    child = node
    for parent in ancestors(node):
        if parent.type in LOOP_TYPES and _repeats(parent, child):
            return parent
        if parent.type in CALLABLE_DECLARATIONS or parent.type in TYPE_DECLARATIONS:
            return None
        child = parent
    return None


def _repeats(loop: Node, child: Node) -> bool:
    body = loop.child_by_field_name("body")
    if body is not None and body.start_byte == child.start_byte and body.end_byte == child.end_byte:
        return True
    if loop.type == "enhanced_for_statement":
        return False
    repeated_fields = ("condition", "update")
    return any(_is_field(loop, field, child) for field in repeated_fields)


def _is_field(parent: Node, field: str, child: Node) -> bool:
    return any(
        node.start_byte == child.start_byte and node.end_byte == child.end_byte
        for node in parent.children_by_field_name(field)
    )
