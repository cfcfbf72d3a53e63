"""Sharing and CSRF: classes without a sharing declaration, and DML run when a page loads."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import SOQL, SOSL, kind_of
from sfagent.diagnostics.apex.dataflow_intervals import SortedNodes
from sfagent.diagnostics.apex.dataflow_scopes import MethodScope, SourceScopes, TypeScope, scopes_of
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.findings import Finding, Severity


class ApexSharingViolations(Rule):
    """A class that runs SOQL, SOSL or DML without `with`, `without` or `inherited sharing`."""

    name = "ApexSharingViolations"
    category = "security"
    severity = Severity.HIGH
    why = (
        "Without a sharing keyword the class's record access depends on who calls it; "
        "entry points such as controllers then run without sharing and return or change "
        "records the user cannot see in Salesforce."
    )
    fix = (
        "Declare the sharing model on the class: `public with sharing class ...` (or "
        "`inherited sharing` for services called from elsewhere; `without sharing` only "
        "where bypassing record access is intended and reviewed)."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report each class (once) whose own code queries or changes data without sharing."""
        scopes = scopes_of(context.source)
        reported: set[int] = set()
        for node in _data_access_nodes(scopes):
            index = _innermost_class(scopes, node.start_byte)
            if index is None or index in reported:
                continue
            scope = scopes.types[index]
            outer = scopes.types[scope.parent] if scope.parent is not None else scope
            if outer.is_test or scope.is_system_level or scope.declares_sharing:
                continue
            reported.add(index)
            yield self._finding(context, scope)

    def _finding(self, context: RuleContext, scope: TypeScope) -> Finding:
        where = scope.modifiers if scope.modifiers is not None else scope.node
        return self.report(
            context,
            where,
            f"Class {scope.qualified_name} accesses data but declares no sharing model",
            fix=(
                f"Add a sharing keyword: `public with sharing class {scope.name}` for code that "
                "serves users, `inherited sharing` for services that should follow their "
                "caller, or `without sharing` only where bypassing record access is intended."
            ),
            details={"class": scope.qualified_name},
        )


def _data_access_nodes(scopes: SourceScopes) -> list[Node]:
    source = scopes.source
    nodes = list(source.nodes("dml_expression"))
    nodes.extend(q for q in source.nodes("query_expression") if kind_of(source, q) in (SOQL, SOSL))
    data = source.data
    for calls in scopes.calls_by_name.values():
        for call in calls:
            start = call.start_byte
            if data[start : start + 8].lower() != b"database":
                continue  # cheap filter before building the call's view
            names = scopes.call(call).reference.names
            if len(names) == 1 and names[0].lower() == "database":
                nodes.append(call)
    nodes.sort(key=lambda node: node.start_byte)
    return nodes


def _innermost_class(scopes: SourceScopes, position: int) -> int | None:
    index = scopes.type_index_at(position)
    while index is not None and scopes.types[index].kind != "class":
        index = scopes.types[index].parent
    return index


class ApexCSRF(Rule):
    """DML in a constructor, an `init` method or an initializer block, run on page load."""

    name = "ApexCSRF"
    category = "errorprone"  # PMD 7 files this rule under errorprone
    severity = Severity.CRITICAL
    why = (
        "Cross-site request forgery: Visualforce runs constructors and action-on-load code "
        "when the page is opened, so a link or hidden image on another site can make a "
        "logged-in user change data just by loading the page."
    )
    fix = (
        "Move the DML into an action method the user triggers explicitly (a button or form "
        "submit), which Visualforce protects with its anti-CSRF token."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report constructors, init methods and initializer blocks containing DML."""
        scopes = scopes_of(context.source)
        dml_nodes = context.source.nodes("dml_expression")
        if not dml_nodes:
            return
        dml_index = scopes.sorted_nodes("dml_expression")
        for method in _methods_with_dml(scopes, dml_nodes):
            if not _visited(scopes, method.start) or method.is_test:
                continue
            for reason in _load_time_reasons(scopes, method):
                yield self._method_finding(context, method, reason)
        for block in _initializer_blocks(scopes):
            if _visited(scopes, block.start_byte) and _contains_dml(dml_index, block):
                yield self.report(
                    context,
                    block,
                    "Instance initializer block performs DML, which runs whenever the class "
                    "is constructed (for example when a page loads)",
                )

    def _method_finding(self, context: RuleContext, method: MethodScope, reason: str) -> Finding:
        anchor = _method_anchor(method)
        return self.report(
            context,
            anchor,
            f"{reason} performs DML, which runs as soon as the page or class is loaded",
            details={"method": method.name, "class": method.defining_type},
        )


def _methods_with_dml(scopes: SourceScopes, dml_nodes: list[Node]) -> list[MethodScope]:
    """Each method-like unit that contains at least one DML statement, in order."""
    found: list[MethodScope] = []
    for dml in dml_nodes:
        method = scopes.method_at(dml.start_byte)
        if method is not None and (not found or found[-1] is not method):
            found.append(method)
    return found


def _initializer_blocks(scopes: SourceScopes) -> Iterator[Node]:
    """Instance initializer blocks: `{ ... }` directly in a class body."""
    for scope in scopes.types:
        body = scope.node.child_by_field_name("body") if scope.kind == "class" else None
        if body is not None:
            yield from (child for child in body.named_children if child.type == "block")


def _visited(scopes: SourceScopes, position: int) -> bool:
    """PMD's visitor stops at test and Queueable/Batchable/InstallHandler classes."""
    index = scopes.type_index_at(position)
    while index is not None:
        scope = scopes.types[index]
        if scope.kind == "class" and (scope.is_test or scope.is_system_level):
            return False
        index = scope.parent
    return True


def _contains_dml(dml_index: SortedNodes, node: Node) -> bool:
    return dml_index.first_within(node.start_byte, node.end_byte) is not None


def _load_time_reasons(scopes: SourceScopes, method: MethodScope) -> list[str]:
    reasons = []
    if method.kind == "constructor":
        reasons.append(f"Constructor of {method.defining_type}")
    name = _simple_class_name(scopes, method) if method.kind == "constructor" else method.name
    if method.kind == "static_initializer":
        reasons.append(f"Static initializer of {method.defining_type}")
    elif name.lower() == "init" and method.kind in ("method", "constructor"):
        reasons.append(f"Method {name}() of {method.defining_type}")
    return reasons


def _simple_class_name(scopes: SourceScopes, method: MethodScope) -> str:
    scope = scopes.type_at(method.start)
    return scope.name if scope is not None else ""


def _method_anchor(method: MethodScope) -> Node:
    """Where PMD reports a method: its return type or name, after annotations and modifiers."""
    node = method.node
    for field_name in ("type", "name"):
        child = node.child_by_field_name(field_name)
        if child is not None:
            return child
    return node
