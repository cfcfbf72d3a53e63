"""Documentation rules (PMD category documentation): ApexDoc comments."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from sfagent.diagnostics.apex.members import (
    FieldGroup,
    Members,
    Modifiers,
    Operation,
    enclosing_type,
    members_of,
)
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.rules.design_common import report_at
from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.findings import Finding, Severity

_DESCRIPTION_TAG = re.compile(r"@description\s")
_RETURN_TAG = re.compile(r"@return\s")
_PARAM_TAG = re.compile(r"@param\s+(\w+)\s", re.ASCII)


@dataclass(frozen=True, slots=True)
class ApexDocComment:
    """What PMD reads from a `/** ... */` comment."""

    has_description: bool
    has_return: bool
    params: list[str]


def parse_apexdoc(text: str) -> ApexDocComment:
    """Read description, `@return` and `@param` names from an ApexDoc comment."""
    return ApexDocComment(
        has_description=_has_description(text),
        has_return=_RETURN_TAG.search(text) is not None,
        params=_PARAM_TAG.findall(text),
    )


def _has_description(text: str) -> bool:
    """A main description (text before the first block tag) or an `@description` tag."""
    if _DESCRIPTION_TAG.search(text):
        return True
    body = text.removeprefix("/**").removesuffix("*/")
    for line in body.splitlines():
        content = line.strip().lstrip("*").strip()
        if content:
            return not content.startswith("@")
    return False


def attached_comments(source: ApexSource, members: Members) -> dict[int, Node]:
    """The ApexDoc comment PMD attaches to each declaration, keyed by declaration node id.

    PMD gives a `/** */` comment to the first declaration (class, interface, method, property
    or field) that starts after it, wherever that is; a later comment replaces an earlier one.
    """
    candidates = _candidates(members)
    starts = [start for start, _ in candidates]
    attached: dict[int, Node] = {}
    for comment in source.nodes("block_comment"):
        if not _is_doc_comment(source, comment):
            continue
        index = bisect_left(starts, comment.start_byte)
        if index < len(candidates):
            attached[candidates[index][1].id] = comment
    return attached


def _is_doc_comment(source: ApexSource, comment: Node) -> bool:
    # `/**/` is an ordinary comment for Apex's lexer.
    start = comment.start_byte
    return comment.end_byte - start >= 5 and source.data[start : start + 3] == b"/**"


def _candidates(members: Members) -> list[tuple[int, Node]]:
    """Declarations that can own an ApexDoc comment, with the position PMD gives them."""
    items = [
        (t.anchor.start_byte, t.node) for t in members.types if t.kind in ("class", "interface")
    ]
    items += [(op.anchor.start_byte, op.node) for op in members.operations if op.kind != "trigger"]
    for group in members.fields:
        if group.is_property:
            items.append((group.anchor.start_byte, group.node))
        else:
            items += [(declarator.start_byte, declarator) for declarator in group.declarators]
    items.sort(key=lambda item: item[0])
    return items


def _test_marked_types(source: ApexSource) -> set[int]:
    """Types with an `@IsTest` annotation on themselves or on one of their own members."""
    marked: set[int] = set()
    for annotation in source.nodes("annotation"):
        name = annotation.child_by_field_name("name")
        if name is None or source.text_of(name).lower() != "istest":
            continue
        modifiers = annotation.parent
        declaration = modifiers.parent if modifiers is not None else None
        if declaration is None:
            continue
        if declaration.type in ("class_declaration", "interface_declaration"):
            marked.add(declaration.id)
            continue
        owner = enclosing_type(declaration)
        if owner is not None:
            marked.add(owner.id)
    return marked


@dataclass(frozen=True, slots=True)
class _Documentable:
    """A declaration the ApexDoc rule inspects, with how messages name it."""

    node: Node
    anchor: Node
    title: str  # "method `bar`", "class `Foo`", ...
    modifiers: Modifiers
    exempt: bool  # a test, or part of one
    is_property: bool = False
    operation: Operation | None = None


def _documentables(source: ApexSource, members: Members) -> Iterator[_Documentable]:
    test_types = _test_marked_types(source)
    for declaration in members.types:
        if declaration.kind in ("class", "interface"):
            yield _Documentable(
                node=declaration.node,
                anchor=declaration.anchor,
                title=f"{declaration.kind} `{declaration.name}`",
                modifiers=declaration.modifiers,
                exempt=declaration.node.id in test_types,
            )
    for operation in members.operations:
        if operation.kind in ("method", "constructor", "initializer"):
            yield _Documentable(
                node=operation.node,
                anchor=operation.anchor,
                title=_operation_title(source, operation),
                modifiers=operation.modifiers,
                exempt="istest" in operation.modifiers.annotations,
                operation=operation,
            )
    for group in members.fields:
        if group.is_property:
            yield _property(source, group)


def _property(source: ApexSource, group: FieldGroup) -> _Documentable:
    declarator = group.declarators[0] if group.declarators else group.node
    name = declarator.child_by_field_name("name")
    return _Documentable(
        node=group.node,
        anchor=group.anchor,
        title=f"property `{source.text_of(name) if name is not None else '?'}`",
        modifiers=group.modifiers,
        exempt="istest" in group.modifiers.annotations,
        is_property=True,
    )


def _operation_title(source: ApexSource, operation: Operation) -> str:
    owner = operation.owner.child_by_field_name("name") if operation.owner else None
    owner_name = source.text_of(owner) if owner is not None else "?"
    if operation.kind == "constructor":
        return f"the `{owner_name}` constructor"
    if operation.kind == "initializer":
        return f"the static initializer of `{owner_name}`"
    return f"method `{operation.name}`"


class ApexDoc(Rule):
    name = "ApexDoc"
    category = "documentation"
    severity = Severity.INFO
    why = (
        "Public and global Apex is called from other classes, packages, Flows or Lightning "
        "components; without ApexDoc its callers must read the implementation to learn what "
        "it expects and returns, and generated API docs stay empty."
    )
    fix = (
        "Add a `/** ... */` comment directly above the declaration: a one-sentence summary "
        "first, then one `@param name` per parameter in order and `@return` for non-void "
        "methods."
    )
    properties = {
        "reportPrivate": False,
        "reportProtected": False,
        "reportMissingDescription": True,
        "reportProperty": True,
    }

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        members = members_of(source)
        comments = attached_comments(source, members)
        for item in _documentables(source, members):
            comment = comments.get(item.node.id)
            if comment is None:
                if self._needs_docs(context, item):
                    message = f"{_capitalized(item.title)} has no ApexDoc comment"
                    yield report_at(self, context, item.node, item.anchor, message)
                continue
            doc = parse_apexdoc(source.text_of(comment))
            yield from self._content_problems(context, item, doc)

    def _needs_docs(self, context: RuleContext, item: _Documentable) -> bool:
        if item.exempt or (item.is_property and not context.properties["reportProperty"]):
            return False
        modifiers = item.modifiers
        flagged_private = bool(context.properties["reportPrivate"]) and modifiers.is_private
        flagged_protected = bool(context.properties["reportProtected"]) and modifiers.is_protected
        visible = modifiers.is_public or modifiers.is_global or flagged_private or flagged_protected
        return visible and not modifiers.is_override

    def _content_problems(
        self, context: RuleContext, item: _Documentable, doc: ApexDocComment
    ) -> Iterator[Finding]:
        def finding(message: str, fix: str) -> Finding:
            return report_at(self, context, item.node, item.anchor, message, fix=fix)

        if context.properties["reportMissingDescription"] and not doc.has_description:
            yield finding(
                f"The ApexDoc of {item.title} has no description before its tags",
                "Start the comment with a sentence saying what the declaration does or is for.",
            )
        operation = item.operation
        if operation is None:
            return
        returns_value = operation.return_type.lower() not in ("", "void")
        if doc.has_return != returns_value:
            if returns_value:
                problem, fix = "has no `@return` tag", "Add `@return` describing the result."
            else:
                problem = "has an `@return` tag but the method returns nothing"
                fix = "Remove the `@return` tag."
            yield finding(f"The ApexDoc of {item.title} {problem}", fix)
        names = [parameter.name for parameter in operation.parameters]
        if doc.params != names:
            expected = ", ".join(names) or "none"
            yield finding(
                f"The `@param` tags of {item.title} do not match its parameters "
                f"(expected in order: {expected})",
                "Write one `@param <name> <meaning>` per parameter, in the signature's order, "
                "with the names spelled exactly as declared.",
            )


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


RULES: tuple[type[Rule], ...] = (ApexDoc,)
