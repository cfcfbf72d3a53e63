"""Size and complexity metrics of Apex operations and types, computed the way PMD 7 computes them.

Every metric is a sum of per-node weights over a byte range (an operation or a type), so each
source is indexed once: the weights of every counted node sit in a sorted list with prefix
sums, and a metric for any range is two binary searches. No rule walks the tree recursively.

- `cyclo`: PMD's CYCLO (StandardCycloVisitor): 1 + if/else-if, loops, catch, throw, ternary,
  plus the `&&`/`||` operators in their conditions.
- `std_cyclo`: decision points of the StdCyclomaticComplexity rule (no boolean operators,
  try statements instead of catch/throw, ternaries inside comparisons ignored).
- NCSS counts live in `metrics_ncss`, cognitive complexity in `metrics_cognitive`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from weakref import WeakKeyDictionary, ref

from tree_sitter import Node

from sfagent.diagnostics.apex.members import (
    OPERATION_NODE_TYPES,
    Members,
    Operation,
    TypeDeclaration,
    members_of,
)
from sfagent.diagnostics.apex.source import ApexSource

BOOLEAN_OPERATORS = frozenset({"&&", "||"})
# PMD's ASTBooleanExpression: logical operators and comparisons (not instanceof, not `??`).
COMPARISON_OPERATORS = frozenset({"<", ">", "<=", ">=", "==", "!=", "<>", "===", "!=="})
COMMENTS = frozenset({"line_comment", "block_comment"})
# Nodes owning one of PMD's ASTStandardCondition: their condition's `&&`/`||` count for CYCLO.
_CONDITION_OWNERS = (
    "if_statement",
    "while_statement",
    "do_statement",
    "for_statement",
    "ternary_expression",
)
LOOPS = ("for_statement", "enhanced_for_statement", "while_statement", "do_statement")
# Where the search for an enclosing comparison around a ternary stops: statement level.
EXPRESSION_BOUNDARIES = frozenset(
    {
        "block",
        "constructor_body",
        "local_variable_declaration",
        "field_declaration",
        "explicit_constructor_invocation",
        "switch_label",
        "class_body",
    }
)


class WeightedPositions:
    """Weights at byte positions, summed over any byte range by binary search."""

    def __init__(self, items: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(items)
        self.starts = [start for start, _ in ordered]
        self.prefix = [0, *accumulate(weight for _, weight in ordered)]

    @property
    def grand_total(self) -> int:
        """Sum of every weight: a bound for any range."""
        return self.prefix[-1]

    def total(self, start: int, end: int) -> int:
        """Sum of the weights positioned in [start, end)."""
        first = bisect_left(self.starts, start)
        last = bisect_left(self.starts, end)
        return self.prefix[last] - self.prefix[first]


@dataclass(frozen=True, slots=True)
class ClassAverage:
    """StdCyclomaticComplexity's view of a class: rounded average and highest operation."""

    average: int
    highest: int


def is_else_if(node: Node) -> bool:
    """An `if` that is the `else` branch of another `if` (PMD flattens the chain)."""
    parent = node.parent
    if parent is None or parent.type != "if_statement":
        return False
    alternative = parent.child_by_field_name("alternative")
    return alternative is not None and alternative == node


def chain_has_else(head: Node) -> bool:
    """True when an if / else-if chain ends with a plain `else`."""
    current = head
    while True:
        alternative = current.child_by_field_name("alternative")
        if alternative is None:
            return False
        if alternative.type != "if_statement":
            return True
        current = alternative


def boolean_operator(node: Node) -> str:
    """The operator of a binary expression (`&&`, `==`, ...)."""
    operator = node.child_by_field_name("operator")
    return operator.type if operator is not None else ""


class SourceMetrics:
    """All PMD metrics of one parsed source, indexed once."""

    def __init__(self, source: ApexSource) -> None:
        # A weak reference: the per-source cache must not keep its own key alive.
        self._source = ref(source)
        self._counts: dict[str, int] = {}

    @property
    def source(self) -> ApexSource:
        """The measured source (alive while its rules run)."""
        source = self._source()
        if source is None:
            raise RuntimeError("the measured source is gone")
        return source

    @cached_property
    def members(self) -> Members:
        """The declarations measured (built on first use: quick checks do not need them)."""
        return members_of(self.source)

    def count(self, *node_types: str) -> int:
        """How many nodes of these types the source has: cheap upper bounds for the rules."""
        total = 0
        for node_type in node_types:
            count = self._counts.get(node_type)
            if count is None:
                count = self._counts[node_type] = len(self.source.nodes(node_type))
            total += count
        return total

    def operation_count(self) -> int:
        """Upper bound of the number of operations (methods, constructors, accessors...)."""
        return self.count(*OPERATION_NODE_TYPES, "trigger_declaration")

    def cyclo_may_reach(self, level: int) -> bool:
        """False when no operation's cyclomatic complexity, nor a class's total, reaches `level`.

        Node counts give a first bound (every `&&`/`||` counted once per enclosing condition);
        the exact sum of all decision points is computed only when that bound is too loose.
        """
        operations = self.operation_count()
        if not self.count("switch_label"):
            owners = self.count(*_CONDITION_OWNERS)
            decisions = owners + self.count("catch_clause", "enhanced_for_statement")
            decisions += self.count("throw_statement")
            if operations + decisions + self.count("binary_expression") * owners < level:
                return False
        return operations + self._cyclo_weights.grand_total >= level

    def std_cyclo_may_reach(self, level: int) -> bool:
        """False when no operation's or class's standard cyclomatic complexity reaches `level`."""
        decisions = self.count("if_statement", "try_statement", *LOOPS, "ternary_expression")
        return 2 + self.operation_count() + decisions >= level

    # -- shared indexes ---------------------------------------------------------------------

    @cached_property
    def _boolean_operations(self) -> WeightedPositions:
        binaries = self.source.nodes("binary_expression")
        return WeightedPositions(
            (node.start_byte, 1) for node in binaries if boolean_operator(node) in BOOLEAN_OPERATORS
        )

    @cached_property
    def _conditions(self) -> list[tuple[int, int]]:
        """PMD's ASTStandardCondition ranges (if, loops, ternaries), in pre-order."""
        ranges = []
        for owner_type in _CONDITION_OWNERS:
            for owner in self.source.nodes(owner_type):
                condition = owner.child_by_field_name("condition")
                if condition is not None:
                    ranges.append((condition.start_byte, condition.end_byte))
        ranges.sort(key=lambda r: (r[0], -r[1]))
        return ranges

    def _operators_in(self, node: Node | None) -> int:
        if node is None:
            return 0
        return self._boolean_operations.total(node.start_byte, node.end_byte)

    @cached_property
    def _condition_starts(self) -> list[int]:
        return [start for start, _ in self._conditions]

    def _first_condition(self, start: int, end: int) -> tuple[int, int] | None:
        index = bisect_left(self._condition_starts, start)
        if index < len(self._condition_starts) and self._condition_starts[index] < end:
            return self._conditions[index]
        return None

    # -- cyclomatic complexity ------------------------------------------------------------

    @cached_property
    def _cyclo_weights(self) -> WeightedPositions:
        nodes = self.source.nodes
        items = [(node.start_byte, 1) for node in nodes("catch_clause")]
        items += [(node.start_byte, 1) for node in nodes("enhanced_for_statement")]
        items += [(node.start_byte, 1) for node in nodes("throw_statement")]
        for owner_type in ("if_statement", "while_statement", "do_statement"):
            for node in nodes(owner_type):
                condition = node.child_by_field_name("condition")
                items.append((node.start_byte, 1 + self._operators_in(condition)))
        for node in nodes("ternary_expression"):
            condition = node.child_by_field_name("condition")
            items.append((node.start_byte, 1 + self._operators_in(condition)))
        for node in nodes("for_statement"):
            items.append((node.start_byte, 1 + self._for_condition_operators(node)))
        items += [(label.start_byte, _case_count(label)) for label in nodes("switch_label")]
        return WeightedPositions(items)

    def _for_condition_operators(self, loop: Node) -> int:
        """Operators of the first condition PMD finds under a `for` (its own, when present).

        PMD takes the first ASTStandardCondition in its child order: the initialising
        declaration, the condition, initialising expressions, the body, then the update.
        """
        inits = loop.children_by_field_name("init")
        regions = [n for n in inits if n.type == "local_variable_declaration"]
        condition = loop.child_by_field_name("condition")
        if condition is not None:
            regions.append(condition)
        regions += [n for n in inits if n.type != "local_variable_declaration"]
        body = loop.child_by_field_name("body")
        regions += ([body] if body is not None else []) + loop.children_by_field_name("update")
        for region in regions:
            if condition is not None and region == condition:
                return self._operators_in(condition)
            found = self._first_condition(region.start_byte, region.end_byte)
            if found is not None:
                return self._boolean_operations.total(*found)
        return 0

    def cyclo(self, operation: Operation) -> int:
        """PMD's cyclomatic complexity of an operation."""
        return 1 + self._cyclo_weights.total(operation.start, operation.end)

    def weighted_method_count(self, declaration: TypeDeclaration) -> int:
        """Sum of the cyclomatic complexity of a class's own methods (PMD's WMC)."""
        return sum(self.cyclo(op) for op in self.own_methods(declaration))

    # -- standard cyclomatic complexity ---------------------------------------------------

    @cached_property
    def _std_weights(self) -> WeightedPositions:
        nodes = self.source.nodes
        node_types = ("if_statement", "try_statement", *LOOPS)
        items = [(node.start_byte, 1) for t in node_types for node in nodes(t)]
        items += [
            (node.start_byte, 1)
            for node in nodes("ternary_expression")
            if not self._inside_comparison(node)
        ]
        return WeightedPositions(items)

    def _inside_comparison(self, node: Node) -> bool:
        """PMD's StdCyclomaticComplexity does not look inside boolean expressions."""
        parent = node.parent
        while parent is not None and parent.type not in EXPRESSION_BOUNDARIES:
            if parent.type.endswith("_statement"):
                return False
            if parent.type == "binary_expression":
                operator = boolean_operator(parent)
                if operator in BOOLEAN_OPERATORS or operator in COMPARISON_OPERATORS:
                    return True
            parent = parent.parent
        return False

    @cached_property
    def _trigger_methods(self) -> WeightedPositions:
        return WeightedPositions(
            (op.start, 1) for op in self.members.operations if op.nested_in_trigger
        )

    def std_cyclo(self, operation: Operation) -> int:
        """Decision points of an operation, including those of methods declared inside it."""
        start, end = operation.start, operation.end
        nested = self._trigger_methods.total(start + 1, end)
        return 1 + self._std_weights.total(start, end) + nested

    def std_class_average(self, declaration: TypeDeclaration) -> ClassAverage:
        """Rounded average and highest decision points over a class's or trigger's operations."""
        operations = self.own_operations(declaration)
        scores = [self.std_cyclo(op) for op in operations]
        node = declaration.node
        outside = self._std_weights.total(node.start_byte, node.end_byte)
        outside -= sum(self._std_weights.total(op.start, op.end) for op in operations)
        outside -= sum(
            self._std_weights.total(inner.node.start_byte, inner.node.end_byte)
            for inner in self.nested_types(declaration)
        )
        points = 1 + sum(scores) + outside
        # Java's Math.rint rounds half to even, as Python's round does.
        average = round(points / len(scores)) if scores else 1
        return ClassAverage(average=average, highest=max(scores, default=0))

    # -- structure ------------------------------------------------------------------------

    def own_operations(self, declaration: TypeDeclaration) -> list[Operation]:
        """Operations whose nearest container is this type (accessors included)."""
        return [
            op
            for op in self.members.operations
            if op.owner == declaration.node and not op.nested_in_trigger
        ]

    def own_methods(self, declaration: TypeDeclaration) -> list[Operation]:
        """Methods, constructors and initialisers declared directly in a type (no accessors)."""
        return [
            op for op in self.own_operations(declaration) if op.kind not in ("getter", "setter")
        ]

    def nested_types(self, declaration: TypeDeclaration) -> list[TypeDeclaration]:
        """Types declared directly inside a type."""
        return [t for t in self.members.types if t.outer == declaration.node]


def _case_count(label: Node) -> int:
    """Each value of a `when` (and each typed `when`) is a path; `when else` is not."""
    return sum(1 for child in label.named_children if child.type not in COMMENTS)


_cache: WeakKeyDictionary[ApexSource, SourceMetrics] = WeakKeyDictionary()


def metrics_of(source: ApexSource) -> SourceMetrics:
    """The metrics of a source, shared by every rule that runs on it."""
    metrics = _cache.get(source)
    if metrics is None:
        metrics = SourceMetrics(source)
        _cache[source] = metrics
    return metrics
