"""Cross-site scripting rules: URL parameters used unescaped, and addError with escaping off."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import (
    BINARY,
    CALL,
    LITERAL,
    VARIABLE,
    call_arguments,
    descendants_of_kind,
    first_of_kind,
    kind_of,
    text,
    unwrap,
)
from sfagent.diagnostics.apex.dataflow_classes import declarators, is_property
from sfagent.diagnostics.apex.dataflow_intervals import VisitItem, item, visitor_order
from sfagent.diagnostics.apex.dataflow_literals import type_text
from sfagent.diagnostics.apex.dataflow_recovery import recovered_trigger_expressions
from sfagent.diagnostics.apex.dataflow_scopes import SourceScopes, outermost_ranges, scopes_of
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.findings import Finding, Severity

URL_PARAMETER = ("ApexPages", "currentPage", "getParameters", "get")
_ESCAPING_CHAINS = (
    ("ESAPI", "encoder", "SFDC_HTMLENCODE"),
    ("ESAPI", "encoder", "SFDC_JSENCODE"),
    ("ESAPI", "encoder", "SFDC_JSINHTMLENCODE"),
    ("ESAPI", "encoder", "SFDC_URLENCODE"),
    ("String", "escapeHtml3"),
    ("String", "escapeHtml4"),
    ("String", "escapeXml"),
    ("String", "escapeEcmaScript"),
    ("Integer", "valueOf"),
    ("Double", "valueOf"),
    ("Boolean", "valueOf"),
    ("ID", "valueOf"),
    ("String", "isEmpty"),
    ("String", "isBlank"),
    ("String", "isNotBlank"),
)
_URL_CONTAINERS = frozenset({"assign", "local", "field", "call", "return", "skipped_class"})


class ApexXSSFromURLParam(Rule):
    """A page URL parameter used (assigned, concatenated, passed on) without escaping."""

    name = "ApexXSSFromURLParam"
    category = "security"
    severity = Severity.CRITICAL
    why = (
        "Reflected cross-site scripting: anyone can craft a link whose parameter carries "
        "script; if the value reaches the page unescaped, it runs in the victim's session."
    )
    fix = (
        "Escape the parameter for where it is rendered (`String.escapeHtml4(value)`, "
        "`String.escapeEcmaScript(value)` or the ESAPI encoders), or convert it to a safe "
        "type such as `Id.valueOf(value)` or `Integer.valueOf(value)` before using it."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report each unescaped use of `ApexPages.currentPage().getParameters().get(...)`."""
        source = context.source
        scopes = scopes_of(source)
        gets = scopes.calls_by_name.get("get", [])
        parameters = [call for call in gets if scopes.is_call_chain(call, URL_PARAMETER)]
        if not parameters:
            return
        for node in _UrlParameterWalk(scopes, outermost_ranges(scopes, parameters)).run():
            yield self._finding(context, node)

    def _finding(self, context: RuleContext, node: Node) -> Finding:
        shown = " ".join(text(context.source, node).split())
        if node.type == "method_invocation":
            return self.report(
                context,
                node,
                f"URL parameter `{shown}` is used here without escaping",
                fix=(
                    f"Wrap it before use: `String.escapeHtml4({shown})` for HTML output, "
                    "`String.escapeEcmaScript(...)` inside JavaScript, or convert it with "
                    "`Id.valueOf(...)` / `Integer.valueOf(...)` when it is an Id or number."
                ),
                details={"expression": shown},
            )
        return self.report(
            context,
            node,
            f"`{shown}` holds a URL parameter and is used here without escaping",
            fix=(
                f"Escape `{shown}` before this use (`{shown} = String.escapeHtml4({shown});`), "
                f"or convert it with `Id.valueOf({shown})` / `Integer.valueOf({shown})` when "
                "it should be an Id or a number."
            ),
            details={"variable": shown},
        )


class _UrlParameterWalk:
    """PMD's ApexXSSFromURLParamRule visitor: tainted variables tracked in source order."""

    def __init__(self, scopes: SourceScopes, ranges: list[tuple[int, int]]) -> None:
        self.scopes = scopes
        self.source = scopes.source
        self.ranges = ranges  # only types that read URL parameters can taint or report
        self.tainted: set[str] = set()
        self.reported: list[Node] = []

    def run(self) -> list[Node]:
        """Visit assignments, declarations, calls and returns; return the reported nodes."""
        for event in visitor_order(self._events(), _URL_CONTAINERS):
            if event.kind == "assign":
                self._visit_binding(_assignment_children(event.node), None, reverse=False)
            elif event.kind in ("local", "field"):
                declared = type_text(self.source, event.extra) if event.kind == "local" else None
                self._visit_binding(_declaration_children(event.node), declared, reverse=True)
            elif event.kind == "call":
                self._escaping_calls(event.node)
                self._inline_calls(event.node, nested=False)
            elif event.kind == "return":
                self._visit_return(event.node)
        return self.reported

    def _events(self) -> list[VisitItem]:
        scopes = self.scopes
        items: list[VisitItem] = []
        for start, end in self.ranges:
            for scope in scopes.types_within(start, end):
                if scope.kind == "class" and (scope.is_test or scope.is_system_level):
                    items.append(item("skipped_class", scope.node))
            for declaration in scopes.within("local_variable_declaration", start, end):
                declared = declaration.child_by_field_name("type")
                items.extend(item("local", d, declared) for d in declarators(declaration))
            for declaration in scopes.within("field_declaration", start, end):
                if not is_property(declaration):
                    items.extend(item("field", d) for d in declarators(declaration))
            for kind, node_type in (
                ("assign", "assignment_expression"),
                ("call", "method_invocation"),
                ("return", "return_statement"),
            ):
                items.extend(item(kind, node) for node in scopes.within(node_type, start, end))
        return items

    def _name(self, node: Node, declared: Node | None) -> str:
        if node is declared:
            defining_type = self.scopes.defining_type(node.start_byte)
            return f"{defining_type}:{text(self.source, node)}"
        return self.scopes.variable_name(node)

    def _visit_binding(
        self, children: tuple[list[Node], Node | None], declared_type: str | None, *, reverse: bool
    ) -> None:
        nodes, declared = children
        is_id = declared_type is not None and declared_type.lower() == "id"
        call = first_of_kind(self.source, nodes, CALL)
        if call is not None:
            if self.scopes.is_call_chain(call, URL_PARAMETER):
                left = self._first_variable(nodes, declared)
                if left is not None and not is_id:
                    self.tainted.add(self._name(left, declared))
            self._escaping_calls(call)
            if not is_id:
                self._inline_calls(call, nested=False)
        variables = [n for n in nodes if n is declared or kind_of(self.source, n) == VARIABLE]
        if len(variables) == 1:
            for node in nodes:
                if node is not declared and kind_of(self.source, node) == BINARY:
                    self._binary(node)
        elif len(variables) == 2:
            right = variables[0] if reverse else variables[1]
            if self._name(right, declared) in self.tainted:
                self.reported.append(right)

    def _first_variable(self, nodes: list[Node], declared: Node | None) -> Node | None:
        for node in nodes:
            if node is declared or kind_of(self.source, node) == VARIABLE:
                return node
        return None

    def _visit_return(self, node: Node) -> None:
        value = next((c for c in node.named_children if not c.type.endswith("comment")), None)
        if value is None:
            return
        value = unwrap(value)
        kind = kind_of(self.source, value)
        if kind == BINARY:
            self._binary(value)
        elif kind == CALL:
            method = self.scopes.method_at(node.start_byte)
            if method is not None and method.return_type.lower() == "string":
                self._inline_calls(value, nested=True)
        elif kind == VARIABLE and self.scopes.variable_name(value) in self.tainted:
            self.reported.append(value)

    def _is_escaping(self, call: Node) -> bool:
        return any(self.scopes.is_call_chain(call, chain) for chain in _ESCAPING_CHAINS)

    def _inline_calls(self, call: Node, *, nested: bool) -> None:
        """A URL parameter read straight into another call or expression is reported."""
        inner = first_of_kind(self.source, call_arguments(call), CALL)
        if inner is not None and not self._is_escaping(call):
            self._inline_calls(inner, nested=True)
        if nested and self.scopes.is_call_chain(call, URL_PARAMETER):
            self.reported.append(call)

    def _escaping_calls(self, call: Node) -> None:
        """A tainted variable passed to a call that does not escape it is reported."""
        arguments = call_arguments(call)
        inner = first_of_kind(self.source, arguments, CALL)
        if inner is not None:
            self._escaping_calls(inner)
        variable = first_of_kind(self.source, arguments, VARIABLE)
        tainted = variable is not None and self.scopes.variable_name(variable) in self.tainted
        if variable is not None and tainted and not self._is_escaping(call):
            self.reported.append(variable)

    def _binary(self, node: Node) -> None:
        children = [unwrap(c) for c in node.named_children if not c.type.endswith("comment")]
        nested = first_of_kind(self.source, children, BINARY)
        if nested is not None:
            self._binary(nested)
        call = first_of_kind(self.source, children, CALL)
        if call is not None:
            self._inline_calls(call, nested=True)
        for child in children:
            is_variable = kind_of(self.source, child) == VARIABLE
            if is_variable and self.scopes.variable_name(child) in self.tainted:
                self.reported.append(child)


def _declaration_children(declarator: Node) -> tuple[list[Node], Node | None]:
    value = declarator.child_by_field_name("value")
    name = declarator.child_by_field_name("name")
    nodes = [unwrap(value)] if value is not None else []
    if name is not None:
        nodes.append(name)
    return nodes, name


def _assignment_children(assignment: Node) -> tuple[list[Node], Node | None]:
    nodes = [
        unwrap(child)
        for field_name in ("left", "right")
        if (child := assignment.child_by_field_name(field_name)) is not None
    ]
    return nodes, None


class ApexXSSFromEscapeFalse(Rule):
    """`addError(message, false)` with a variable in the message: HTML escaping is off."""

    name = "ApexXSSFromEscapeFalse"
    category = "security"
    severity = Severity.HIGH
    why = (
        "Cross-site scripting: with `false` as the second argument Salesforce renders the "
        "error text as HTML, so markup or script inside the variable runs in the user's page."
    )
    fix = (
        "Drop the `false` argument so Salesforce escapes the message, or escape the value "
        "first with `String.escapeHtml4(...)`."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report each variable inside an unescaped addError message."""
        source = context.source
        scopes = scopes_of(source)
        for call in scopes.calls_by_name.get("adderror", []):
            if self._in_checked_class(scopes, call):
                for variable in _unescaped_variables(source, call):
                    yield self._finding(context, source, variable, variable)
        for recovered in recovered_trigger_expressions(source):
            if not self._in_checked_class(scopes, recovered.anchor):
                continue
            for call in recovered.calls():
                if scopes_of(recovered.source).call(call).is_named("addError"):
                    for variable in _unescaped_variables(recovered.source, call):
                        finding = self._finding(
                            context, recovered.source, recovered.anchor, variable
                        )
                        yield replace(finding, span=recovered.span_of(variable))

    @staticmethod
    def _in_checked_class(scopes: SourceScopes, node: Node) -> bool:
        scope = scopes.type_at(node.start_byte)
        return (
            scope is not None
            and scope.kind == "class"
            and not (scope.is_test or scope.is_system_level)
        )

    def _finding(
        self, context: RuleContext, source: ApexSource, anchor: Node, variable: Node
    ) -> Finding:
        shown = " ".join(text(source, variable).split())
        return self.report(
            context,
            anchor,
            f"`{shown}` is shown by addError(..., false), which turns HTML escaping off",
            fix=(
                f"Call `addError(...)` without the `false` argument, or escape the value first: "
                f"`String.escapeHtml4({shown})`."
            ),
            details={"variable": shown},
        )


def _unescaped_variables(source: ApexSource, call: Node) -> list[Node]:
    arguments = call_arguments(call)
    if len(arguments) != 2:
        return []
    escape = arguments[1]
    if kind_of(source, escape) != LITERAL or escape.type != "boolean":
        return []
    if text(source, escape).strip().lower() != "false":
        return []
    return list(descendants_of_kind(source, call, VARIABLE))
