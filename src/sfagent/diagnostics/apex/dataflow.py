"""Apex expressions seen the way PMD's Apex AST shapes them, over tree-sitter nodes.

PMD's security rules reason about `VariableExpression`, `MethodCallExpression` and their
`ReferenceExpression` (the dotted receiver flattened into a list of names). To behave like
those rules we classify tree-sitter expression nodes into the same kinds, flatten receivers
the same way and list an expression's children in PMD's order. Parentheses do not exist in
PMD's tree, so they are unwrapped everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from sfagent.diagnostics.apex.source import ApexSource

VARIABLE = "VariableExpression"
CALL = "MethodCallExpression"
LITERAL = "LiteralExpression"
BINARY = "BinaryExpression"
BOOLEAN = "BooleanExpression"
NEW_KEY_VALUE = "NewKeyValueObjectExpression"
NEW_OBJECT = "NewObjectExpression"
NEW_LIST_INIT = "NewListInitExpression"
NEW_LIST_LITERAL = "NewListLiteralExpression"
SOQL = "SoqlExpression"
SOSL = "SoslExpression"
TERNARY = "TernaryExpression"
ASSIGNMENT = "AssignmentExpression"
OTHER = "Other"

_ARITHMETIC_OPERATORS = frozenset({"+", "-", "*", "/", "<<", ">>", ">>>", "&", "|", "^"})
_LITERAL_TYPES = frozenset(
    {"string_literal", "int", "decimal_floating_point_literal", "boolean", "null_literal"}
)
_SIMPLE_KINDS = {
    "method_invocation": CALL,
    "ternary_expression": TERNARY,
    "assignment_expression": ASSIGNMENT,
    "cast_expression": "CastExpression",
    "array_access": "ArrayLoadExpression",
    "unary_expression": "PrefixExpression",
    "update_expression": "PostfixExpression",
    "instanceof_expression": "InstanceOfExpression",
    "this": "ThisVariableExpression",
    "super": "SuperVariableExpression",
    "dml_expression": "DmlStatement",
}


def unwrap(node: Node) -> Node:
    """The expression inside any parentheses (PMD's tree has no parenthesis nodes)."""
    while node.type == "parenthesized_expression" and node.named_child_count:
        inner = _first_expression(node)
        if inner is None:
            return node
        node = inner
    return node


def _first_expression(node: Node) -> Node | None:
    for child in node.named_children:
        if not _is_comment(child):
            return child
    return None


def _is_comment(node: Node) -> bool:
    return node.type in ("line_comment", "block_comment")


def text(source: ApexSource, node: Node) -> str:
    """Source text of a node (bytes decoded; cheap for identifiers)."""
    return source.data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def kind_of(source: ApexSource, node: Node) -> str:
    """PMD's AST class name for an (unwrapped) expression node."""
    node_type = node.type
    if node_type == "identifier":
        return VARIABLE
    if node_type == "field_access":
        return _field_access_kind(source, node)
    if node_type in _LITERAL_TYPES:
        return LITERAL
    if node_type == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is not None and text(source, operator) in _ARITHMETIC_OPERATORS:
            return BINARY
        return BOOLEAN
    if node_type == "object_creation_expression":
        return _object_creation_kind(source, node)
    if node_type == "array_creation_expression":
        return _array_creation_kind(source, node)
    if node_type == "query_expression":
        return SOQL if _has_child_type(node, "soql_query_body") else SOSL
    return _SIMPLE_KINDS.get(node_type, OTHER)


def _has_child_type(node: Node, node_type: str) -> bool:
    return any(child.type == node_type for child in node.named_children)


def _field_access_kind(source: ApexSource, node: Node) -> str:
    field = node.child_by_field_name("field")
    if field is not None and text(source, field).lower() == "class":
        return "ClassRefExpression"
    base = node.child_by_field_name("object")
    if (
        base is not None
        and base.type == "identifier"
        and not _is_safe_access(node)
        and text(source, base).lower() == "trigger"
    ):
        return "TriggerVariableExpression"
    return VARIABLE


def _is_safe_access(node: Node) -> bool:
    return any(child.type == "safe_navigation_operator" for child in node.children)


def _constructed_type_name(source: ApexSource, node: Node) -> str:
    type_node = node.child_by_field_name("type")
    if type_node is None:
        return ""
    if type_node.type == "generic_type" and type_node.named_child_count:
        type_node = type_node.named_children[0]
    return text(source, type_node).split(".")[0].strip().lower()


def _object_creation_kind(source: ApexSource, node: Node) -> str:
    collection = _constructed_type_name(source, node)
    if collection == "list":
        return NEW_LIST_INIT
    if collection == "map":
        return "NewMapInitExpression"
    if collection == "set":
        return "NewSetInitExpression"
    arguments = call_arguments(node)
    if arguments and arguments[0].type == "assignment_expression":
        return NEW_KEY_VALUE
    return NEW_OBJECT


def _array_creation_kind(source: ApexSource, node: Node) -> str:
    if node.child_by_field_name("value") is None:
        return NEW_LIST_INIT  # sized array: new Account[5]
    collection = _constructed_type_name(source, node)
    if collection == "map":
        return "NewMapLiteralExpression"
    if collection == "set":
        return "NewSetLiteralExpression"
    return NEW_LIST_LITERAL


def call_arguments(node: Node) -> list[Node]:
    """Unwrapped argument expressions of a call or constructor, in order."""
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        return []
    return [unwrap(child) for child in arguments.named_children if not _is_comment(child)]


@dataclass(frozen=True, slots=True)
class Reference:
    """A receiver flattened like PMD's ReferenceExpression: dotted names plus what is left."""

    names: tuple[str, ...]
    remainder: Node | None
    present: bool  # False for a call without receiver (PMD's EmptyReferenceExpression)


_NO_REFERENCE = Reference(names=(), remainder=None, present=False)


def flatten(source: ApexSource, node: Node | None) -> Reference:
    """Flatten `a.b.c` into names; stop at a call, `this`, an index or a safe access."""
    if node is None:
        return _NO_REFERENCE
    names: list[str] = []
    current = unwrap(node)
    while True:
        if current.type == "identifier":
            names.append(text(source, current))
            return Reference(names=tuple(reversed(names)), remainder=None, present=True)
        if current.type != "field_access" or _is_safe_access(current):
            if current.type == "field_access":
                field = current.child_by_field_name("field")
                if field is not None:
                    names.append(text(source, field))
                base = current.child_by_field_name("object")
                remainder = unwrap(base) if base is not None else None
                return Reference(names=tuple(reversed(names)), remainder=remainder, present=True)
            return Reference(names=tuple(reversed(names)), remainder=current, present=True)
        field = current.child_by_field_name("field")
        base = current.child_by_field_name("object")
        if field is None or base is None:
            return Reference(names=tuple(reversed(names)), remainder=current, present=True)
        names.append(text(source, field))
        current = unwrap(base)


@dataclass(frozen=True, slots=True)
class CallView:
    """A method call as PMD sees it: name, flattened receiver and argument expressions."""

    node: Node
    name: str
    reference: Reference
    arguments: list[Node]

    @property
    def full_name(self) -> str:
        """Receiver names and method name joined by dots (PMD's getFullMethodName)."""
        return "".join(name + "." for name in self.reference.names) + self.name

    def is_named(self, method: str) -> bool:
        """Method name equals `method`, ignoring case."""
        return self.name.lower() == method.lower()

    def is_static_call(self, receiver: str, method: str) -> bool:
        """`Receiver.method(...)` with exactly one receiver name (PMD's Helper.isMethodName)."""
        names = self.reference.names
        return len(names) == 1 and names[0].lower() == receiver.lower() and self.is_named(method)

    def nested_call(self) -> Node | None:
        """The call the receiver ends in, as in `a.b().c()` for `c` (PMD: ref's first call)."""
        remainder = self.reference.remainder
        if remainder is not None and remainder.type == "method_invocation":
            return remainder
        return None


def call_view(source: ApexSource, node: Node) -> CallView:
    """Describe a `method_invocation` node."""
    name_node = node.child_by_field_name("name")
    name = text(source, name_node) if name_node is not None else ""
    receiver = node.child_by_field_name("object")
    reference = flatten(source, receiver) if receiver is not None else _NO_REFERENCE
    return CallView(node=node, name=name, reference=reference, arguments=call_arguments(node))


@dataclass(frozen=True, slots=True)
class VariableView:
    """A variable reference as PMD's VariableExpression: last name plus flattened receiver."""

    node: Node
    image: str
    reference: Reference

    def qualified(self, defining_type: str) -> str:
        """PMD's Helper.getFQVariableName: `Type:name` or `Type:receiver.name`."""
        names = self.reference.names
        prefix = names[0] + "." if len(names) == 1 else ""
        return f"{defining_type}:{prefix}{self.image}"


def variable_view(source: ApexSource, node: Node) -> VariableView:
    """Describe an identifier or field access used as a variable."""
    if node.type == "identifier":
        return VariableView(node=node, image=text(source, node), reference=_NO_REFERENCE)
    field = node.child_by_field_name("field")
    image = text(source, field) if field is not None else text(source, node)
    base = node.child_by_field_name("object")
    reference = flatten(source, base) if base is not None else _NO_REFERENCE
    if _is_safe_access(node) and base is not None:
        reference = Reference(names=(), remainder=unwrap(base), present=True)
    return VariableView(node=node, image=image, reference=reference)


def pmd_children(source: ApexSource, node: Node) -> list[Node]:
    """An expression's children in PMD's order (receiver remainder first for calls)."""
    kind = kind_of(source, node)
    if kind == CALL:
        remainder = call_view(source, node).reference.remainder
        arguments = call_arguments(node)
        return [remainder, *arguments] if remainder is not None else arguments
    if kind == VARIABLE:
        if node.type == "identifier":
            return []
        remainder = variable_view(source, node).reference.remainder
        return [remainder] if remainder is not None else []
    if kind in (LITERAL, "TriggerVariableExpression", "ClassRefExpression"):
        return []
    if node.type in ("object_creation_expression",):
        return call_arguments(node)
    if node.type == "array_creation_expression":
        initializer = node.child_by_field_name("value")
        source_node = initializer if initializer is not None else node
        return [unwrap(child) for child in source_node.named_children if _is_expression(child)]
    if node.type == "query_expression":
        return [unwrap(bound) for bound in _bound_expressions(node)]
    return [unwrap(child) for child in node.named_children if _is_expression(child)]


_NON_EXPRESSION_TYPES = frozenset(
    {
        "line_comment",
        "block_comment",
        "type_identifier",
        "generic_type",
        "scoped_type_identifier",
        "array_type",
        "dimensions",
        "assignment_operator",
        "type_arguments",
        "dml_type",
        "dml_security_mode",
        "safe_navigation_operator",
    }
)


def _is_expression(node: Node) -> bool:
    return node.type not in _NON_EXPRESSION_TYPES


def _bound_expressions(node: Node) -> Iterator[Node]:
    stack = list(reversed(node.named_children))
    while stack:
        current = stack.pop()
        if current.type == "bound_apex_expression":
            yield from (child for child in current.named_children if not _is_comment(child))
            continue
        stack.extend(reversed(current.named_children))


def descendants_of_kind(
    source: ApexSource, node: Node, kind: str, *, include_self: bool = False
) -> Iterator[Node]:
    """PMD-shaped descendants of one kind, in document order."""
    stack = [node] if include_self else list(reversed(pmd_children(source, node)))
    while stack:
        current = stack.pop()
        if kind_of(source, current) == kind:
            yield current
        stack.extend(reversed(pmd_children(source, current)))


def first_of_kind(source: ApexSource, nodes: list[Node], kind: str) -> Node | None:
    """PMD's firstChild(kind) over a child list."""
    for node in nodes:
        if kind_of(source, node) == kind:
            return node
    return None
