"""ApexCRUDViolation: queries and DML that skip the user's object permissions, as PMD finds them.

PMD walks the class in document order, remembering variable types and the permission checks it
has seen, and reports a query or DML operation whose object type has no matching check (and no
`WITH USER_MODE` / `WITH SECURITY_ENFORCED` / `as user` / `AccessLevel` argument). The walk
does not look inside method-call arguments, declarations, assignments, returns, DML statements
or properties, so checks and operations there are invisible to it; we reproduce that.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import (
    NEW_KEY_VALUE,
    NEW_LIST_INIT,
    NEW_LIST_LITERAL,
    NEW_OBJECT,
    SOQL,
    VARIABLE,
    first_of_kind,
    kind_of,
    pmd_children,
    text,
    unwrap,
    variable_view,
)
from sfagent.diagnostics.apex.dataflow_classes import declarators, dml_type
from sfagent.diagnostics.apex.dataflow_intervals import (
    NestedRanges,
    SortedNodes,
    VisitItem,
    visitor_order,
)
from sfagent.diagnostics.apex.dataflow_literals import type_text
from sfagent.diagnostics.apex.dataflow_scopes import (
    MethodScope,
    SourceScopes,
    scopes_of,
)
from sfagent.diagnostics.apex.rules.base import RuleContext
from sfagent.diagnostics.apex.rules.security_crud_checks import (
    ANY,
    CREATE,
    DELETE,
    MERGE,
    UNDELETE,
    UPDATE,
    AuthPattern,
    CheckState,
    FactFinder,
    auth_patterns,
)
from sfagent.diagnostics.apex.rules.security_crud_events import crud_events
from sfagent.diagnostics.apex.rules.security_crud_prior import PriorCalls
from sfagent.diagnostics.apex.rules.security_crud_queries import (
    has_access_clause,
    queried_objects,
    query_text,
    simple_type,
)
from sfagent.diagnostics.apex.source import ApexSource

_DML_OPERATIONS = {
    "insert": (CREATE,),
    "update": (UPDATE,),
    "delete": (DELETE,),
    "undelete": (UNDELETE,),
    "upsert": (CREATE, UPDATE),
    "merge": (MERGE,),
}
DATABASE_OPERATIONS = {
    **_DML_OPERATIONS,
    "insertasync": (CREATE,),
    "insertimmediate": (CREATE,),
    "updateasync": (UPDATE,),
    "updateimmediate": (UPDATE,),
    "deleteasync": (DELETE,),
    "deleteimmediate": (DELETE,),
}
_CONTAINERS = frozenset(
    {"call", "dml", "local", "field", "assign", "return", "property", "skipped_class"}
)


@dataclass(frozen=True, slots=True)
class CrudViolation:
    """One operation PMD reports: where, which permission, on what object."""

    node: Node
    operation: str  # ANY for reads, else isCreateable / isUpdateable / ...
    object_type: str
    statement: str  # "query", "insert", "Database.update", ...
    target: str  # variable or expression the DML writes, "" for queries


def crud_violations(context: RuleContext) -> list[CrudViolation]:
    """Every ApexCRUDViolation PMD would report, in document order of discovery."""
    properties = dict(context.properties)
    return _CrudWalk(context.source, auth_patterns(properties)).run()


class _CrudWalk:
    """PMD's visitor over the class: declarations, checks and operations in source order."""

    def __init__(self, source: ApexSource, patterns: list[AuthPattern]) -> None:
        self.source = source
        self.scopes: SourceScopes = scopes_of(source)
        self.facts = FactFinder(self.scopes, patterns)
        self.prior = PriorCalls(self.scopes, self.facts)
        self.state = CheckState()
        self.declared_types: dict[str, Node] = {}  # PMD's varToTypeMapping, by declared type node
        self.violations: list[CrudViolation] = []
        self.loops = NestedRanges(source.nodes("enhanced_for_statement"))
        queries = [q for q in source.nodes("query_expression") if kind_of(source, q) == SOQL]
        self.queries = SortedNodes(queries)
        self._dml_by_type: dict[str, list[Node]] = {}
        for dml in source.nodes("dml_expression"):
            self._dml_by_type.setdefault(dml_type(source, dml), []).append(dml)
        self.dml_sorted = {key: SortedNodes(nodes) for key, nodes in self._dml_by_type.items()}

    def run(self) -> list[CrudViolation]:
        """Walk the events PMD's visitor would reach and collect violations."""
        if not self._has_operations():
            return []
        for event in visitor_order(self._events(), _CONTAINERS):
            self._handle(event)
        return self.violations

    def _has_operations(self) -> bool:
        if self._dml_by_type or self.queries.nodes:
            return True
        calls = self.scopes.calls_by_name
        return any(name in calls for name in DATABASE_OPERATIONS)

    def _events(self) -> list[VisitItem]:
        """Visit items inside the top-level types that query or change data."""
        operations = [node for nodes in self._dml_by_type.values() for node in nodes]
        operations.extend(self.queries.nodes)
        calls = self.scopes.calls_by_name
        operations.extend(call for name in DATABASE_OPERATIONS for call in calls.get(name, []))
        return crud_events(self.scopes, operations)

    def _handle(self, event: VisitItem) -> None:
        kind, node = event.kind, event.node
        if kind == "class":
            self._visit_class(node)
        elif kind in ("param", "local", "field", "property"):
            self._visit_declaration(kind, node, event.extra)
        elif kind == "foreach":
            self._visit_foreach(node)
        elif kind == "assign":
            self._visit_assign(node)
        elif kind == "return":
            self._visit_return(node)
        elif kind == "call":
            self._visit_call(node)
        elif kind == "dml":
            self._visit_dml(node)

    def _visit_class(self, node: Node) -> None:
        scope = self.scopes.type_at(node.start_byte)
        if scope is not None:
            members = self.scopes.methods_by_type.get(scope.index, [])
            self.prior.register_class(scope.qualified_name, members)

    def _visit_declaration(self, kind: str, node: Node, type_node: Node | None) -> None:
        if kind == "property":
            for declarator in declarators(node):
                self._map_variable(declarator, type_node)
            return
        self._map_variable(node, type_node)
        value = _value(node) if kind != "param" else None
        if value is None or kind_of(self.source, value) != SOQL:
            return
        declared = simple_type(type_text(self.source, type_node))
        if kind == "local":
            self._check_query(value, declared=declared)
        else:
            self._check_query(value, field_type=declared)

    def _visit_foreach(self, node: Node) -> None:
        iterable = node.child_by_field_name("value")
        if iterable is not None and kind_of(self.source, unwrap(iterable)) == SOQL:
            self._check_query(unwrap(iterable))
        self._map_variable(node, node.child_by_field_name("type"))

    def _visit_assign(self, node: Node) -> None:
        right = node.child_by_field_name("right")
        if right is None or kind_of(self.source, unwrap(right)) != SOQL:
            return
        left = node.child_by_field_name("left")
        assigned = ""
        if left is not None and kind_of(self.source, unwrap(left)) == VARIABLE:
            view = variable_view(self.source, unwrap(left))
            assigned = view.qualified(self.scopes.defining_type(node.start_byte))
        self._check_query(unwrap(right), assigned=assigned)

    def _visit_return(self, node: Node) -> None:
        value = next((c for c in node.named_children if c.type not in _COMMENTS), None)
        if value is not None and kind_of(self.source, unwrap(value)) == SOQL:
            self._check_query(unwrap(value), returned=True)

    def _visit_call(self, node: Node) -> None:
        if not self._may_be_database_call(node):
            self.state.apply(self.facts.facts(node))
            return
        view = self.scopes.call(node)
        operations = DATABASE_OPERATIONS.get(view.name.lower())
        names = view.reference.names
        if len(names) == 1 and names[0].lower() == "database":
            if operations and not self._has_access_level(view.arguments):
                statement = f"Database.{view.name}"
                for operation in operations:
                    self._check_dml(node, operation, view.arguments, statement, self.calls_index)
            return
        self.state.apply(self.facts.facts(node))

    def _may_be_database_call(self, node: Node) -> bool:
        start = node.start_byte
        return self.source.data[start : start + 8].lower() == b"database"

    @property
    def calls_index(self) -> SortedNodes:
        """Method calls in document order (a Database call's own kind for PMD's walk)."""
        return self.prior.calls

    def _visit_dml(self, node: Node) -> None:
        if any(child.type == "dml_security_mode" for child in node.named_children):
            return  # `insert as user` / `as system`: the access mode is explicit
        statement = dml_type(self.source, node)
        children = pmd_children(self.source, node)
        for operation in _DML_OPERATIONS.get(statement, ()):
            self._check_dml(node, operation, children, statement, self.dml_sorted[statement])

    def _has_access_level(self, arguments: list[Node]) -> bool:
        for argument in arguments:
            if kind_of(self.source, argument) != VARIABLE or argument.type == "identifier":
                continue
            names = [n.lower() for n in variable_view(self.source, argument).reference.names]
            if names in (["accesslevel"], ["system", "accesslevel"]):
                return True
        return False

    def _map_variable(self, node: Node, type_node: Node | None) -> None:
        name = node.child_by_field_name("name")
        if name is None or type_node is None:
            return
        defining_type = self.scopes.defining_type(node.start_byte)
        self.declared_types[f"{defining_type}:{text(self.source, name)}"] = type_node

    def _variable_type(self, key: str) -> str | None:
        """PMD's varToTypeMapping lookup (types are rendered only when looked up)."""
        type_node = self.declared_types.get(key)
        if type_node is None:
            return None
        return simple_type(type_text(self.source, type_node))

    def _credit_earlier_checks(self, node: Node, same_kind: SortedNodes) -> None:
        for call in self.prior.credited_calls(node, same_kind):
            facts = self.facts.facts(call)
            if facts.described or facts.esapi or facts.authorized:
                self.state.apply(facts)

    def _in_test_code(self, node: Node) -> bool:
        scope = self.scopes.type_at(node.start_byte)
        while scope is not None and scope.kind != "class":
            scope = self.scopes.types[scope.parent] if scope.parent is not None else None
        if scope is not None and scope.is_test:
            return True
        method = self.scopes.method_at(node.start_byte)
        return method is not None and method.is_test

    def _check_dml(
        self,
        node: Node,
        operation: str,
        children: list[Node],
        statement: str,
        same_kind: SortedNodes,
    ) -> None:
        self._credit_earlier_checks(node, same_kind)
        if self._in_test_code(node):
            return
        operation_site = _Site(node, operation, statement, _target(self.source, children))
        self._check_new_objects(operation_site, node, children)
        variable = first_of_kind(self.source, children, VARIABLE)
        if variable is not None:
            defining_type = self.scopes.defining_type(node.start_byte)
            key = variable_view(self.source, variable).qualified(defining_type)
            mapped = self._variable_type(key)
            if mapped is not None:
                self._validate(operation_site, node, f"{defining_type}:{mapped}", mapped)
        for collection_kind in (NEW_LIST_LITERAL, NEW_LIST_INIT):
            collection = first_of_kind(self.source, children, collection_kind)
            if collection is not None:
                inline = pmd_children(self.source, collection)
                self._check_new_objects(operation_site, collection, inline)

    def _check_new_objects(self, site: _Site, node: Node, children: list[Node]) -> None:
        defining_type = self.scopes.defining_type(node.start_byte)
        for object_kind in (NEW_KEY_VALUE, NEW_OBJECT):
            created = first_of_kind(self.source, children, object_kind)
            if created is not None:
                created_type = type_text(self.source, created.child_by_field_name("type"))
                self._validate(site, node, f"{defining_type}:{created_type}", created_type)

    def _validate(
        self, site: _Site, node: Node, key: str, object_type: str, *, exempt: bool = False
    ) -> bool:
        """Report `node` unless the operation on `key` is covered (validateCRUDCheckPresent)."""
        if not self.state.is_missing(key, site.operation, user_mode_query=exempt):
            return False
        self.violations.append(
            CrudViolation(node, site.operation, object_type, site.statement, site.target)
        )
        return True

    def _check_query(
        self,
        query: Node,
        *,
        declared: str | None = None,
        assigned: str = "",
        returned: bool = False,
        field_type: str | None = None,
    ) -> None:
        """PMD's checkForAccessibility: a query needs some check on each object it reads."""
        self._credit_earlier_checks(query, self.queries)
        if self._in_test_code(query):
            return
        defining_type = self.scopes.defining_type(query.start_byte)
        raw_query = query_text(self.source, query)
        queried = queried_objects(raw_query)
        exempt = has_access_clause(raw_query)
        site = _Site(query, ANY, "query", "")

        def validate(fallback_key: str, fallback_type: str) -> bool:
            if not queried:
                return self._validate(site, query, fallback_key, fallback_type, exempt=exempt)
            found = False
            for name in queried:
                found |= self._validate(site, query, f"{defining_type}:{name}", name, exempt=exempt)
            return found

        if declared is not None and validate(f"{defining_type}:{declared}", declared):
            return
        mapped = self._variable_type(assigned) if assigned else None
        if mapped is not None and validate(mapped, mapped):
            return
        if returned:
            returned_type = _return_type(self.scopes.method_at(query.start_byte))
            if validate(f"{defining_type}:{returned_type}", returned_type):
                return
        if queried and self.loops.contains(query) and validate("", ""):
            return
        if field_type is not None:
            validate(f"{defining_type}:{field_type}", field_type)


@dataclass(frozen=True, slots=True)
class _Site:
    """The operation being checked: its node, permission, statement and target text."""

    node: Node
    operation: str
    statement: str
    target: str


def _target(source: ApexSource, children: list[Node]) -> str:
    if not children:
        return ""
    first = text(source, children[0])
    return " ".join(first.split())


_COMMENTS = frozenset({"line_comment", "block_comment"})


def _value(declarator: Node) -> Node | None:
    value = declarator.child_by_field_name("value")
    return unwrap(value) if value is not None else None


def _return_type(method: MethodScope | None) -> str:
    return method.return_type if method is not None else "null"
