"""Questions rules ask about declarations: annotations, modifiers, test classes, call names."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.source import ApexSource, ancestors

CLASS_LIKE = frozenset({"class_declaration", "interface_declaration", "enum_declaration"})


def modifiers_of(declaration: Node) -> Node | None:
    """The `modifiers` child of a declaration (annotations and keywords), if any."""
    for child in declaration.named_children:
        if child.type == "modifiers":
            return child
    return None


def annotations_of(declaration: Node) -> list[Node]:
    """Annotation nodes on a declaration."""
    modifiers = modifiers_of(declaration)
    if modifiers is None:
        return []
    return [child for child in modifiers.named_children if child.type == "annotation"]


def annotation_name(source: ApexSource, annotation: Node) -> str:
    """Lower-cased annotation name (`IsTest` -> `istest`); Apex ignores case."""
    name = annotation.child_by_field_name("name")
    return source.text_of(name).lower() if name is not None else ""


def has_annotation(source: ApexSource, declaration: Node, name: str) -> bool:
    """True when the declaration carries `@name` (case-insensitive)."""
    wanted = name.lower()
    return any(annotation_name(source, a) == wanted for a in annotations_of(declaration))


def modifier_keywords(source: ApexSource, declaration: Node) -> set[str]:
    """Lower-cased keyword modifiers: public, static, testmethod, with sharing, ..."""
    modifiers = modifiers_of(declaration)
    if modifiers is None:
        return set()
    return {
        " ".join(source.text_of(child).lower().split())
        for child in modifiers.named_children
        if child.type == "modifier"
    }


def is_test_class(source: ApexSource, declaration: Node) -> bool:
    """A class annotated `@IsTest`."""
    return declaration.type == "class_declaration" and has_annotation(source, declaration, "istest")


def is_test_method(source: ApexSource, method: Node) -> bool:
    """A method annotated `@IsTest` or declared with the `testMethod` keyword."""
    return has_annotation(source, method, "istest") or "testmethod" in modifier_keywords(
        source, method
    )


def enclosing_type(node: Node) -> Node | None:
    """The nearest class, interface, enum or trigger around a node."""
    for parent in ancestors(node):
        if parent.type in CLASS_LIKE or parent.type == "trigger_declaration":
            return parent
    return None


def methods_of(source: ApexSource) -> Iterator[Node]:
    """Every method declaration in the source."""
    yield from source.nodes("method_declaration")


def call_name(source: ApexSource, invocation: Node) -> str:
    """Lower-cased dotted name of a call: `System.assertEquals(...)` -> `system.assertequals`."""
    name = invocation.child_by_field_name("name")
    target = invocation.child_by_field_name("object")
    method = source.text_of(name).lower() if name is not None else ""
    if target is None:
        return method
    return f"{''.join(source.text_of(target).lower().split())}.{method}"


def argument_count(invocation: Node) -> int:
    """Number of arguments passed to a call."""
    arguments = invocation.child_by_field_name("arguments")
    return len(arguments.named_children) if arguments is not None else 0


def block_is_empty(block: Node) -> bool:
    """A block with no statements (comments do not count)."""
    return all(child.type in {"line_comment", "block_comment"} for child in block.named_children)


def block_has_comment(block: Node) -> bool:
    """A block holding at least one comment."""
    return any(child.type in {"line_comment", "block_comment"} for child in block.named_children)


def pmd_anchor(declaration: Node) -> Node:
    """The token PMD places a declaration at: the first one after its annotations and modifiers.

    PMD's Apex parser gives a class, method or field the position of its signature without the
    modifiers (`class Foo`, `void run()`), so an annotation on the line above does not move it.
    """
    for child in declaration.children:
        if child.type != "modifiers":
            return child
    return declaration


def declaration_name(source: ApexSource, declaration: Node) -> str:
    """The declared name of a class, method, constructor or parameter (empty when absent)."""
    name = declaration.child_by_field_name("name")
    return source.text_of(name) if name is not None else ""


def is_property(declaration: Node) -> bool:
    """A `field_declaration` with accessors (`Integer x { get; set; }`): an Apex property."""
    return declaration.type == "field_declaration" and any(
        child.type == "accessor_list" for child in declaration.named_children
    )


def declarator_names(declaration: Node) -> list[Node]:
    """Name identifiers of the variables a field or local declaration introduces."""
    names = []
    for declarator in declaration.children_by_field_name("declarator"):
        name = declarator.child_by_field_name("name")
        if name is not None:
            names.append(name)
    return names


def body_members(declaration: Node) -> list[Node]:
    """Members declared directly in a class, interface or enum body."""
    body = declaration.child_by_field_name("body")
    return list(body.named_children) if body is not None else []
