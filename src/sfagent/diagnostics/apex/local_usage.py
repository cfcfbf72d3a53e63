"""Which local variables are never read or written, judged the way PMD's Apex rule does.

PMD does not resolve names: a local counts as used when its name (any case) appears as a
variable reference anywhere in the block that declares it, or as a `:name` bind inside a SOSL
query or a string passed to `Database.query`, `getQueryLocator` or `countQuery`. A reference is
a plain name, the first name of a dotted chain (`a` in `a.b.c` or `a.run()`) or the last field
of a chain (`c` in `a.b.c`); middle names and method names are not references.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from sfagent.diagnostics.apex.declarations import call_name, declarator_names
from sfagent.diagnostics.apex.source import ApexSource, descendants

DYNAMIC_QUERY_CALLS = frozenset(
    {"database.query", "database.getquerylocator", "database.countquery"}
)
_BIND = re.compile(r":\s*([_a-z0-9]+)", re.IGNORECASE)
_NOT_REFERENCES = frozenset(
    {
        "formal_parameter",
        "method_declaration",
        "constructor_declaration",
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "enum_constant",
        "annotation",
        "annotation_key_value",
        "trigger_declaration",
        "switch_label",
    }
)
# Statements whose single-statement body PMD wraps in a block of its own.
_BODY_OWNERS = frozenset(
    {"if_statement", "while_statement", "for_statement", "enhanced_for_statement", "do_statement"}
)
_BLOCKS = frozenset({"block", "constructor_body"})
_TRANSPARENT = frozenset({"argument_list", "parenthesized_expression"})
_STATEMENT_LEVEL = frozenset(
    {"block", "constructor_body", "local_variable_declaration", "field_declaration"}
)


@dataclass(frozen=True, slots=True)
class Reference:
    """A name occurrence PMD treats as a variable use; `variable` marks a VariableExpression."""

    node: Node
    name: str
    variable: bool


class LocalUsage:
    """Occurrences of the names of a source's locals, indexed by position for block look-ups."""

    def __init__(self, source: ApexSource) -> None:
        self.source = source
        self.declarations = source.nodes("local_variable_declaration")
        names = {
            _lowered(source, name)
            for declaration in self.declarations
            for name in declarator_names(declaration)
        }
        self._queries = source.nodes("query_expression")
        self._occurrences = _occurrences(source, names)
        self._starts = [node.start_byte for node, _ in self._occurrences]
        self._binds_in: dict[tuple[int, int], set[str]] = {}

    def unused_locals(self) -> Iterator[Node]:
        """Name nodes of local variables (including `for` initialisers) that are never used."""
        for declaration in self.declarations:
            scope = declaring_block(declaration)
            if scope is None:
                continue  # top-level trigger statements have no enclosing block in PMD's tree
            for name in declarator_names(declaration):
                if self._is_referenced(name, scope):
                    continue
                if _lowered(self.source, name) not in self._binds_within(scope):
                    yield name

    def _is_referenced(self, name: Node, scope: Node) -> bool:
        """Another occurrence of the name in the block is a reference (the name's own doesn't)."""
        lowered = _lowered(self.source, name)
        first = bisect_left(self._starts, scope.start_byte)
        last = bisect_left(self._starts, scope.end_byte)
        for node, spelled in self._occurrences[first:last]:
            if spelled != lowered or node.start_byte == name.start_byte:
                continue
            if not self._in_query_text(node) and any(_as_reference(self.source, node)):
                return True
        return False

    def _binds_within(self, scope: Node) -> set[str]:
        """`:name` binds in the block's SOSL queries and in strings its dynamic queries use."""
        key = (scope.start_byte, scope.end_byte)
        if key not in self._binds_in:
            self._binds_in[key] = self._find_binds(scope)
        return self._binds_in[key]

    def _find_binds(self, scope: Node) -> set[str]:
        source = self.source
        texts = [
            source.text_of(query)
            for query in _within(self._queries, scope)
            if any(child.type == "sosl_query_body" for child in query.named_children)
        ]
        calls = [
            call
            for call in _within(source.nodes("method_invocation"), scope)
            if call_name(source, call) in DYNAMIC_QUERY_CALLS
        ]
        if calls:
            variables = self._variables_in(scope)
            for call in calls:
                texts += _strings_in(source, call)
                texts += self._strings_near_uses(call, variables)
        return {match.lower() for text in texts for match in _BIND.findall(text)}

    def _variables_in(self, scope: Node) -> list[Reference]:
        return [
            reference
            for identifier in _within(self.source.nodes("identifier"), scope)
            if not self._in_query_text(identifier)
            for reference in _as_reference(self.source, identifier)
            if reference.variable
        ]

    def _in_query_text(self, identifier: Node) -> bool:
        """A field or object name written in SOQL/SOSL text rather than an Apex `:bind`."""
        return bool(self._queries) and _in_query_text(identifier)

    def _strings_near_uses(self, call: Node, variables: list[Reference]) -> list[str]:
        """Strings next to other uses of the variables a query call reads (`q = '...'`)."""
        start, end = call.start_byte, call.end_byte
        passed = {ref.name for ref in variables if start <= ref.node.start_byte < end}
        texts: list[str] = []
        for reference in variables:
            if reference.name in passed:
                owner = _expression_parent(reference.node)
                if owner is not None:
                    texts += _strings_in(self.source, owner)
        return texts


def _occurrences(source: ApexSource, names: set[str]) -> list[tuple[Node, str]]:
    """Identifier nodes spelling one of `names` (any case), in document order."""
    if not names:
        return []
    wanted = {name.encode() for name in names}
    data = source.data
    found = []
    for node in source.nodes("identifier"):
        spelled = data[node.start_byte : node.end_byte].lower()
        if spelled in wanted:
            found.append((node, spelled.decode()))
    return found


def _within(nodes: list[Node], scope: Node) -> list[Node]:
    """The nodes (in document order) that start inside `scope`."""
    starts = [node.start_byte for node in nodes]
    return nodes[bisect_left(starts, scope.start_byte) : bisect_left(starts, scope.end_byte)]


def _lowered(source: ApexSource, node: Node) -> str:
    return source.data[node.start_byte : node.end_byte].decode("utf-8", "replace").lower()


def declaring_block(declaration: Node) -> Node | None:
    """The block PMD searches for uses of a local: the nearest enclosing (or implied) block."""
    child = declaration
    parent = declaration.parent
    while parent is not None:
        if parent.type in _BLOCKS:
            owner = parent.parent
            return None if owner is not None and owner.type == "trigger_body" else parent
        if parent.type in _BODY_OWNERS and _is_body(parent, child):
            return child
        child, parent = parent, parent.parent
    return None


def _is_body(statement: Node, child: Node) -> bool:
    for field in ("body", "consequence", "alternative"):
        body = statement.child_by_field_name(field)
        if body is not None and body.id == child.id:
            return True
    return False


def _in_query_text(identifier: Node) -> bool:
    """A field or object name written in SOQL/SOSL text rather than an Apex `:bind`."""
    parent = identifier.parent
    while parent is not None:
        kind = parent.type
        if kind == "bound_apex_expression":
            return False
        if kind == "query_expression":
            return True
        if kind in _STATEMENT_LEVEL or kind.endswith("_statement"):
            return False
        parent = parent.parent
    return False


def _as_reference(source: ApexSource, identifier: Node) -> Iterator[Reference]:
    parent = identifier.parent
    if parent is None or parent.type in _NOT_REFERENCES:
        return
    name = source.text_of(identifier).lower()
    if parent.type == "field_access":
        yield from _chain_reference(parent, identifier, name)
    elif parent.type == "method_invocation":
        if _is_field(parent, "object", identifier):
            yield Reference(identifier, name, variable=False)
    else:
        # Plain names, including declared names: PMD gives every declaration a reference node.
        yield Reference(identifier, name, variable=True)


def _chain_reference(access: Node, identifier: Node, name: str) -> Iterator[Reference]:
    """PMD flattens `a.b.c` into names: only the first and the last one are references."""
    field = access.child_by_field_name("field")
    if field is not None and (field.text or b"").lower() == b"class":
        return  # `Foo.class` is a type literal, not a variable reference
    safe = any(child.type == "safe_navigation_operator" for child in access.children)
    if not _is_field(access, "field", identifier):
        # The object of `a.b`: first name of the chain, or a separate expression after `?.`.
        yield Reference(identifier, name, variable=safe)
        return
    obj = access.child_by_field_name("object")
    first = safe or obj is None or obj.type not in {"identifier", "field_access"}
    last = _is_outermost(access)
    if last:
        yield Reference(identifier, name, variable=True)
    elif first:
        yield Reference(identifier, name, variable=False)


def _is_outermost(access: Node) -> bool:
    """Not the object of a longer non-safe chain nor the receiver of a method call."""
    parent = access.parent
    if parent is None or not _is_field(parent, "object", access):
        return True
    if parent.type == "method_invocation":
        return False
    if parent.type == "field_access":
        return any(child.type == "safe_navigation_operator" for child in parent.children)
    return True


def _is_field(parent: Node, field: str, child: Node) -> bool:
    node = parent.child_by_field_name(field)
    return node is not None and node.id == child.id


def _expression_parent(identifier: Node) -> Node | None:
    """The node PMD would see as the parent of this variable reference."""
    node = identifier
    parent = node.parent
    while parent is not None and parent.type == "field_access" and _is_field(parent, "field", node):
        node, parent = parent, parent.parent
    while parent is not None and parent.type in _TRANSPARENT:
        parent = parent.parent
    return parent


def _strings_in(source: ApexSource, node: Node) -> list[str]:
    strings = [source.text_of(literal) for literal in descendants(node, "string_literal")]
    if node.type == "string_literal":
        strings.append(source.text_of(node))
    return strings
