"""ApexSOQLInjection: unescaped values concatenated into `Database.query`/`countQuery` strings.

Like PMD, each class is read in phases: parameters of safe types (Id, Integer, Boolean,
SObjectType...), then field declarations, local declarations and assignments decide which
variables are safe (literals, `String.escapeSingleQuotes`, safe types) and which hold a
`SELECT ...` string built from unsafe parts. Each dynamic query call then reports the unsafe
variables concatenated into its argument, or a query variable built unsafely.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import (
    BINARY,
    CALL,
    LITERAL,
    TERNARY,
    VARIABLE,
    first_of_kind,
    kind_of,
    pmd_children,
    text,
)
from sfagent.diagnostics.apex.dataflow_classes import Binding, class_bindings, qualified_name
from sfagent.diagnostics.apex.dataflow_literals import literal_kind, string_value
from sfagent.diagnostics.apex.dataflow_scopes import SourceScopes, TypeScope, scopes_of
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.findings import Finding, Severity

_SAFE_TYPES = frozenset(
    {
        "double",
        "long",
        "decimal",
        "boolean",
        "id",
        "integer",
        "sobjecttype",
        "schema.sobjecttype",
        "sobjectfield",
        "schema.sobjectfield",
    }
)
_SELECT = re.compile(r"select\s+?.*?", re.IGNORECASE)
_QUERY_METHODS = ("query", "countquery")


class ApexSOQLInjection(Rule):
    """Dynamic SOQL built by concatenating values that are neither escaped nor of a safe type."""

    name = "ApexSOQLInjection"
    category = "security"
    severity = Severity.CRITICAL
    why = (
        "SOQL injection: a value concatenated into a dynamic query can close the string "
        "literal and add its own conditions, so an attacker reads records the query was "
        "never meant to return."
    )
    fix = (
        "Use a bind variable in the query string (`WHERE Name = :name`), or escape the value "
        "with `String.escapeSingleQuotes(value)`; convert numbers and Ids to their own types."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report unsafe values reaching Database.query / Database.countQuery."""
        scopes = scopes_of(context.source)
        by_class: dict[int, list[Node]] = {}
        for name in _QUERY_METHODS:
            for call in scopes.calls_by_name.get(name, []):
                if not scopes.call(call).is_static_call("Database", name):
                    continue
                index = scopes.type_index_at(call.start_byte)
                if index is not None:
                    by_class.setdefault(index, []).append(call)
        for index, calls in sorted(by_class.items()):
            scope = scopes.types[index]
            if scope.kind != "class" or scope.is_test or scope.is_system_level:
                continue
            taint = _ClassTaint(scopes, scope)
            for call in sorted(calls, key=lambda node: node.start_byte):
                yield from self._report_call(context, taint, call)

    def _report_call(
        self, context: RuleContext, taint: _ClassTaint, call: Node
    ) -> Iterator[Finding]:
        source = context.source
        method = f"Database.{taint.scopes.call(call).name}"
        for variable in taint.unsafe_concatenations(call):
            name = text(source, variable)
            yield self.report(
                context,
                variable,
                f"`{name}` is concatenated into the query string passed to {method} "
                "without escaping",
                fix=(
                    f"Bind it instead of concatenating: put `:{_bind_name(name)}` in the query "
                    f"string, or wrap it as `String.escapeSingleQuotes({name})`; if it is a "
                    "number, Id or Boolean, declare it with that type."
                ),
                details={"variable": name, "method": method},
            )
        query_variable = taint.unsafe_query_variable(call)
        if query_variable is not None:
            name = text(source, query_variable)
            yield self.report(
                context,
                query_variable,
                f"Query string `{name}` passed to {method} was built by concatenating "
                "unescaped values",
                fix=(
                    f"Where `{name}` is built, replace each concatenated value with a bind "
                    "variable (`WHERE Name = :name`) or `String.escapeSingleQuotes(value)`."
                ),
                details={"variable": name, "method": method},
            )


def _bind_name(expression: str) -> str:
    return expression if re.fullmatch(r"[A-Za-z_][\w.]*", expression) else "value"


class _ClassTaint:
    """PMD's safeVariables and selectContainingVariables for one class."""

    def __init__(self, scopes: SourceScopes, scope: TypeScope) -> None:
        self.scopes = scopes
        self.source = scopes.source
        self.safe: set[str] = set()
        self.select_built: dict[str, bool] = {}  # True: literal SELECT; False: built unsafely
        self._add_safe_parameters(scope)
        for binding in class_bindings(scopes, scope):
            self._find_sanitized(binding)
            self._find_select(binding)

    def _add_safe_parameters(self, scope: TypeScope) -> None:
        for method in self.scopes.methods_by_type.get(scope.index, []):
            for parameter in method.parameters if method.kind != "trigger" else []:
                declared = parameter.child_by_field_name("type")
                name = parameter.child_by_field_name("name")
                if declared is None or name is None:
                    continue
                if "".join(text(self.source, declared).split()).lower() in _SAFE_TYPES:
                    self.safe.add(f"{scope.qualified_name}:{text(self.source, name)}")

    def _find_sanitized(self, binding: Binding) -> None:
        children = binding.children()
        left = binding.first_variable(self.scopes)
        literal = first_of_kind(self.source, children, LITERAL)
        if literal is not None and left is not None:
            left_name = qualified_name(self.scopes, binding, left)
            kind = literal_kind(self.source, literal)
            if kind in ("integer", "boolean", "double"):
                self.safe.add(left_name)
            elif kind == "string":
                if _SELECT.fullmatch(string_value(self.source, literal)):
                    self.select_built[left_name] = True
                else:
                    self.safe.add(left_name)
        call = first_of_kind(self.source, children, CALL)
        if call is not None and left is not None and self._escapes(call):
            self.safe.add(qualified_name(self.scopes, binding, left))
        safe_type = "".join(binding.declared_type.split()).lower() in _SAFE_TYPES
        if binding.kind == "local" and left is not None and safe_type:
            self.safe.add(qualified_name(self.scopes, binding, left))

    def _escapes(self, call: Node) -> bool:
        return self.scopes.call(call).is_static_call("String", "escapeSingleQuotes")

    def _find_select(self, binding: Binding) -> None:
        left = binding.first_variable(self.scopes)
        concatenation = first_of_kind(self.source, binding.children(), BINARY)
        if left is not None and concatenation is not None:
            self._check_select(qualified_name(self.scopes, binding, left), concatenation)

    def _check_select(self, variable: str, node: Node) -> None:
        """PMD's recursivelyCheckForSelect over a `+` chain (innermost pair first)."""
        children = pmd_children(self.source, node)
        nested = first_of_kind(self.source, children, BINARY)
        if nested is not None:
            self._check_select(variable, nested)
        concatenated = first_of_kind(self.source, children, VARIABLE)
        is_safe = concatenated is not None and self.scopes.variable_name(concatenated) in self.safe
        call = first_of_kind(self.source, children, CALL)
        if call is not None and self._escapes(call):
            is_safe = True
        # Literals joined to literals cannot carry input (PMD #2955).
        operands = [child for child in children if kind_of(self.source, child) != BINARY]
        if operands and all(kind_of(self.source, child) == LITERAL for child in operands):
            is_safe = True
        literal = first_of_kind(self.source, children, LITERAL)
        if literal is None:
            if not is_safe:
                self.select_built[variable] = False
            return
        if literal_kind(self.source, literal) != "string":
            return
        if _SELECT.fullmatch(string_value(self.source, literal)):
            if is_safe:
                self.safe.add(variable)
            else:
                self.select_built[variable] = False

    def unsafe_concatenations(self, call: Node) -> Iterator[Node]:
        """Variables concatenated straight into the query argument (PMD's reportStrings)."""
        condition_variables = self._ternary_condition_variables(call)
        for argument in pmd_children(self.source, call):
            if kind_of(self.source, argument) != BINARY:
                continue
            for variable, enclosing_call in self._variables_with_calls(argument, call):
                name = self.scopes.variable_name(variable)
                if self.select_built.get(name) is True:
                    continue
                if _key(variable) in condition_variables or name in self.safe:
                    continue
                view = self.scopes.call(enclosing_call)
                if view.is_static_call("String", "escapeSingleQuotes"):
                    continue
                if view.is_static_call("String", "join"):
                    continue
                yield variable

    def unsafe_query_variable(self, call: Node) -> Node | None:
        """The query variable itself, when it was built unsafely (PMD's reportVariables)."""
        variable = first_of_kind(self.source, pmd_children(self.source, call), VARIABLE)
        if variable is None:
            return None
        if self.select_built.get(self.scopes.variable_name(variable)) is False:
            return variable
        return None

    def _variables_with_calls(self, root: Node, call: Node) -> Iterator[tuple[Node, Node]]:
        """Variable expressions under `root`, each with its nearest enclosing call."""
        stack = [(root, call)]
        while stack:
            node, enclosing = stack.pop()
            kind = kind_of(self.source, node)
            if kind == VARIABLE:
                yield node, enclosing
            inner = node if kind == CALL else enclosing
            for child in reversed(pmd_children(self.source, node)):
                stack.append((child, inner))

    def _ternary_condition_variables(self, call: Node) -> set[tuple[int, int]]:
        found: set[tuple[int, int]] = set()
        stack = list(pmd_children(self.source, call))
        while stack:
            node = stack.pop()
            children = pmd_children(self.source, node)
            if kind_of(self.source, node) == TERNARY and children:
                found.update(_key(v) for v in _variables(self.scopes, children[0]))
            stack.extend(children)
        return found


def _variables(scopes: SourceScopes, node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if kind_of(scopes.source, current) == VARIABLE:
            yield current
        stack.extend(pmd_children(scopes.source, current))


def _key(node: Node) -> tuple[int, int]:
    return (node.start_byte, node.end_byte)
