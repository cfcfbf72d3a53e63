"""Cognitive complexity, replayed from a flat list of events instead of a tree walk.

PMD's CognitiveComplexityVisitor walks the tree keeping a nesting level and the last boolean
operator seen. Every input that walk reacts to is a node with a position, so one sorted list of
events per source (in PMD's pre-order) replays it for any method or class:

- a structure (`if` chain, loop, `catch`, ternary, `switch`) adds 1 + nesting and nests its
  range by one; `else if` and `else` add 1;
- a run of `&&` or `||` adds 1 each time the operator changes; `!` and the start of every
  statement in a block end the run;
- a call with the name of the method being measured (recursion) adds 1 + nesting and, as in
  PMD, leaves the nesting one level deeper for the rest of the measurement.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from functools import cached_property
from weakref import WeakKeyDictionary, ref

from tree_sitter import Node

from sfagent.diagnostics.apex.members import Members, members_of
from sfagent.diagnostics.apex.metrics import (
    BOOLEAN_OPERATORS,
    boolean_operator,
    is_else_if,
    metrics_of,
)
from sfagent.diagnostics.apex.source import ApexSource

# Event kinds; the tuple (start, -end, priority) puts events in PMD's visiting order.
_RESET, _ENTER, _STRUCTURE, _HYBRID, _BOOLEAN, _CALL = range(6)
Event = tuple[int, int, int, int, int | str]

_STRUCTURES = (
    "for_statement",
    "enhanced_for_statement",
    "while_statement",
    "do_statement",
    "catch_clause",
    "ternary_expression",
    "switch_expression",
)
_WRAPPED_BODIES = {
    "if_statement": ("consequence", "alternative"),
    "for_statement": ("body",),
    "enhanced_for_statement": ("body",),
    "while_statement": ("body",),
}
_COMMENTS = frozenset({"line_comment", "block_comment"})


class CognitiveComplexity:
    """Cognitive complexity of any byte range of one source."""

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
    def members(self) -> Members:
        """The operations whose names recursion is checked against."""
        return members_of(self.source)

    @cached_property
    def bound(self) -> int:
        """No method or class scores more than this, from node counts (and call names only
        when a method name occurs twice in the text, which recursion needs).

        Each structure or recursive call adds at most 1 + the number of structures and
        recursive calls; else branches and boolean operators add at most 1 each.
        """
        count = self._count
        nesting = count(*_STRUCTURES, "if_statement") + self._recursive_call_bound()
        flat = count("if_statement", "binary_expression")
        return nesting * (1 + nesting) + flat

    def _count(self, *node_types: str) -> int:
        return metrics_of(self.source).count(*node_types)

    def _recursive_call_bound(self) -> int:
        if not self.source.nodes("method_invocation"):
            return 0
        # A call repeats its method's name in the text: count names before reading each call.
        text = self.source.text
        repeated = any(text.count(name) > 1 for name in self._method_names)
        is_trigger = bool(self.source.nodes("trigger_declaration"))
        return len(self._calls) if repeated or (is_trigger and "invoke" in text) else 0

    @cached_property
    def _events(self) -> list[Event]:
        events = list(self._structure_events())
        events += self._boolean_events()
        events += self._reset_events()
        events += self._calls
        events += [(op.start, -op.end, 1, _ENTER, op.name) for op in self.members.operations]
        events.sort(key=lambda event: event[:3])
        return events

    @cached_property
    def _starts(self) -> list[int]:
        return [event[0] for event in self._events]

    def measure(self, start: int, end: int, method_name: str | None) -> int:
        """Cognitive complexity of [start, end), measured from nesting level 0."""
        events = self._events
        first, last = bisect_left(self._starts, start), bisect_left(self._starts, end)
        complexity = leaked = 0
        open_ends: list[int] = []
        current: str | None = None
        for position, negative_end, _, kind, payload in events[first:last]:
            while open_ends and open_ends[-1] <= position:
                open_ends.pop()
            if kind == _RESET:
                current = None
            elif kind == _ENTER:
                method_name = str(payload)
            elif kind == _STRUCTURE:
                complexity += 1 + len(open_ends) + leaked
                open_ends.append(-negative_end)
            elif kind == _HYBRID:
                complexity += 1
            elif kind == _BOOLEAN:
                if current != payload:
                    complexity += 1
                    current = str(payload)
            elif payload == method_name:
                # PMD never lowers the nesting level again after a recursive call.
                complexity += 1 + len(open_ends) + leaked
                leaked += 1
        return complexity

    def _structure_events(self) -> Iterator[Event]:
        nodes = self.source.nodes
        for node_type in _STRUCTURES:
            for node in nodes(node_type):
                yield node.start_byte, -node.end_byte, 2, _STRUCTURE, 0
        for node in nodes("if_statement"):
            if is_else_if(node):
                yield node.start_byte, -node.end_byte, 2, _HYBRID, 0
            else:
                yield node.start_byte, -node.end_byte, 2, _STRUCTURE, 0
            alternative = node.child_by_field_name("alternative")
            if alternative is not None and alternative.type != "if_statement":
                yield alternative.start_byte, -alternative.end_byte, 2, _HYBRID, 0

    def _boolean_events(self) -> list[Event]:
        events: list[Event] = []
        for node in self.source.nodes("binary_expression"):
            operator = boolean_operator(node)
            if operator in BOOLEAN_OPERATORS:
                events.append((node.start_byte, -node.end_byte, 2, _BOOLEAN, operator))
        for node in self.source.nodes("unary_expression"):
            prefix = node.child_by_field_name("operator")
            if prefix is not None and prefix.type == "!":
                events.append((node.start_byte, -node.end_byte, 0, _RESET, 0))
        return events

    def _reset_events(self) -> list[Event]:
        """Every statement of a PMD block statement ends a run of boolean operators."""
        statements: list[Node] = []
        trigger_blocks = {_trigger_block_id(t) for t in self.source.nodes("trigger_declaration")}
        for block_type in ("block", "constructor_body"):
            for block in self.source.nodes(block_type):
                if block.id not in trigger_blocks:
                    statements += [c for c in block.named_children if c.type not in _COMMENTS]
        for owner_type, fields in _WRAPPED_BODIES.items():
            for owner in self.source.nodes(owner_type):
                for field in fields:
                    body = owner.child_by_field_name(field)
                    if body is not None and body.type not in ("block", "if_statement"):
                        statements.append(body)
        return [(s.start_byte, -s.end_byte, 0, _RESET, 0) for s in statements]

    @cached_property
    def _calls(self) -> list[Event]:
        """Calls whose name is the name of an operation of the source: possible recursion."""
        names = set(self._method_names)
        if self.source.nodes("trigger_declaration"):
            names.add("invoke")
        events: list[Event] = []
        for call in self.source.nodes("method_invocation"):
            name_node = call.child_by_field_name("name")
            name = self.source.text_of(name_node) if name_node is not None else ""
            if name in names:
                events.append((call.start_byte, -call.end_byte, 2, _CALL, name))
        return events

    @cached_property
    def _method_names(self) -> set[str]:
        names: set[str] = set()
        for method in self.source.nodes("method_declaration"):
            name = method.child_by_field_name("name")
            if name is not None:
                names.add(self.source.text_of(name))
        return names


def _trigger_block_id(trigger: Node) -> int | None:
    """The outermost block of a trigger, whose statements PMD keeps outside any block."""
    body = trigger.child_by_field_name("body")
    if body is None or not body.named_children:
        return None
    return body.named_children[0].id


_cache: WeakKeyDictionary[ApexSource, CognitiveComplexity] = WeakKeyDictionary()


def cognitive_of(source: ApexSource) -> CognitiveComplexity:
    """The cognitive complexity calculator of a source, shared by every rule."""
    calculator = _cache.get(source)
    if calculator is None:
        calculator = CognitiveComplexity(source)
        _cache[source] = calculator
    return calculator
