"""Callout rules: plain-HTTP endpoints and hard-coded Authorization headers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import (
    BINARY,
    LITERAL,
    VARIABLE,
    call_arguments,
    first_of_kind,
    kind_of,
    pmd_children,
    text,
    unwrap,
)
from sfagent.diagnostics.apex.dataflow_classes import (
    class_bindings,
    declarators,
    is_property,
    qualified_name,
)
from sfagent.diagnostics.apex.dataflow_intervals import VisitItem, item, visitor_order
from sfagent.diagnostics.apex.dataflow_literals import literal_kind, string_value
from sfagent.diagnostics.apex.dataflow_scopes import (
    SourceScopes,
    TypeScope,
    outermost_ranges,
    scopes_of,
)
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.findings import Finding, Severity

_HTTP = re.compile(r"http://.+?", re.IGNORECASE)
_CREDENTIAL_MERGE_FIELD = "{!$Credential."
_ENDPOINT_CONTAINERS = frozenset({"assign", "local", "field", "call"})


class ApexInsecureEndpoint(Rule):
    """`setEndpoint` called with an `http://` URL (literal or a variable set from one)."""

    name = "ApexInsecureEndpoint"
    category = "security"
    severity = Severity.HIGH
    why = (
        "Plain HTTP sends the request and response unencrypted: anyone on the network path "
        "can read or change the data and any credentials in the callout."
    )
    fix = (
        "Use an `https://` endpoint, ideally through a Named Credential "
        "(`req.setEndpoint('callout:My_Named_Credential/path')`)."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report http:// endpoints reaching HttpRequest.setEndpoint."""
        scopes = scopes_of(context.source)
        endpoints = scopes.calls_by_name.get("setendpoint", [])
        if not endpoints:
            return
        for node in _EndpointWalk(scopes, outermost_ranges(scopes, endpoints)).run():
            shown = " ".join(text(context.source, node).split())
            yield self.report(
                context,
                node,
                f"Callout endpoint {shown} uses plain http://",
                fix=(
                    "Switch the URL to https://, and better, point the request at a Named "
                    "Credential (`callout:<NamedCredential>/path`) so the host and its "
                    "authentication are configured securely outside the code."
                ),
                details={"endpoint": shown},
            )


class _EndpointWalk:
    """PMD's ApexInsecureEndpointRule visitor, in source order."""

    def __init__(self, scopes: SourceScopes, ranges: list[tuple[int, int]]) -> None:
        self.scopes = scopes
        self.source = scopes.source
        self.ranges = ranges  # only types that call setEndpoint can report
        self.http_variables: set[str] = set()
        self.reported: list[Node] = []

    def run(self) -> list[Node]:
        """Track variables holding http:// URLs and report their use in setEndpoint."""
        for event in visitor_order(self._events(), _ENDPOINT_CONTAINERS):
            if event.kind == "call":
                self._visit_call(event.node)
            else:
                self._visit_binding(event)
        return self.reported

    def _events(self) -> list[VisitItem]:
        scopes = self.scopes
        items: list[VisitItem] = []
        for start, end in self.ranges:
            for declaration in scopes.within("local_variable_declaration", start, end):
                items.extend(item("local", d) for d in declarators(declaration))
            for declaration in scopes.within("field_declaration", start, end):
                if not is_property(declaration):
                    items.extend(item("field", d) for d in declarators(declaration))
            for kind, node_type in (
                ("assign", "assignment_expression"),
                ("call", "method_invocation"),
            ):
                items.extend(item(kind, node) for node in scopes.within(node_type, start, end))
        return items

    def _visit_binding(self, event: VisitItem) -> None:
        node = event.node
        if event.kind == "assign":
            children = [
                unwrap(child)
                for name in ("left", "right")
                if (child := node.child_by_field_name(name)) is not None
            ]
            declared = None
        else:
            value = node.child_by_field_name("value")
            declared = node.child_by_field_name("name")
            children = [unwrap(value)] if value is not None else []
            if declared is not None:
                children.append(declared)
        variable = next(
            (c for c in children if c is declared or kind_of(self.source, c) == VARIABLE), None
        )
        if variable is None:
            return
        name = (
            f"{self.scopes.defining_type(node.start_byte)}:{text(self.source, variable)}"
            if variable is declared
            else self.scopes.variable_name(variable)
        )
        concatenation = first_of_kind(self.source, children, BINARY)
        sources = [children]
        if concatenation is not None:
            sources.append(pmd_children(self.source, concatenation))
        for group in sources:
            literal = first_of_kind(self.source, group, LITERAL)
            if literal is not None and self._is_http(literal):
                self.http_variables.add(name)

    def _is_http(self, literal: Node) -> bool:
        if literal_kind(self.source, literal) != "string":
            return False
        return _HTTP.fullmatch(string_value(self.source, literal)) is not None

    def _visit_call(self, node: Node) -> None:
        if not self.scopes.call(node).is_named("setEndpoint"):
            return
        arguments = call_arguments(node)
        concatenation = first_of_kind(self.source, arguments, BINARY)
        if concatenation is not None:
            self._check(pmd_children(self.source, concatenation))
        self._check(arguments)

    def _check(self, children: list[Node]) -> None:
        literal = first_of_kind(self.source, children, LITERAL)
        if literal is not None and self._is_http(literal):
            self.reported.append(literal)
        variable = first_of_kind(self.source, children, VARIABLE)
        if variable is not None and self.scopes.variable_name(variable) in self.http_variables:
            self.reported.append(variable)


class ApexSuggestUsingNamedCred(Rule):
    """An `Authorization` header set in code from a value that is not a Named Credential."""

    name = "ApexSuggestUsingNamedCred"
    category = "security"
    severity = Severity.HIGH
    why = (
        "A credential built into the code is visible to anyone who can read the class or its "
        "debug logs, is copied into every sandbox, and cannot be rotated without a deployment."
    )
    fix = (
        "Store the credential in a Named Credential and call `callout:<Name>/path`; "
        "Salesforce then adds the Authorization header itself. If you must set the header, "
        "use a merge field such as `{!$Credential.Password}`."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report setHeader('Authorization', value) calls whose value is not a merge field."""
        scopes = scopes_of(context.source)
        calls = scopes.calls_by_name.get("setheader", [])
        by_class: dict[int, list[Node]] = {}
        for call in calls:
            index = scopes.type_index_at(call.start_byte)
            if index is not None:
                by_class.setdefault(index, []).append(call)
        for index, class_calls in sorted(by_class.items()):
            scope = scopes.types[index]
            if scope.kind != "class" or scope.is_test:
                continue
            headers = _HeaderValues(scopes, scope)
            for call in class_calls:
                key = headers.hard_coded_authorization(call)
                if key is not None:
                    yield self._finding(context, key)

    def _finding(self, context: RuleContext, key: Node) -> Finding:
        shown = " ".join(text(context.source, key).split())
        return self.report(
            context,
            key,
            f"Authorization header ({shown}) is set from a value in the code instead of a "
            "Named Credential",
            details={"header": shown},
        )


class _HeaderValues:
    """Which variables of a class hold 'Authorization' or a `{!$Credential...}` merge field."""

    def __init__(self, scopes: SourceScopes, scope: TypeScope) -> None:
        self.scopes = scopes
        self.source = scopes.source
        self.authorization: set[str] = set()
        self.credential: set[str] = set()
        for binding in class_bindings(scopes, scope):
            if binding.kind == "assign":
                continue
            literal = binding.value
            if literal is None or kind_of(self.source, literal) != LITERAL:
                continue
            if literal_kind(self.source, literal) != "string":
                continue
            value = string_value(self.source, literal)
            if binding.kind == "field" and binding.declared_type != "String":
                continue
            variable = binding.first_variable(scopes)
            if variable is None:
                continue
            name = qualified_name(scopes, binding, variable)
            if value.lower() == "authorization":
                self.authorization.add(name)
            if _CREDENTIAL_MERGE_FIELD in value:
                self.credential.add(name)

    def hard_coded_authorization(self, call: Node) -> Node | None:
        """The key argument when `call` sets Authorization from a non-credential value."""
        arguments = call_arguments(call)
        if len(arguments) < 2:
            return None
        key, value = arguments[0], arguments[1]
        if not self._is_authorization(key) or self._is_credential(value):
            return None
        return key

    def _is_authorization(self, node: Node) -> bool:
        kind = kind_of(self.source, node)
        if kind == LITERAL:
            return (
                literal_kind(self.source, node) == "string"
                and string_value(self.source, node).lower() == "authorization"
            )
        if kind == VARIABLE:
            return self.scopes.variable_name(node) in self.authorization
        if kind == BINARY:
            children = pmd_children(self.source, node)
            return bool(children) and self._is_authorization(children[0])
        return False

    def _is_credential(self, node: Node) -> bool:
        kind = kind_of(self.source, node)
        if kind == LITERAL:
            return literal_kind(
                self.source, node
            ) == "string" and _CREDENTIAL_MERGE_FIELD in string_value(self.source, node)
        if kind == VARIABLE:
            return self.scopes.variable_name(node) in self.credential
        if kind == BINARY:
            return any(self._is_credential(child) for child in pmd_children(self.source, node))
        return False
