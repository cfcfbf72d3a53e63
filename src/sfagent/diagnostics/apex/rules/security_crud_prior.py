"""Which calls PMD's ApexCRUDViolation credits before an operation.

Before each query or DML operation PMD collects the calls of the statements that precede it
in the method (descending into `if` blocks), the calls inside helper methods of the same class
that those statements call, and the calls of the class's constructors and static blocks; every
check those calls make counts for the operation.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow_intervals import SortedNodes, same_node
from sfagent.diagnostics.apex.dataflow_scopes import MethodScope, SourceScopes
from sfagent.diagnostics.apex.rules.security_crud_checks import FactFinder
from sfagent.diagnostics.apex.source import ApexSource


class PriorCalls:
    """The calls PMD credits before an operation: earlier statements, helpers, initializers."""

    def __init__(self, scopes: SourceScopes, facts: FactFinder) -> None:
        self.scopes = scopes
        self.source = scopes.source
        self.is_pattern_call = facts.is_pattern_call
        self.calls = scopes.sorted_nodes("method_invocation")
        self.blocks = scopes.sorted_nodes("block")
        self.class_methods: dict[tuple[str, str, int], MethodScope] = {}
        self._initializers: dict[str, dict[tuple[str, str, int], MethodScope]] = {}
        self._bodies = _SyntheticBodies(self.source)
        self._mapped: dict[tuple[int, int], list[Node]] = {}
        self._plans: dict[tuple[int, int], list[_Statement]] = {}

    def register_class(self, qualified_name: str, methods: list[MethodScope]) -> None:
        """PMD indexes a class's methods by `Type:name:arity` when it visits the class."""
        initializers = self._initializers.setdefault(qualified_name, {})
        for method in methods:
            key = (qualified_name, method.name, method.arity)
            self.class_methods[key] = method
            if method.is_initializer:
                initializers[key] = method

    def inner_blocks(self, statement: Node) -> list[tuple[tuple[int, int], list[Node]]]:
        """Every block (real or implied) inside an `if` statement, with its statements."""
        return self._bodies.blocks_within(self.blocks, statement)

    def credited_calls(self, operation_node: Node, same_kind: SortedNodes) -> list[Node]:
        """PMD's getPreviousMethodCalls for an operation (DML, Database call or query)."""
        method = self.scopes.method_at(operation_node.start_byte)
        credited: dict[tuple[int, int], Node] = {}
        if method is None:
            return []
        if method.body is not None:
            walk = _BlockWalk(self, operation_node, same_kind, credited)
            body = method.body
            walk.statements((body.start_byte, body.end_byte), _statements(body))
        for initializer in self.initializers(method.defining_type):
            for call in self.calls.within(initializer.start, initializer.end):
                credited.setdefault((call.start_byte, call.end_byte), call)
        for call in list(credited.values()):
            if not same_node(call, operation_node):
                self.map_call(call, credited)
        return list(credited.values())

    def initializers(self, defining_type: str) -> list[MethodScope]:
        """Constructors and static blocks of a class PMD has visited.

        PMD credits the initializers of every class seen so far, but checks made in another
        class are recorded under that class's name and can never cover this operation, so
        only the operation's own class matters.
        """
        return list(self._initializers.get(defining_type, {}).values())

    def map_call(self, call: Node, credited: dict[tuple[int, int], Node]) -> None:
        """Credit the calls inside a helper method of this class, or an authorization call."""
        for inner in self._mapped_calls(call):
            credited.setdefault((inner.start_byte, inner.end_byte), inner)

    def _mapped_calls(self, call: Node) -> list[Node]:
        key = (call.start_byte, call.end_byte)
        mapped = self._mapped.get(key)
        if mapped is None:
            view = self.scopes.call(call)
            method = (self.scopes.defining_type(call.start_byte), view.name, len(view.arguments))
            helper = self.class_methods.get(method)
            if helper is not None:
                mapped = self.calls.within(helper.start, helper.end)
            else:
                mapped = [call] if self.is_pattern_call(call) else []
            self._mapped[key] = mapped
        return mapped

    def plan(self, block_key: tuple[int, int], statements: list[Node]) -> list[_Statement]:
        """A block's statements with what PMD's walk looks at in each (computed once)."""
        plan = self._plans.get(block_key)
        if plan is None:
            plan = [self._statement(statement) for statement in statements]
            self._plans[block_key] = plan
        return plan

    def _statement(self, node: Node) -> _Statement:
        start, end = node.start_byte, node.end_byte
        return _Statement(
            node=node,
            start=start,
            end=end,
            own_dml=_own_dml(node),
            first_call=self.calls.first_within(start, end),
            inner_blocks=self.inner_blocks(node) if node.type == "if_statement" else [],
        )


@dataclass(frozen=True, slots=True)
class _Statement:
    """One statement of a block, as PMD's walk before an operation sees it."""

    node: Node
    start: int
    end: int
    own_dml: Node | None  # PMD's DML statement is the statement node itself
    first_call: Node | None
    inner_blocks: list[tuple[tuple[int, int], list[Node]]]


class _BlockWalk:
    """PMD's recursivelyEvaluateCRUDMethodCalls: statements before the operation."""

    def __init__(
        self,
        collector: PriorCalls,
        operation: Node,
        same_kind: SortedNodes,
        credited: dict[tuple[int, int], Node],
    ) -> None:
        self.collector = collector
        self.operation = operation
        self.same_kind = same_kind
        self.credited = credited
        self.seen: set[tuple[int, int]] = set()

    def statements(self, block_key: tuple[int, int], statements: list[Node]) -> None:
        """Credit the first call of each statement until the one holding the operation."""
        collector = self.collector
        for statement in collector.plan(block_key, statements):
            for key, block in statement.inner_blocks:
                if key not in self.seen:
                    self.seen.add(key)
                    self.statements(key, block)
            match = self.same_kind.first_within(
                statement.start, statement.end, skip=statement.own_dml
            )
            if same_node(match, self.operation):
                break
            first_call = statement.first_call
            if first_call is not None and not same_node(first_call, self.operation):
                collector.map_call(first_call, self.credited)


def _own_dml(statement: Node) -> Node | None:
    """PMD's DML statement is the statement itself, so it is not its own descendant."""
    if statement.type != "expression_statement":
        return None
    for child in statement.named_children:
        if child.type == "dml_expression":
            return child
    return None


def _statements(body: Node) -> list[Node]:
    return [child for child in body.named_children if child.type not in _NOT_STATEMENTS]


_NOT_STATEMENTS = frozenset({"line_comment", "block_comment"})
_BODY_FIELDS = {
    "if_statement": ("consequence", "alternative"),
    "for_statement": ("body",),
    "enhanced_for_statement": ("body",),
    "while_statement": ("body",),
    "do_statement": ("body",),
}


class _SyntheticBodies:
    """Statement lists of every PMD BlockStatement inside a node, in document order.

    PMD wraps a loop or `if` body that is a single statement into a block, so those count too.
    """

    def __init__(self, source: ApexSource) -> None:
        self._source = source
        self._controls: SortedNodes | None = None

    def _control_statements(self) -> SortedNodes:
        if self._controls is None:
            nodes_of = self._source.nodes
            controls = [node for node_type in _BODY_FIELDS for node in nodes_of(node_type)]
            controls.sort(key=lambda node: node.start_byte)
            self._controls = SortedNodes(controls)
        return self._controls

    def blocks_within(
        self, blocks: SortedNodes, statement: Node
    ) -> list[tuple[tuple[int, int], list[Node]]]:
        """Statement lists of the blocks (real and implied) inside a statement."""
        start, end = statement.start_byte, statement.end_byte
        found = [
            ((block.start_byte, block.end_byte), _statements(block))
            for block in blocks.within(start, end)
        ]
        for control in self._control_statements().within(start, end):
            for field_name in _BODY_FIELDS[control.type]:
                body = control.child_by_field_name(field_name)
                if body is None or body.type in ("block", "if_statement"):
                    continue
                found.append(((body.start_byte, body.end_byte), [body]))
        found.sort(key=lambda item: item[0])
        return found
