"""NCSS (non-commenting source statements) of Apex operations and types, as PMD 7 counts them.

Two counts exist in PMD and both are kept:

- `ncss`: the NCSS metric of PMD 7.19 (rule NcssCount): one per statement, declaration,
  `else`, `catch`, `finally`, `when`, method and type; DML statements are not counted.
- `legacy_ncss`: the count of the older rules NcssMethodCount, NcssTypeCount and
  NcssConstructorCount: loops, `if` blocks (an if/else-if chain adds 2 more), `try`,
  `return`, `throw`, `break`, `continue`, fields, nested types and each outermost method
  call, plus 1.

Like the other metrics they are weights at node positions, summed over byte ranges.
"""

from __future__ import annotations

from functools import cached_property
from weakref import WeakKeyDictionary, ref

from tree_sitter import Node

from sfagent.diagnostics.apex.members import TYPE_NODE_TYPES, Members, members_of
from sfagent.diagnostics.apex.metrics import (
    EXPRESSION_BOUNDARIES,
    LOOPS,
    WeightedPositions,
    chain_has_else,
    is_else_if,
    metrics_of,
)
from sfagent.diagnostics.apex.source import ApexSource


class NcssCounts:
    """Both NCSS counts of any byte range of one source."""

    def __init__(self, source: ApexSource) -> None:
        # A weak reference: the per-source cache must not keep its own key alive.
        self._source = ref(source)

    @property
    def source(self) -> ApexSource:
        """The measured source (alive while its rules run)."""
        source = self._source()
        if source is None:
            raise RuntimeError("the measured source is gone")
        return source

    @cached_property
    def bound(self) -> int:
        """No NCSS of a type or operation exceeds this (node counts only)."""
        metrics = metrics_of(self.source)
        statements = metrics.count(
            *_NCSS_STATEMENTS,
            "expression_statement",
            "local_variable_declaration",
            "field_declaration",
            "try_statement",
            "enhanced_for_statement",
            *TYPE_NODE_TYPES,
        )
        doubled = metrics.count("if_statement", "enhanced_for_statement")
        return statements + doubled + metrics.operation_count()

    @cached_property
    def legacy_bound(self) -> int:
        """No legacy NCSS count of a type or operation exceeds this (node counts only)."""
        metrics = metrics_of(self.source)
        counted = metrics.count(*_LEGACY_STATEMENTS, "method_invocation", "variable_declarator")
        return 1 + counted + 2 * metrics.count("if_statement")

    @cached_property
    def _weights(self) -> WeightedPositions:
        return WeightedPositions(_ncss_items(self.source, members_of(self.source)))

    @cached_property
    def _legacy_weights(self) -> WeightedPositions:
        return WeightedPositions(_legacy_ncss_items(self.source, members_of(self.source)))

    def ncss(self, start: int, end: int) -> int:
        """PMD 7.19's NCSS of a byte range (an operation or a type declaration)."""
        return self._weights.total(start, end)

    def legacy_ncss(self, start: int, end: int) -> int:
        """The count of NcssMethodCount/NcssTypeCount/NcssConstructorCount for a byte range."""
        return 1 + self._legacy_weights.total(start, end)


_NCSS_STATEMENTS = (
    "for_statement",
    "do_statement",
    "while_statement",
    "if_statement",
    "break_statement",
    "continue_statement",
    "return_statement",
    "throw_statement",
    "catch_clause",
    "switch_expression",
    "switch_rule",
    "explicit_constructor_invocation",
)
_LEGACY_STATEMENTS = (
    *LOOPS,
    "try_statement",
    "return_statement",
    "throw_statement",
    "break_statement",
    "continue_statement",
    "if_statement",
    "class_declaration",
    "interface_declaration",
    "enum_declaration",
)


def _ncss_items(source: ApexSource, members: Members) -> list[tuple[int, int]]:
    nodes = source.nodes
    items = [(node.start_byte, 1) for t in _NCSS_STATEMENTS for node in nodes(t)]
    # A for-each loop and the loop variable it declares.
    items += [(node.start_byte, 2) for node in nodes("enhanced_for_statement")]
    items += [(h.start_byte, 1) for h in nodes("if_statement") if _is_chain_with_else(h)]
    items += [(t.start_byte, 1) for t in nodes("try_statement") if _has_finally(t)]
    items += [(s.start_byte, 1) for s in nodes("expression_statement") if not _is_dml(s)]
    items += [
        (d.start_byte, 1)
        for d in nodes("local_variable_declaration")
        if d.parent is None or d.parent.type != "for_statement"
    ]
    # Trigger-level "fields" are local declarations in the tree and are counted above.
    items += [
        (g.node.start_byte, 1)
        for g in members.fields
        if g.node.type == "field_declaration" and not g.is_property
    ]
    items += [(t.node.start_byte, 1) for t in members.types]
    items += [(op.start, 1) for op in members.operations]
    return items


def _is_chain_with_else(node: Node) -> bool:
    return not is_else_if(node) and chain_has_else(node)


def _has_finally(node: Node) -> bool:
    return any(child.type == "finally_clause" for child in node.named_children)


def _is_dml(statement: Node) -> bool:
    return any(child.type == "dml_expression" for child in statement.named_children)


def _legacy_ncss_items(source: ApexSource, members: Members) -> list[tuple[int, int]]:
    nodes = source.nodes
    items = [(node.start_byte, 1) for t in _LEGACY_STATEMENTS for node in nodes(t)]
    items += [(h.start_byte, 2) for h in nodes("if_statement") if not is_else_if(h)]
    field_groups = [g for g in members.fields if not g.is_property]
    items += [(d.start_byte, 1) for g in field_groups for d in g.declarators]
    field_nodes = {g.node.id for g in field_groups}
    items += [
        (call.start_byte, 1)
        for call in nodes("method_invocation")
        if _is_outermost_call(call, field_nodes)
    ]
    return items


def _is_outermost_call(call: Node, field_nodes: set[int]) -> bool:
    """PMD counts a call once and does not look inside it, nor inside field initialisers."""
    parent = call.parent
    while parent is not None:
        if parent.type == "method_invocation" or parent.id in field_nodes:
            return False
        if parent.type.endswith("_statement") or parent.type in EXPRESSION_BOUNDARIES:
            return True
        parent = parent.parent
    return True


_cache: WeakKeyDictionary[ApexSource, NcssCounts] = WeakKeyDictionary()


def ncss_of(source: ApexSource) -> NcssCounts:
    """The NCSS counts of a source, shared by every rule that runs on it."""
    counts = _cache.get(source)
    if counts is None:
        counts = NcssCounts(source)
        _cache[source] = counts
    return counts
