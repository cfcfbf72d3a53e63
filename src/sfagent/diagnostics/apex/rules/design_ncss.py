"""Size rules counting statements (NCSS, non-commenting source statements; PMD category design)."""

from __future__ import annotations

from collections.abc import Iterator

from sfagent.diagnostics.apex.members import Operation, members_of
from sfagent.diagnostics.apex.metrics_ncss import ncss_of
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.rules.design_common import (
    metric_details,
    operation_title,
    report_operation,
    report_type,
    type_title,
)
from sfagent.diagnostics.findings import Finding, Severity

_LONG_METHOD_WHY = (
    "A method with this many statements does several jobs at once: it is hard to name, hard "
    "to test in isolation, and every change risks a side effect on the other jobs."
)
_LONG_METHOD_FIX = (
    "Extract each step (validation, querying, building records, DML) into its own private "
    "method with a descriptive name, and keep the original method as a short sequence of "
    "calls."
)
_LONG_CLASS_WHY = (
    "A class with this many statements usually mixes responsibilities (trigger handling, "
    "queries, business rules, callouts), so unrelated changes collide in one file and its "
    "tests grow slow and brittle."
)
_LONG_CLASS_FIX = (
    "Split the class by responsibility: for example a selector class for SOQL, a service "
    "class for business rules and a domain class for record logic, each with its own test."
)


def _operation_finding(
    rule: Rule, context: RuleContext, operation: Operation, value: int, threshold: int
) -> Finding:
    title = operation_title(context.source, operation)
    message = f"{title} has {value} statements (NCSS, threshold {threshold})"
    details = metric_details("ncss", value, threshold)
    return report_operation(rule, context, operation, message, details=details)


class NcssMethodCount(Rule):
    name = "NcssMethodCount"
    category = "design"
    severity = Severity.LOW
    why = _LONG_METHOD_WHY
    fix = _LONG_METHOD_FIX
    properties = {"minimum": 40}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        counts = ncss_of(context.source)
        minimum = int(context.properties["minimum"])
        if counts.legacy_bound < minimum:
            return
        for operation in members_of(context.source).operations:
            if operation.kind == "constructor":
                continue
            value = counts.legacy_ncss(operation.start, operation.end)
            if value >= minimum:
                yield _operation_finding(self, context, operation, value, minimum)


class NcssConstructorCount(Rule):
    name = "NcssConstructorCount"
    category = "design"
    severity = Severity.LOW
    why = (
        "A constructor with this many statements does real work while the object is being "
        "built, so every `new` pays for it and tests cannot create the object cheaply."
    )
    fix = (
        "Keep the constructor to assigning fields; move queries and set-up logic into named "
        "methods or a static factory method that the callers invoke explicitly."
    )
    properties = {"minimum": 20}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        counts = ncss_of(context.source)
        minimum = int(context.properties["minimum"])
        if counts.legacy_bound < minimum:
            return
        for operation in members_of(context.source).operations:
            if operation.kind != "constructor":
                continue
            value = counts.legacy_ncss(operation.start, operation.end)
            if value >= minimum:
                yield _operation_finding(self, context, operation, value, minimum)


class NcssTypeCount(Rule):
    name = "NcssTypeCount"
    category = "design"
    severity = Severity.LOW
    why = _LONG_CLASS_WHY
    fix = _LONG_CLASS_FIX
    properties = {"minimum": 500}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        counts = ncss_of(context.source)
        minimum = int(context.properties["minimum"])
        if counts.legacy_bound < minimum:
            return
        for declaration in members_of(context.source).types:
            if declaration.kind != "class":
                continue
            node = declaration.node
            value = counts.legacy_ncss(node.start_byte, node.end_byte)
            if value >= minimum:
                message = (
                    f"{type_title(declaration)} has {value} statements (NCSS, threshold {minimum})"
                )
                details = metric_details("ncss", value, minimum)
                yield report_type(self, context, declaration, message, details=details)


class NcssCount(Rule):
    name = "NcssCount"
    category = "design"
    severity = Severity.LOW
    why = _LONG_METHOD_WHY
    fix = _LONG_METHOD_FIX
    properties = {"methodReportLevel": 60, "classReportLevel": 1500}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        counts = ncss_of(source)
        method_level = int(context.properties["methodReportLevel"])
        class_level = int(context.properties["classReportLevel"])
        if counts.bound < min(method_level, class_level):
            return
        members = members_of(source)
        for declaration in members.types:
            node = declaration.node
            value = counts.ncss(node.start_byte, node.end_byte)
            if value >= class_level:
                message = (
                    f"{type_title(declaration)} has {value} statements "
                    f"(NCSS, threshold {class_level})"
                )
                details = metric_details("ncss", value, class_level)
                yield report_type(
                    self,
                    context,
                    declaration,
                    message,
                    details=details,
                    why=_LONG_CLASS_WHY,
                    fix=_LONG_CLASS_FIX,
                )
        for operation in members.operations:
            value = counts.ncss(operation.start, operation.end)
            if value >= method_level:
                yield _operation_finding(self, context, operation, value, method_level)


RULES: tuple[type[Rule], ...] = (NcssMethodCount, NcssConstructorCount, NcssTypeCount, NcssCount)
