"""PMD's model of Apex declarations: types, operations, fields and properties, and where PMD
reports each one.

PMD (on the summit AST) treats every method, constructor, static initialiser, property accessor
and the body of a trigger as an "operation" (`ASTMethod`). Metrics and the design rules count
over operations, so this module lists them once per source in the same shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from weakref import WeakKeyDictionary

from tree_sitter import Node

from sfagent.diagnostics.apex.source import ApexSource

TYPE_NODE_TYPES = frozenset(
    {"class_declaration", "interface_declaration", "enum_declaration", "trigger_declaration"}
)
OPERATION_NODE_TYPES = (
    "method_declaration",
    "constructor_declaration",
    "static_initializer",
    "accessor_declaration",
)
_ANNOTATION = re.compile(r"@\s*([\w.]+)")
_TYPE_KINDS = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "trigger_declaration": "trigger",
}
# PMD's internal name prefix of property accessors (`ASTProperty.formatAccessorName`).
ACCESSOR_PREFIX = "__sfdc_"


@dataclass(frozen=True, slots=True)
class Modifiers:
    """Keyword modifiers and annotations of a declaration, read the way PMD reads them."""

    keywords: frozenset[str]
    annotations: frozenset[str]
    implicitly_public: bool = False

    @property
    def is_public(self) -> bool:
        """`public`, or an interface method declared without any modifier."""
        return "public" in self.keywords or self.implicitly_public

    @property
    def is_global(self) -> bool:
        """Declared `global`."""
        return "global" in self.keywords

    @property
    def is_private(self) -> bool:
        """Declared `private` (and not also public)."""
        return "private" in self.keywords and not self.is_public

    @property
    def is_protected(self) -> bool:
        """Declared `protected` (and not also public)."""
        return "protected" in self.keywords and not self.is_public

    @property
    def is_static(self) -> bool:
        """Declared `static`."""
        return "static" in self.keywords

    @property
    def is_final(self) -> bool:
        """Declared `final`."""
        return "final" in self.keywords

    @property
    def is_override(self) -> bool:
        """Declared `override`."""
        return "override" in self.keywords

    @property
    def is_test(self) -> bool:
        """Annotated `@IsTest` or declared with the `testMethod` keyword."""
        return "istest" in self.annotations or "testmethod" in self.keywords


@dataclass(frozen=True, slots=True)
class Parameter:
    """A formal parameter; a setter's implicit `value` is reported at the setter."""

    name: str
    type_text: str
    node: Node


@dataclass(frozen=True, slots=True)
class TypeDeclaration:
    """A class, interface, enum or trigger."""

    node: Node
    kind: str
    name: str
    anchor: Node
    modifiers: Modifiers
    outer: Node | None


class Operation:
    """A PMD operation: method, constructor, static initialiser, accessor or trigger body.

    Parameters and return type are read on first use: most rules never need them.
    """

    def __init__(
        self,
        source: ApexSource,
        node: Node,
        kind: str,
        name: str,
        anchor: Node,
        span: tuple[int, int],
        owner: Node | None,
        modifiers: Modifiers,
    ) -> None:
        # The bytes, not the source: the per-source cache must not keep its own key alive.
        self._data = source.data
        self.node = node
        self.kind = kind  # method, constructor, initializer, getter, setter, trigger
        self.name = name  # PMD's canonical name: <init>, <clinit>, __sfdc_<property>, invoke
        self.anchor = anchor
        self.start, self.end = span
        self.owner = owner
        self.nested_in_trigger = (
            kind != "trigger" and owner is not None and owner.type == "trigger_declaration"
        )
        self.modifiers = modifiers

    @cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        """Formal parameters; a setter has PMD's implicit `value` of the property's type."""
        if self.kind == "setter":
            return (Parameter("value", _property_type(self._data, self.node), self.node),)
        return _parameters(self._data, self.node)

    @cached_property
    def return_type(self) -> str:
        """Declared return type without whitespace; `void` for constructors and setters."""
        if self.kind == "getter":
            return _property_type(self._data, self.node)
        if self.node.type != "method_declaration":
            return "void"
        return _type_text(self._data, self.node.child_by_field_name("type"))


@dataclass(frozen=True, slots=True)
class FieldGroup:
    """One field declaration statement, or one property."""

    node: Node
    anchor: Node
    owner: Node | None
    modifiers: Modifiers
    declarators: tuple[Node, ...]
    is_property: bool


@dataclass(frozen=True, slots=True)
class Members:
    """Every declaration of a source in document order."""

    types: tuple[TypeDeclaration, ...]
    operations: tuple[Operation, ...]
    fields: tuple[FieldGroup, ...]


_NO_MODIFIERS = Modifiers(keywords=frozenset(), annotations=frozenset())
_cache: WeakKeyDictionary[ApexSource, Members] = WeakKeyDictionary()


def members_of(source: ApexSource) -> Members:
    """The declarations of a source, computed once and shared by every rule."""
    members = _cache.get(source)
    if members is None:
        members = _build(source)
        _cache[source] = members
    return members


def _build(source: ApexSource) -> Members:
    types = [_type_declaration(source, node) for node in _nodes_of(source, TYPE_NODE_TYPES)]
    operations = [_trigger_operation(source, t.node) for t in types if t.kind == "trigger"] + [
        _operation(source, node)
        for node in _nodes_of(source, frozenset(OPERATION_NODE_TYPES))
        if node.type != "accessor_declaration" or _property_of(node) is not None
    ]
    operations.sort(key=lambda op: op.start)
    fields = [_field_group(source, node) for node in source.nodes("field_declaration")]
    fields += _trigger_fields(source, types)
    fields.sort(key=lambda group: group.node.start_byte)
    return Members(types=tuple(types), operations=tuple(operations), fields=tuple(fields))


def _nodes_of(source: ApexSource, node_types: frozenset[str]) -> list[Node]:
    nodes = [node for node_type in node_types for node in source.nodes(node_type)]
    nodes.sort(key=lambda node: node.start_byte)
    return nodes


def modifiers_node(declaration: Node) -> Node | None:
    """The `modifiers` child of a declaration (its first child, when present)."""
    first = declaration.child(0)
    if first is not None and first.type == "modifiers":
        return first
    return None


def read_modifiers(source: ApexSource, modifiers: Node | None) -> Modifiers:
    """Keyword words (lower-cased: public, testmethod, with, sharing) and annotation names."""
    if modifiers is None:
        return _NO_MODIFIERS
    text = source.text_of(modifiers).lower()
    if "(" in text or "/" in text:
        # Annotation arguments or comments could hold keyword-like words: read the nodes.
        return _modifiers_from_nodes(source, modifiers)
    return _modifiers_from_text(text)


@lru_cache(maxsize=512)
def _modifiers_from_text(text: str) -> Modifiers:
    """Modifiers of a list without annotation arguments or comments (few distinct texts)."""
    if "@" not in text:
        return Modifiers(keywords=frozenset(text.split()), annotations=frozenset())
    annotations = frozenset(_ANNOTATION.findall(text))
    return Modifiers(
        keywords=frozenset(_ANNOTATION.sub(" ", text).split()), annotations=annotations
    )


def _modifiers_from_nodes(source: ApexSource, modifiers: Node) -> Modifiers:
    keywords: set[str] = set()
    annotations: set[str] = set()
    for child in modifiers.named_children:
        if child.type == "modifier":
            keywords.update(source.text_of(child).lower().split())
        elif child.type == "annotation":
            name = child.child_by_field_name("name")
            annotations.add(source.text_of(name).lower() if name is not None else "")
    return Modifiers(keywords=frozenset(keywords), annotations=frozenset(annotations))


def after_modifiers(declaration: Node) -> Node:
    """The first child after the modifier list: where PMD's location of a member starts."""
    first = declaration.child(0)
    if first is None:
        return declaration
    if first.type != "modifiers":
        return first
    return declaration.child(1) or declaration


def enclosing_type(node: Node) -> Node | None:
    """The nearest class, interface, enum or trigger around a node."""
    parent = node.parent
    while parent is not None and parent.type not in TYPE_NODE_TYPES:
        parent = parent.parent
    return parent


def _type_declaration(source: ApexSource, node: Node) -> TypeDeclaration:
    name = node.child_by_field_name("name")
    is_trigger = node.type == "trigger_declaration"
    return TypeDeclaration(
        node=node,
        kind=_TYPE_KINDS[node.type],
        name=source.text_of(name) if name is not None else "",
        anchor=node if is_trigger else after_modifiers(node),
        modifiers=read_modifiers(source, modifiers_node(node)),
        outer=enclosing_type(node),
    )


def _trigger_operation(source: ApexSource, trigger: Node) -> Operation:
    body = trigger.child_by_field_name("body") or trigger
    span = (body.start_byte, body.end_byte)
    return Operation(source, trigger, "trigger", "invoke", trigger, span, trigger, _NO_MODIFIERS)


def _operation(source: ApexSource, node: Node) -> Operation:
    owner = enclosing_type(node)
    if node.type == "accessor_declaration":
        return _accessor(source, node, owner)
    kind, name = _kind_and_name(source, node)
    parent = node.parent
    in_interface = parent is not None and parent.type == "interface_body"
    modifiers = read_modifiers(source, modifiers_node(node))
    if in_interface and not modifiers.keywords and not modifiers.annotations:
        modifiers = Modifiers(frozenset(), frozenset(), implicitly_public=True)
    anchor = node if in_interface or kind == "initializer" else after_modifiers(node)
    span = (node.start_byte, node.end_byte)
    return Operation(source, node, kind, name, anchor, span, owner, modifiers)


def _kind_and_name(source: ApexSource, node: Node) -> tuple[str, str]:
    if node.type == "constructor_declaration":
        return "constructor", "<init>"
    if node.type == "static_initializer":
        return "initializer", "<clinit>"
    name = node.child_by_field_name("name")
    return "method", source.text_of(name) if name is not None else ""


def _text(data: bytes, node: Node) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _parameters(data: bytes, node: Node) -> tuple[Parameter, ...]:
    parameters = node.child_by_field_name("parameters")
    if parameters is None:
        return ()
    result = []
    for parameter in parameters.named_children:
        if parameter.type != "formal_parameter":
            continue
        name = parameter.child_by_field_name("name")
        type_node = parameter.child_by_field_name("type")
        result.append(
            Parameter(
                name=_text(data, name) if name is not None else "",
                type_text=_type_text(data, type_node),
                node=parameter,
            )
        )
    return tuple(result)


def _type_text(data: bytes, type_node: Node | None) -> str:
    return "".join(_text(data, type_node).split()) if type_node is not None else ""


def _property_of(accessor: Node) -> Node | None:
    accessor_list = accessor.parent
    if accessor_list is None or accessor_list.type != "accessor_list":
        return None
    return accessor_list.parent


def _accessor(source: ApexSource, node: Node, owner: Node | None) -> Operation:
    prop = _property_of(node)
    assert prop is not None  # only accessors inside a property reach here
    own = read_modifiers(source, modifiers_node(node))
    # PMD gives an accessor without modifiers the property's modifiers.
    modifiers = own if own.keywords or own.annotations else _property_modifiers(source, prop)
    declarator = prop.child_by_field_name("declarator")
    name_node = declarator.child_by_field_name("name") if declarator is not None else None
    name = ACCESSOR_PREFIX + (source.text_of(name_node) if name_node is not None else "")
    keyword = node.child_by_field_name("accessor")
    kind = "setter" if keyword is not None and keyword.type == "set" else "getter"
    span = (node.start_byte, node.end_byte)
    return Operation(source, node, kind, name, node, span, owner, modifiers)


def _property_type(data: bytes, accessor: Node) -> str:
    prop = _property_of(accessor)
    return _type_text(data, prop.child_by_field_name("type") if prop is not None else None)


def _property_modifiers(source: ApexSource, prop: Node) -> Modifiers:
    return read_modifiers(source, modifiers_node(prop))


def _field_group(source: ApexSource, node: Node) -> FieldGroup:
    last = node.child(node.child_count - 1)
    is_property = last is not None and last.type == "accessor_list"
    declarators = tuple(node.children_by_field_name("declarator"))
    return FieldGroup(
        node=node,
        anchor=after_modifiers(node),
        owner=enclosing_type(node),
        modifiers=read_modifiers(source, modifiers_node(node)),
        declarators=declarators,
        is_property=is_property,
    )


def trigger_field_declarations(trigger: Node) -> list[Node]:
    """Variable declarations directly in a trigger body, which PMD's parser reads as fields."""
    body = trigger.child_by_field_name("body")
    block = body.named_children[0] if body is not None and body.named_children else None
    if block is None:
        return []
    return [child for child in block.named_children if child.type == "local_variable_declaration"]


def _trigger_fields(source: ApexSource, types: list[TypeDeclaration]) -> list[FieldGroup]:
    triggers = [t.node for t in types if t.kind == "trigger"]
    return [_field_group(source, n) for t in triggers for n in trigger_field_declarations(t)]
