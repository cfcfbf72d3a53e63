"""Nested byte ranges (loops, blocks) with "innermost range containing a position" lookups."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tree_sitter import Node


class NestedRanges:
    """Properly nested node ranges, answering containment queries by binary search."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        ordered = sorted(nodes, key=lambda node: node.start_byte)
        self.nodes = ordered
        self.starts = [node.start_byte for node in ordered]
        self.ends = [node.end_byte for node in ordered]
        self.parents: list[int | None] = []
        open_ranges: list[int] = []
        for index, start in enumerate(self.starts):
            while open_ranges and self.ends[open_ranges[-1]] <= start:
                open_ranges.pop()
            self.parents.append(open_ranges[-1] if open_ranges else None)
            open_ranges.append(index)

    def innermost(self, start: int, end: int) -> Node | None:
        """The innermost range containing [start, end)."""
        index: int | None = bisect_right(self.starts, start) - 1
        while index is not None and index >= 0:
            if self.starts[index] <= start and end <= self.ends[index]:
                return self.nodes[index]
            index = self.parents[index]
        return None

    def contains(self, node: Node) -> bool:
        """True when some range contains the node."""
        return self.innermost(node.start_byte, node.end_byte) is not None


class SortedNodes:
    """Nodes of one kind in document order, for "first one inside this range" lookups."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.starts = [node.start_byte for node in nodes]

    def first_within(self, start: int, end: int, *, skip: Node | None = None) -> Node | None:
        """The first node (pre-order) that starts inside [start, end), other than `skip`."""
        index = bisect_left(self.starts, start)
        while index < len(self.nodes) and self.starts[index] < end:
            node = self.nodes[index]
            if skip is None or not _same(node, skip):
                return node
            index += 1
        return None

    def within(self, start: int, end: int) -> list[Node]:
        """All nodes starting inside [start, end), in document order."""
        return self.nodes[bisect_left(self.starts, start) : bisect_left(self.starts, end)]


def _same(first: Node, second: Node) -> bool:
    return (
        first.start_byte == second.start_byte
        and first.end_byte == second.end_byte
        and first.type == second.type
    )


def same_node(first: Node | None, second: Node | None) -> bool:
    """Node identity by range and type (py-tree-sitter creates new wrapper objects)."""
    if first is None or second is None:
        return first is second
    return _same(first, second)


@dataclass(frozen=True, slots=True)
class VisitItem:
    """A node a PMD visitor reaches, tagged with what the rule does there."""

    start: int
    end: int
    kind: str
    node: Node
    extra: Node | None = None


def visitor_order(items: list[VisitItem], containers: frozenset[str]) -> Iterator[VisitItem]:
    """Items in PMD's visiting order, minus those inside a container the visitor does not enter.

    PMD rule visitors often handle a node (a method call, a declaration) without visiting its
    children; anything nested inside such a node is never seen. Sorting by start (outer first)
    and skipping nodes that start inside the last container reproduces that.
    """
    items.sort(key=lambda item: (item.start, -item.end))
    container_end = -1
    for item in items:
        if item.start < container_end:
            continue
        yield item
        if item.kind in containers:
            container_end = item.end


def item(kind: str, node: Node, extra: Node | None = None) -> VisitItem:
    """A visit item covering a node."""
    return VisitItem(node.start_byte, node.end_byte, kind, node, extra)
