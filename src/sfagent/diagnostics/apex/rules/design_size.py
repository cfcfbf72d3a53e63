"""Size and shape rules (PMD category design): class length, parameter lists, public surface,
field count, boolean parameters and nested ifs."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.members import OPERATION_NODE_TYPES, TypeDeclaration, members_of
from sfagent.diagnostics.apex.metrics import metrics_of
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.rules.design_common import (
    metric_details,
    operation_title,
    report_operation,
    report_type,
    type_title,
)
from sfagent.diagnostics.findings import Finding, Severity


class ExcessiveClassLength(Rule):
    name = "ExcessiveClassLength"
    category = "design"
    severity = Severity.LOW
    why = (
        "A class this long is usually several classes in one: changes for unrelated features "
        "land in the same file, merge conflicts pile up and the test class becomes huge."
    )
    fix = (
        "Split it by responsibility, for example into a selector (SOQL), a service (business "
        "rules) and a domain class (record logic), each with its own test class."
    )
    properties = {"minimum": 1000}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        minimum = int(context.properties["minimum"])
        if context.source.line_count <= minimum:
            return
        for declaration in members_of(context.source).types:
            if declaration.kind != "class" or declaration.modifiers.is_test:
                continue
            length = declaration.node.end_point[0] - declaration.anchor.start_point[0]
            if length >= minimum:
                message = f"{type_title(declaration)} spans {length} lines (threshold {minimum})"
                details = metric_details("lines", length, minimum)
                yield report_type(self, context, declaration, message, details=details)


class ExcessiveParameterList(Rule):
    name = "ExcessiveParameterList"
    category = "design"
    severity = Severity.LOW
    why = (
        "Callers of a method with many parameters easily pass arguments in the wrong order "
        "(especially several of the same type), and every new option changes every caller."
    )
    fix = (
        "Group parameters that travel together into a small class (an inner `Request` or "
        "`Options` class), or pass the record itself instead of its field values."
    )
    properties = {"minimum": 4}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        minimum = int(context.properties["minimum"])
        metrics = metrics_of(context.source)
        setters = 1 if metrics.count("accessor_declaration") else 0
        if max(metrics.count("formal_parameter"), setters) < minimum:
            return
        for operation in members_of(context.source).operations:
            count = len(operation.parameters)
            if count >= minimum:
                message = (
                    f"{operation_title(context.source, operation)} takes {count} parameters "
                    f"(threshold {minimum})"
                )
                details = metric_details("parameters", count, minimum)
                yield report_operation(self, context, operation, message, details=details)


class ExcessivePublicCount(Rule):
    name = "ExcessivePublicCount"
    category = "design"
    severity = Severity.LOW
    why = (
        "Every public method, field and property is a contract other code may depend on: a "
        "large public surface makes the class hard to change safely and costly to test."
    )
    fix = (
        "Make members that only the class itself uses `private`, and move groups of related "
        "public operations into separate, smaller classes."
    )
    properties = {"minimum": 20}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        minimum = int(context.properties["minimum"])
        candidates = metrics_of(context.source).count(*OPERATION_NODE_TYPES, "field_declaration")
        if candidates < minimum:
            return
        for declaration in members_of(context.source).types:
            if declaration.kind != "class":
                continue
            count = _public_member_count(context, declaration)
            if count >= minimum:
                message = (
                    f"{type_title(declaration)} has {count} public methods, fields and "
                    f"properties (threshold {minimum})"
                )
                details = metric_details("public_members", count, minimum)
                yield report_type(self, context, declaration, message, details=details)


def _public_member_count(context: RuleContext, declaration: TypeDeclaration) -> int:
    """Public methods, plus public non-static fields (per statement) and properties."""
    metrics = metrics_of(context.source)
    methods = sum(1 for op in metrics.own_methods(declaration) if op.modifiers.is_public)
    groups = sum(
        1
        for group in members_of(context.source).fields
        if group.owner == declaration.node
        and group.modifiers.is_public
        and not group.modifiers.is_static
    )
    return methods + groups


class TooManyFields(Rule):
    name = "TooManyFields"
    category = "design"
    severity = Severity.LOW
    why = (
        "A class holding this much state is hard to keep consistent: every method may depend "
        "on any field, so it is hard to reason about and to set up in tests."
    )
    fix = (
        "Group fields that belong together into their own class (for example an `Address` "
        "instead of street, city and postal-code fields), or split the class."
    )
    properties = {"maxfields": 15}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        maximum = int(context.properties["maxfields"])
        if metrics_of(context.source).count("variable_declarator") <= maximum:
            return
        members = members_of(context.source)
        for declaration in members.types:
            if declaration.kind != "class":
                continue
            count = sum(
                len(group.declarators)
                for group in members.fields
                if group.owner == declaration.node
                and not group.is_property
                and not (group.modifiers.is_static and group.modifiers.is_final)
            )
            if count > maximum:
                message = (
                    f"{type_title(declaration)} declares {count} fields "
                    f"(more than {maximum}; static final constants not counted)"
                )
                details = metric_details("fields", count, maximum)
                yield report_type(self, context, declaration, message, details=details)


class AvoidBooleanMethodParameters(Rule):
    name = "AvoidBooleanMethodParameters"
    category = "design"
    severity = Severity.INFO
    why = (
        "A call like `process(records, true)` does not say what `true` means, and a boolean "
        "switch usually hides two behaviours in one method."
    )
    fix = (
        "Split the method into two with descriptive names (`processAndNotify`, "
        "`processSilently`), or pass an enum or options object that names the choice."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if "boolean" not in context.source.text.lower():
            return
        for operation in members_of(context.source).operations:
            modifiers = operation.modifiers
            if not (modifiers.is_public or modifiers.is_global):
                continue
            for parameter in operation.parameters:
                if parameter.type_text.lower() == "boolean":
                    title = operation_title(context.source, operation)
                    message = f"{title} takes the Boolean parameter `{parameter.name}`"
                    yield self.report(context, parameter.node, message)


class AvoidDeeplyNestedIfStmts(Rule):
    name = "AvoidDeeplyNestedIfStmts"
    category = "design"
    severity = Severity.LOW
    why = (
        "Each nested `if` adds a condition the reader must keep in mind; deeply nested "
        "branches are where missed cases and wrong `else` pairings hide."
    )
    fix = (
        "Return or `continue` early for the guard conditions, combine conditions that always "
        "go together, or move the inner branches into a separate method."
    )
    properties = {"problemDepth": 3}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        depth_limit = int(context.properties["problemDepth"])
        if_statements = context.source.nodes("if_statement")
        if len(if_statements) < depth_limit:
            return
        for node, depth in _if_depths(if_statements):
            if depth == depth_limit:
                message = f"This `if` is nested {depth} levels deep (threshold {depth_limit})"
                details = metric_details("if_depth", depth, depth_limit)
                yield self.report(context, node, message, details=details)


def _if_depths(if_statements: list[Node]) -> Iterator[tuple[Node, int]]:
    """Each `if` with the number of if-blocks (condition and then-branch) around it, itself
    included. An `else` branch is outside its `if` block, so an `else if` does not nest."""
    open_ends: list[int] = []
    for node in if_statements:
        while open_ends and open_ends[-1] <= node.start_byte:
            open_ends.pop()
        yield node, len(open_ends) + 1
        consequence = node.child_by_field_name("consequence")
        open_ends.append((consequence or node).end_byte)


RULES: tuple[type[Rule], ...] = (
    ExcessiveClassLength,
    ExcessiveParameterList,
    ExcessivePublicCount,
    TooManyFields,
    AvoidBooleanMethodParameters,
    AvoidDeeplyNestedIfStmts,
)
