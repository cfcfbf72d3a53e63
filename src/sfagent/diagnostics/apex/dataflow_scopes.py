"""Where a node lives, as PMD's security rules ask it: its type, its method, and their traits.

Built once per parsed source and shared by the security rules (a weak cache keyed by the
source), so each rule answers "which class defines this call?" with a binary search instead
of walking parents (`Node.parent` is slow in py-tree-sitter). Traits that need more of the
tree (annotations, interfaces, parameters) are computed on first use.
"""

from __future__ import annotations

import weakref
from bisect import bisect_left, bisect_right
from functools import cached_property

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import (
    CallView,
    call_view,
    text,
    variable_view,
)
from sfagent.diagnostics.apex.dataflow_intervals import SortedNodes
from sfagent.diagnostics.apex.dataflow_literals import type_text
from sfagent.diagnostics.apex.declarations import has_annotation, modifier_keywords, modifiers_of
from sfagent.diagnostics.apex.source import ApexSource

_TYPE_KINDS = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "trigger_declaration": "trigger",
}
_SYSTEM_LEVEL_INTERFACES = frozenset({"queueable", "database.batchable", "installhandler"})
_SHARING_KEYWORDS = frozenset({"with sharing", "without sharing", "inherited sharing"})
_METHOD_TYPES = (
    "method_declaration",
    "constructor_declaration",
    "static_initializer",
    "accessor_declaration",
    "trigger_body",
)


class TypeScope:
    """A class, interface, enum or trigger and the traits PMD's rules check on it."""

    def __init__(
        self, source: ApexSource, node: Node, index: int, parent: TypeScope | None
    ) -> None:
        self._source = source
        self.node = node
        self.index = index
        self.kind = _TYPE_KINDS[node.type]
        self.parent = parent.index if parent is not None else None
        self.start = node.start_byte
        self.end = node.end_byte
        name_node = node.child_by_field_name("name")
        self.name = text(source, name_node) if name_node is not None else ""
        # Annotations and modifiers come before the name; a cheap text test skips parsing them.
        header_end = name_node.start_byte if name_node is not None else node.start_byte
        self._header = source.data[node.start_byte : header_end].lower()
        enclosing: TypeScope | None = parent
        while enclosing is not None and enclosing.kind != "class":
            enclosing = enclosing.parent_scope
        self.parent_scope: TypeScope | None = parent
        # PMD's defining type: `Outer.Inner` for a class nested in a class.
        self.qualified_name: str = (
            f"{enclosing.qualified_name}.{self.name}" if enclosing else self.name
        )

    @cached_property
    def modifiers(self) -> Node | None:
        """The declaration's modifiers node (annotations and keywords), if any."""
        return modifiers_of(self.node)

    @cached_property
    def is_test(self) -> bool:
        """`@IsTest`, or a name ending in "Test" (PMD's Helper.isTestMethodOrClass)."""
        if self.qualified_name.endswith("Test"):
            return True
        return b"istest" in self._header and has_annotation(self._source, self.node, "istest")

    @cached_property
    def is_system_level(self) -> bool:
        """Implements Queueable, Database.Batchable or InstallHandler (runs as system)."""
        if self.kind != "class" or b"implements" not in self._header_with_interfaces():
            return False
        return _is_system_level(self._source, self.node)

    def _header_with_interfaces(self) -> bytes:
        body = self.node.child_by_field_name("body")
        end = body.start_byte if body is not None else self.end
        return self._source.data[self.start : end].lower()

    @cached_property
    def declares_sharing(self) -> bool:
        """Declared `with sharing`, `without sharing` or `inherited sharing`."""
        if b"sharing" not in self._header:
            return False
        return bool(modifier_keywords(self._source, self.node) & _SHARING_KEYWORDS)


class MethodScope:
    """A method-like unit PMD models as ASTMethod: method, constructor, initializer, trigger."""

    def __init__(self, scopes: SourceScopes, node: Node) -> None:
        self._scopes = scopes
        self.node = node
        self.start = node.start_byte
        self.end = node.end_byte
        self.kind, self.name, self.body = _method_shape(scopes.source, node)
        scope = scopes.type_at(self.start)
        self.type_index = scope.index if scope is not None else None
        self.defining_type = scope.qualified_name if scope is not None else ""

    @property
    def is_initializer(self) -> bool:
        """Constructors and static blocks, whose checks PMD applies to every operation."""
        return self.kind in ("constructor", "static_initializer")

    @cached_property
    def parameters(self) -> list[Node]:
        """Formal parameters of a method or constructor."""
        parameters = self.node.child_by_field_name("parameters")
        if parameters is None:
            return []
        return [child for child in parameters.named_children if child.type == "formal_parameter"]

    @property
    def arity(self) -> int:
        """Number of parameters."""
        return len(self.parameters) if self.kind in ("method", "constructor") else 0

    @cached_property
    def return_type(self) -> str:
        """Declared return type as PMD prints it (`void` when there is none).

        A property getter returns the property's type.
        """
        source = self._scopes.source
        if self.kind == "accessor":
            accessor = self.node.child_by_field_name("accessor")
            declaration = self.node.parent.parent if self.node.parent is not None else None
            if accessor is None or declaration is None or text(source, accessor).lower() != "get":
                return "void"
            return type_text(source, declaration.child_by_field_name("type")) or "void"
        return type_text(source, self.node.child_by_field_name("type")) or "void"

    @cached_property
    def is_test(self) -> bool:
        """`@IsTest`, `testMethod`, or declared in a type whose name ends in "Test"."""
        if self.defining_type.endswith("Test"):
            return True
        if self.kind == "trigger":
            return False
        source = self._scopes.source
        header = source.data[self.start : self._name_start()].lower()
        if b"istest" not in header and b"testmethod" not in header:
            return False
        return has_annotation(source, self.node, "istest") or "testmethod" in modifier_keywords(
            source, self.node
        )

    def _name_start(self) -> int:
        for field_name in ("type", "name", "body"):
            child = self.node.child_by_field_name(field_name)
            if child is not None:
                return child.start_byte
        return self.end


class SourceScopes:
    """Types and methods of one source, with positional lookups."""

    def __init__(self, source: ApexSource) -> None:
        self.source = source
        self.types = _collect_types(source)
        self._type_starts = [scope.start for scope in self.types]
        self._calls: dict[tuple[int, int], CallView] = {}
        self._sorted: dict[str, SortedNodes] = {}

    @cached_property
    def methods(self) -> list[MethodScope]:
        """Every method-like unit in document order."""
        nodes = [node for node_type in _METHOD_TYPES for node in self.source.nodes(node_type)]
        nodes.sort(key=lambda node: node.start_byte)
        return [MethodScope(self, node) for node in nodes]

    @cached_property
    def _method_starts(self) -> list[int]:
        return [method.start for method in self.methods]

    @cached_property
    def methods_by_type(self) -> dict[int | None, list[MethodScope]]:
        """Methods grouped by the index of the type declaring them."""
        grouped: dict[int | None, list[MethodScope]] = {}
        for method in self.methods:
            grouped.setdefault(method.type_index, []).append(method)
        return grouped

    def types_within(self, start: int, end: int) -> list[TypeScope]:
        """Type declarations starting inside [start, end), in document order."""
        starts = self._type_starts
        return self.types[bisect_left(starts, start) : bisect_left(starts, end)]

    def methods_within(self, start: int, end: int) -> list[MethodScope]:
        """Method-like units starting inside [start, end), in document order."""
        starts = self._method_starts
        return self.methods[bisect_left(starts, start) : bisect_left(starts, end)]

    def type_index_at(self, position: int) -> int | None:
        """Index of the innermost type declaration containing a byte position."""
        index: int | None = bisect_right(self._type_starts, position) - 1
        while index is not None and index >= 0:
            scope = self.types[index]
            if scope.start <= position < scope.end:
                return index
            index = scope.parent
        return None

    def type_at(self, position: int) -> TypeScope | None:
        """The innermost type declaration containing a byte position."""
        index = self.type_index_at(position)
        return self.types[index] if index is not None else None

    def defining_type(self, position: int) -> str:
        """PMD's getDefiningType for a node starting at `position`."""
        scope = self.type_at(position)
        return scope.qualified_name if scope is not None else ""

    def method_at(self, position: int) -> MethodScope | None:
        """The method-like unit containing a byte position (methods do not nest)."""
        index = bisect_right(self._method_starts, position) - 1
        if index >= 0 and position < self.methods[index].end:
            return self.methods[index]
        return None

    def call(self, node: Node) -> CallView:
        """A call's PMD view, computed once per node."""
        key = (node.start_byte, node.end_byte)
        view = self._calls.get(key)
        if view is None:
            view = call_view(self.source, node)
            self._calls[key] = view
        return view

    def is_call_chain(self, node: Node, chain: tuple[str, ...]) -> bool:
        """PMD's Helper.isMethodCallChain using the cached call views."""
        view = self.call(node)
        if not chain or not view.is_named(chain[-1]) or not view.reference.present:
            return False
        nested = view.nested_call()
        if nested is not None:
            return self.is_call_chain(nested, chain[:-1])
        return len(chain) == 2 and view.is_static_call(chain[0], chain[1])

    def sorted_nodes(self, node_type: str) -> SortedNodes:
        """Nodes of one type in document order, for range lookups."""
        index = self._sorted.get(node_type)
        if index is None:
            index = SortedNodes(self.source.nodes(node_type))
            self._sorted[node_type] = index
        return index

    def within(self, node_type: str, start: int, end: int) -> list[Node]:
        """Nodes of one type starting inside [start, end), in document order."""
        return self.sorted_nodes(node_type).within(start, end)

    def variable_name(self, node: Node) -> str:
        """PMD's Helper.getFQVariableName for a variable expression node."""
        return variable_view(self.source, node).qualified(self.defining_type(node.start_byte))

    @cached_property
    def calls_by_name(self) -> dict[str, list[Node]]:
        """Every method invocation, grouped by lower-cased method name, in document order."""
        grouped: dict[str, list[Node]] = {}
        names = self._call_names
        data = self.source.data
        for node in self.source.nodes("method_invocation"):
            name = node.child_by_field_name("name")
            if name is not None:
                key = data[name.start_byte : name.end_byte].decode("utf-8", "replace").lower()
                grouped.setdefault(key, []).append(node)
                names[(node.start_byte, node.end_byte)] = key
        return grouped

    @cached_property
    def _call_names(self) -> dict[tuple[int, int], str]:
        return {}

    def call_name(self, node: Node) -> str:
        """Lower-cased method name of a call (from the shared index, no tree access)."""
        self.calls_by_name  # noqa: B018 - builds the name index on first use
        return self._call_names.get((node.start_byte, node.end_byte), "")


_cache: weakref.WeakKeyDictionary[ApexSource, SourceScopes] = weakref.WeakKeyDictionary()


def scopes_of(source: ApexSource) -> SourceScopes:
    """The shared scope index of a source (built on first use)."""
    scopes = _cache.get(source)
    if scopes is None:
        scopes = SourceScopes(source)
        _cache[source] = scopes
    return scopes


def _collect_types(source: ApexSource) -> list[TypeScope]:
    nodes = [node for node_type in _TYPE_KINDS for node in source.nodes(node_type)]
    nodes.sort(key=lambda node: node.start_byte)
    types: list[TypeScope] = []
    open_types: list[TypeScope] = []
    for node in nodes:
        while open_types and open_types[-1].end <= node.start_byte:
            open_types.pop()
        scope = TypeScope(source, node, len(types), open_types[-1] if open_types else None)
        types.append(scope)
        open_types.append(scope)
    return types


def _is_system_level(source: ApexSource, node: Node) -> bool:
    interfaces = node.child_by_field_name("interfaces")
    if interfaces is None:
        return False
    for type_list in interfaces.named_children:
        for interface in type_list.named_children:
            erased = interface.named_children[0] if interface.type == "generic_type" else interface
            if "".join(text(source, erased).split()).lower() in _SYSTEM_LEVEL_INTERFACES:
                return True
    return False


def _method_shape(source: ApexSource, node: Node) -> tuple[str, str, Node | None]:
    if node.type == "method_declaration":
        name_node = node.child_by_field_name("name")
        name = text(source, name_node) if name_node is not None else ""
        return "method", name, node.child_by_field_name("body")
    if node.type == "constructor_declaration":
        return "constructor", "<init>", node.child_by_field_name("body")
    if node.type == "static_initializer":
        body = next((child for child in node.named_children if child.type == "block"), None)
        return "static_initializer", "<clinit>", body
    if node.type == "accessor_declaration":
        return "accessor", "<accessor>", node.child_by_field_name("body")
    return "trigger", "invoke", None


def outermost_ranges(scopes: SourceScopes, nodes: list[Node]) -> list[tuple[int, int]]:
    """Byte ranges of the top-level types that contain any of the nodes, in order.

    Consecutive types are merged into one range, so a file of many small classes costs a few
    range lookups rather than one per class.
    """
    ranges: list[tuple[int, int]] = []
    for node in sorted(nodes, key=lambda n: n.start_byte):
        if ranges and node.start_byte < ranges[-1][1]:
            continue
        index = scopes.type_index_at(node.start_byte)
        if index is None:
            continue
        scope = scopes.types[index]
        while scope.parent is not None:
            scope = scopes.types[scope.parent]
        if ranges and _only_space_between(scopes, ranges[-1][1], scope.start):
            ranges[-1] = (ranges[-1][0], scope.end)
        else:
            ranges.append((scope.start, scope.end))
    return ranges


def _only_space_between(scopes: SourceScopes, end: int, start: int) -> bool:
    """True when no other top-level type lies between two type declarations."""
    between = scopes.types_within(end, start)
    return all(scope.parent is not None for scope in between)
