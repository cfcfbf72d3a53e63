"""Per-class views PMD's class-at-a-time security rules need: declarations and assignments.

Several PMD rules (SOQL injection, open redirect, bad crypto...) visit one class at a time and
look at its variable declarations, field declarations and assignments without descending into
nested classes. These helpers give each such node as PMD's children would: the initializer or
assigned value, and the declared variable (PMD lists the initializer first, which some rules
rely on when they take "the first variable" of a declaration).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import (
    VARIABLE,
    kind_of,
    text,
    unwrap,
)
from sfagent.diagnostics.apex.dataflow_literals import type_text
from sfagent.diagnostics.apex.dataflow_scopes import SourceScopes, TypeScope
from sfagent.diagnostics.apex.source import ApexSource


@dataclass(frozen=True, slots=True)
class Binding:
    """A declaration or assignment: PMD children `[value?, variable]` or `[target, value]`."""

    node: Node
    kind: str  # "local", "field" or "assign"
    value: Node | None  # initializer or assigned expression (unwrapped)
    target: Node | None  # the assigned expression for `assign` (unwrapped)
    name: Node | None  # declared variable's identifier for declarations
    declared_type: str  # declared type text ("" for assignments)
    defining_type: str

    def children(self) -> list[Node]:
        """PMD's child order: initializer then declared variable, or target then value."""
        if self.kind == "assign":
            return [node for node in (self.target, self.value) if node is not None]
        return [node for node in (self.value, self.name) if node is not None]

    def first_variable(self, scopes: SourceScopes) -> Node | None:
        """PMD's firstChild(VariableExpression): may be the initializer, not the declared name."""
        for child in self.children():
            if child is self.name or kind_of(scopes.source, child) == VARIABLE:
                return child
        return None


def class_bindings(scopes: SourceScopes, scope: TypeScope) -> Iterator[Binding]:
    """Field declarations, local declarations and assignments directly inside one class."""
    yield from _declarations(scopes, scope, "field_declaration", "field")
    yield from _declarations(scopes, scope, "local_variable_declaration", "local")
    for node in _inside(scopes, scope, "assignment_expression"):
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        yield Binding(
            node=node,
            kind="assign",
            value=unwrap(right) if right is not None else None,
            target=unwrap(left) if left is not None else None,
            name=None,
            declared_type="",
            defining_type=scope.qualified_name,
        )


def _declarations(
    scopes: SourceScopes, scope: TypeScope, node_type: str, kind: str
) -> Iterator[Binding]:
    source = scopes.source
    for declaration in _inside(scopes, scope, node_type):
        if kind == "field" and is_property(declaration):
            continue  # a property: PMD has no FieldDeclaration for it
        declared = type_text(source, declaration.child_by_field_name("type"))
        for declarator in declaration.named_children:
            if declarator.type != "variable_declarator":
                continue
            value = declarator.child_by_field_name("value")
            yield Binding(
                node=declarator,
                kind=kind,
                value=unwrap(value) if value is not None else None,
                target=None,
                name=declarator.child_by_field_name("name"),
                declared_type=declared,
                defining_type=scope.qualified_name,
            )


def _inside(scopes: SourceScopes, scope: TypeScope, node_type: str) -> Iterator[Node]:
    """Nodes of a type whose innermost enclosing type is `scope` (PMD stops at nested classes)."""
    for node in scopes.within(node_type, scope.start, scope.end):
        if scopes.type_at(node.start_byte) is scope:
            yield node


def qualified_name(scopes: SourceScopes, binding: Binding, node: Node) -> str:
    """PMD's Helper.getFQVariableName for a binding's child (declared name or expression)."""
    if node is binding.name:
        return f"{binding.defining_type}:{text(scopes.source, node)}"
    return scopes.variable_name(node)


def declarators(declaration: Node) -> list[Node]:
    """The `variable_declarator` children of a local or field declaration."""
    return [child for child in declaration.named_children if child.type == "variable_declarator"]


def is_property(declaration: Node) -> bool:
    """A field declaration with accessors (`{ get; set; }`), which PMD models as a property."""
    return any(child.type == "accessor_list" for child in declaration.named_children)


def dml_type(source: ApexSource, node: Node) -> str:
    """`insert`, `update`, `upsert`, `delete`, `undelete` or `merge` for a DML expression."""
    for child in node.named_children:
        if child.type == "dml_type":
            return text(source, child).lower()
    return ""
