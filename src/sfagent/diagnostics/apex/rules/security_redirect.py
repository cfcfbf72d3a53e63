"""ApexOpenRedirect: a PageReference built from a value that is not a fixed string."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import (
    BINARY,
    LITERAL,
    NEW_OBJECT,
    VARIABLE,
    call_arguments,
    first_of_kind,
    kind_of,
    pmd_children,
    text,
)
from sfagent.diagnostics.apex.dataflow_classes import Binding, class_bindings, qualified_name
from sfagent.diagnostics.apex.dataflow_literals import type_text
from sfagent.diagnostics.apex.dataflow_scopes import SourceScopes, TypeScope, scopes_of
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.source import ancestors
from sfagent.diagnostics.findings import Finding, Severity


class ApexOpenRedirect(Rule):
    """`new PageReference(url)` where the URL starts with a variable not set from a literal."""

    name = "ApexOpenRedirect"
    category = "security"
    severity = Severity.HIGH
    why = (
        "Open redirect: if the URL comes from the request, a crafted link can send users from "
        "a trusted Salesforce page to a look-alike phishing site."
    )
    fix = (
        "Redirect only to known places: build the PageReference from a literal path or a "
        "`Page.MyPage` reference, or accept the target only if it is a relative path "
        "(starts with '/' but not '//') or matches an allow list."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report variables that decide where a new PageReference points."""
        scopes = scopes_of(context.source)
        pages = [
            node
            for node in context.source.nodes("object_creation_expression")
            if _is_page_reference(scopes, node)
        ]
        by_class: dict[int, list[Node]] = {}
        for page in pages:
            index = scopes.type_index_at(page.start_byte)
            if index is not None:
                by_class.setdefault(index, []).append(page)
        for index, class_pages in sorted(by_class.items()):
            scope = scopes.types[index]
            if scope.kind != "class" or scope.is_test or scope.is_system_level:
                continue
            safe = _literal_variables(scopes, scope)
            for page in class_pages:
                method = scopes.method_at(page.start_byte)
                if method is not None and method.is_test:
                    continue
                for variable in _unsafe_targets(scopes, page, safe):
                    yield self._finding(context, variable)

    def _finding(self, context: RuleContext, variable: Node) -> Finding:
        shown = " ".join(text(context.source, variable).split())
        return self.report(
            context,
            variable,
            f"PageReference target starts with `{shown}`, which is not a fixed string",
            fix=(
                f"Check `{shown}` before redirecting: allow it only when it is a relative path "
                "('/...' but not '//...') or on a list of known pages, or build the "
                "PageReference from `Page.<PageName>`."
            ),
            details={"variable": shown},
        )


def _is_page_reference(scopes: SourceScopes, node: Node) -> bool:
    if kind_of(scopes.source, node) != NEW_OBJECT:
        return False
    return type_text(scopes.source, node.child_by_field_name("type")).lower() == "pagereference"


def _literal_variables(scopes: SourceScopes, scope: TypeScope) -> set[str]:
    """PMD's listOfStringLiteralVariables for one class."""
    safe: set[str] = set()
    bindings = list(class_bindings(scopes, scope))
    for binding in (b for b in bindings if b.kind == "assign"):
        _find_safe_literals(scopes, binding, binding.children(), safe, is_binary=False)
    for binding in (b for b in bindings if b.kind == "local"):
        _find_safe_literals(scopes, binding, binding.children(), safe, is_binary=False)
    # Fields count when initialised with a literal (PMD's ASTField.getValue is non-null).
    for binding in (b for b in bindings if b.kind == "field"):
        value = binding.value
        is_string = binding.declared_type.lower() == "string"
        literal = value is not None and kind_of(scopes.source, value) == LITERAL
        if is_string and literal and binding.name is not None:
            safe.add(qualified_name(scopes, binding, binding.name))
    return safe


def _find_safe_literals(
    scopes: SourceScopes, binding: Binding, children: list[Node], safe: set[str], *, is_binary: bool
) -> None:
    source = scopes.source
    nested = first_of_kind(source, children, BINARY)
    if nested is not None:
        _find_safe_literals(scopes, binding, pmd_children(source, nested), safe, is_binary=True)
    literal = first_of_kind(source, children, LITERAL)
    if literal is None or children.index(literal) != 0:
        return
    if not is_binary:
        if binding.kind == "local":
            variable = binding.first_variable(scopes)
            if variable is not None:
                safe.add(qualified_name(scopes, binding, variable))
        return
    safe.update(_enclosing_targets(scopes, literal))


def _enclosing_targets(scopes: SourceScopes, literal: Node) -> list[str]:
    """The variables of the nearest declaration and assignment around a concatenation."""
    source = scopes.source
    names: list[str] = []
    found_declaration = found_assignment = False
    for parent in ancestors(literal):
        if parent.type == "variable_declarator" and not found_declaration:
            found_declaration = True
            if parent.parent is not None and parent.parent.type == "local_variable_declaration":
                value = parent.child_by_field_name("value")
                first = _first_variable_of_declarator(scopes, parent, value)
                if first is not None:
                    names.append(first)
        elif parent.type == "assignment_expression" and not found_assignment:
            found_assignment = True
            for child_name in ("left", "right"):
                child = parent.child_by_field_name(child_name)
                if child is not None and kind_of(source, child) == VARIABLE:
                    names.append(scopes.variable_name(child))
                    break
        elif parent.type in ("class_declaration", "trigger_declaration"):
            break
    return names


def _first_variable_of_declarator(
    scopes: SourceScopes, declarator: Node, value: Node | None
) -> str | None:
    if value is not None and kind_of(scopes.source, value) == VARIABLE:
        return scopes.variable_name(value)
    name = declarator.child_by_field_name("name")
    if name is None:
        return None
    return f"{scopes.defining_type(declarator.start_byte)}:{text(scopes.source, name)}"


def _unsafe_targets(scopes: SourceScopes, node: Node, safe: set[str]) -> Iterator[Node]:
    """PMD's getObjectValue: a variable first in the argument list or in a concatenation."""
    source = scopes.source
    children = call_arguments(node) if node.type == "object_creation_expression" else None
    if children is None:
        children = pmd_children(source, node)
    for position, child in enumerate(children):
        kind = kind_of(source, child)
        if kind == VARIABLE and position == 0 and scopes.variable_name(child) not in safe:
            yield child
    for child in children:
        if kind_of(source, child) == BINARY:
            yield from _unsafe_targets(scopes, child, safe)
