"""The nodes PMD's ApexCRUDViolation visitor reaches, as visit items in source order."""

from __future__ import annotations

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow_classes import declarators, is_property
from sfagent.diagnostics.apex.dataflow_intervals import VisitItem, item
from sfagent.diagnostics.apex.dataflow_scopes import MethodScope, SourceScopes, outermost_ranges

_STATEMENT_EVENTS = (
    ("foreach", "enhanced_for_statement"),
    ("assign", "assignment_expression"),
    ("return", "return_statement"),
    ("call", "method_invocation"),
    ("dml", "dml_expression"),
)


def crud_events(scopes: SourceScopes, operations: list[Node]) -> list[VisitItem]:
    """Classes, declarations, statements and calls of the top-level types holding operations.

    Checks are recorded under their class's name, so types without queries or DML cannot
    affect any result and are not visited.
    """
    items: list[VisitItem] = []
    for start, end in outermost_ranges(scopes, operations):
        _add_events(scopes, items, start, end)
    return items


def _add_events(scopes: SourceScopes, items: list[VisitItem], start: int, end: int) -> None:
    for scope in scopes.types_within(start, end):
        if scope.kind == "class":
            skipped = scope.is_test or scope.is_system_level
            items.append(item("skipped_class" if skipped else "class", scope.node))
    for method in scopes.methods_within(start, end):
        for parameter in _parameters(method):
            items.append(item("param", parameter, parameter.child_by_field_name("type")))
    for declaration in scopes.within("local_variable_declaration", start, end):
        declared = declaration.child_by_field_name("type")
        items.extend(item("local", d, declared) for d in declarators(declaration))
    for declaration in scopes.within("field_declaration", start, end):
        declared = declaration.child_by_field_name("type")
        if is_property(declaration):
            items.append(item("property", declaration, declared))
            continue
        items.extend(item("field", d, declared) for d in declarators(declaration))
    for kind, node_type in _STATEMENT_EVENTS:
        items.extend(item(kind, node) for node in scopes.within(node_type, start, end))


def _parameters(method: MethodScope) -> list[Node]:
    return method.parameters if method.kind in ("method", "constructor") else []
