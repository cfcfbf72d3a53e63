"""Reporting helpers shared by the design and documentation rules: PMD's report positions."""

from __future__ import annotations

from typing import Any

from tree_sitter import Node

from sfagent.diagnostics.apex.members import ACCESSOR_PREFIX, Operation, TypeDeclaration
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.findings import Finding, Span


def report_at(
    rule: Rule,
    context: RuleContext,
    declaration: Node,
    anchor: Node,
    message: str,
    **extra: Any,
) -> Finding:
    """A finding covering `declaration` but starting where PMD reports it (`anchor`)."""
    finding = rule.report(context, anchor, message, **extra)
    if anchor == declaration:
        return finding
    end_row, end_byte_column = declaration.end_point
    end_column = _char_column(context.source, declaration.end_byte, end_byte_column)
    start = finding.span
    span = Span(start.line, start.column, end_row + 1, end_column + 1)
    # Built field by field: dataclasses.replace costs more than the whole check of a rule.
    return Finding(
        rule=finding.rule,
        category=finding.category,
        severity=finding.severity,
        span=span,
        message=finding.message,
        why=finding.why,
        fix=finding.fix,
        example=finding.example,
        limit=finding.limit,
        details=finding.details,
    )


def _char_column(source: ApexSource, byte_offset: int, byte_column: int) -> int:
    prefix = source.data[byte_offset - byte_column : byte_offset]
    return byte_column if prefix.isascii() else len(prefix.decode("utf-8", "replace"))


def report_operation(
    rule: Rule, context: RuleContext, operation: Operation, message: str, **extra: Any
) -> Finding:
    """A finding on an operation, at PMD's position for it."""
    return report_at(rule, context, operation.node, operation.anchor, message, **extra)


def report_type(
    rule: Rule, context: RuleContext, declaration: TypeDeclaration, message: str, **extra: Any
) -> Finding:
    """A finding on a class, interface, enum or trigger, at PMD's position for it."""
    return report_at(rule, context, declaration.node, declaration.anchor, message, **extra)


def operation_title(source: ApexSource, operation: Operation) -> str:
    """How a message names an operation: `processOrders`, The `Foo` constructor, ..."""
    owner = _name_of(source, operation.owner)
    if operation.kind == "method":
        return f"`{operation.name}`"
    if operation.kind == "constructor":
        return f"The `{owner}` constructor"
    if operation.kind == "initializer":
        return f"The static initializer of `{owner}`"
    if operation.kind == "trigger":
        return f"Trigger `{owner}`"
    return f"The `{operation.name.removeprefix(ACCESSOR_PREFIX)}` {operation.kind}"


def _name_of(source: ApexSource, declaration: Node | None) -> str:
    name = declaration.child_by_field_name("name") if declaration is not None else None
    return source.text_of(name) if name is not None else "?"


def type_title(declaration: TypeDeclaration) -> str:
    """How a message names a type: Class `OrderService`."""
    return f"{declaration.kind.capitalize()} `{declaration.name}`"


def metric_details(metric: str, value: int, threshold: int) -> dict[str, Any]:
    """Machine-readable measurement attached to a finding."""
    return {"metric": metric, "value": value, "threshold": threshold}
