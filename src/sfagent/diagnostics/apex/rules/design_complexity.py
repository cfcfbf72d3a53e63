"""Complexity rules (PMD category design): cyclomatic, standard cyclomatic and cognitive."""

from __future__ import annotations

from collections.abc import Iterator

from sfagent.diagnostics.apex.members import members_of
from sfagent.diagnostics.apex.metrics import metrics_of
from sfagent.diagnostics.apex.metrics_cognitive import cognitive_of
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.rules.design_common import (
    metric_details,
    operation_title,
    report_operation,
    report_type,
    type_title,
)
from sfagent.diagnostics.findings import Finding, Severity

_BRANCHING_WHY = (
    "Every decision point is another path a change can break and another case a test has to "
    "cover; past about ten paths a method is hard to read in one go and needs many tests to "
    "reach the 75% coverage Salesforce requires for deployment."
)
_BRANCHING_FIX = (
    "Split the method: move each branch body into a well-named private method, replace "
    "if/else-if ladders on a value with `switch on` or a Map lookup, and return early for "
    "guard conditions instead of wrapping the rest of the method in an `if`."
)


class CyclomaticComplexity(Rule):
    name = "CyclomaticComplexity"
    category = "design"
    severity = Severity.LOW
    why = _BRANCHING_WHY
    fix = _BRANCHING_FIX
    properties = {"classReportLevel": 40, "methodReportLevel": 10}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        metrics = metrics_of(source)
        class_level = int(context.properties["classReportLevel"])
        method_level = int(context.properties["methodReportLevel"])
        if not metrics.cyclo_may_reach(min(class_level, method_level)):
            return
        for declaration in members_of(source).types:
            if declaration.kind != "class":
                continue
            total = metrics.weighted_method_count(declaration)
            if total >= class_level:
                highest = max(
                    (metrics.cyclo(op) for op in metrics.own_methods(declaration)), default=0
                )
                message = (
                    f"{type_title(declaration)} has a total cyclomatic complexity of {total} "
                    f"over its methods (threshold {class_level}; highest {highest})"
                )
                details = metric_details("weighted_method_count", total, class_level)
                yield report_type(self, context, declaration, message, details=details)
        for operation in members_of(source).operations:
            if operation.nested_in_trigger:
                continue
            value = metrics.cyclo(operation)
            if value >= method_level:
                message = (
                    f"{operation_title(source, operation)} has cyclomatic complexity {value} "
                    f"(threshold {method_level})"
                )
                details = metric_details("cyclomatic_complexity", value, method_level)
                yield report_operation(self, context, operation, message, details=details)


class StdCyclomaticComplexity(Rule):
    name = "StdCyclomaticComplexity"
    category = "design"
    severity = Severity.LOW
    why = _BRANCHING_WHY
    fix = _BRANCHING_FIX
    properties = {"reportLevel": 10, "showClassesComplexity": True, "showMethodsComplexity": True}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        metrics = metrics_of(source)
        level = int(context.properties["reportLevel"])
        if not metrics.std_cyclo_may_reach(level):
            return
        if context.properties["showClassesComplexity"]:
            for declaration in members_of(source).types:
                if declaration.kind not in ("class", "trigger"):
                    continue
                score = metrics.std_class_average(declaration)
                if score.average >= level or score.highest >= level:
                    message = (
                        f"{type_title(declaration)} averages {score.average} decision points "
                        f"per method, highest {score.highest} (threshold {level})"
                    )
                    details = metric_details("standard_cyclomatic_average", score.average, level)
                    yield report_type(self, context, declaration, message, details=details)
        if not context.properties["showMethodsComplexity"]:
            return
        members = members_of(source)
        skipped = {t.node.id for t in members.types if t.kind in ("interface", "enum")}
        for operation in members.operations:
            if operation.owner is not None and operation.owner.id in skipped:
                continue
            value = metrics.std_cyclo(operation)
            if value >= level:
                message = (
                    f"{operation_title(source, operation)} has standard cyclomatic complexity "
                    f"{value} (threshold {level})"
                )
                details = metric_details("standard_cyclomatic_complexity", value, level)
                yield report_operation(self, context, operation, message, details=details)


class CognitiveComplexity(Rule):
    name = "CognitiveComplexity"
    category = "design"
    severity = Severity.LOW
    why = (
        "Nested conditions, loops and mixed `&&`/`||` chains make a reader keep more in their "
        "head at once; such methods are where changes introduce bugs and reviews miss them."
    )
    fix = (
        "Flatten the nesting: return early for guard cases, extract the body of deep loops and "
        "conditions into named methods, and give complex boolean conditions a named variable "
        "or helper method."
    )
    properties = {"classReportLevel": 50, "methodReportLevel": 15}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        cognitive = cognitive_of(source)
        class_level = int(context.properties["classReportLevel"])
        method_level = int(context.properties["methodReportLevel"])
        if cognitive.bound < min(class_level, method_level):
            return
        for declaration in members_of(source).types:
            if declaration.kind != "class":
                continue
            node = declaration.node
            total = cognitive.measure(node.start_byte, node.end_byte, None)
            if total >= class_level:
                message = (
                    f"{type_title(declaration)} has cognitive complexity {total} "
                    f"(threshold {class_level})"
                )
                details = metric_details("cognitive_complexity", total, class_level)
                yield report_type(self, context, declaration, message, details=details)
        for operation in members_of(source).operations:
            if operation.nested_in_trigger:
                continue
            value = cognitive.measure(operation.start, operation.end, operation.name)
            if value >= method_level:
                message = (
                    f"{operation_title(source, operation)} has cognitive complexity {value} "
                    f"(threshold {method_level})"
                )
                details = metric_details("cognitive_complexity", value, method_level)
                yield report_operation(self, context, operation, message, details=details)


RULES: tuple[type[Rule], ...] = (
    CyclomaticComplexity,
    StdCyclomaticComplexity,
    CognitiveComplexity,
)
