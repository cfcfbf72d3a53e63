"""Governor-limit and performance rules (PMD category performance)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

from tree_sitter import Node

from sfagent.diagnostics.apex.bulkify import bulkify_loop
from sfagent.diagnostics.apex.operations import (
    LIMITS,
    OPERATION_FIX,
    OPERATION_WHY,
    RUN_AS_FIX,
    RUN_AS_WHY,
    LimitedOperation,
    call_qualifier,
    enclosing_unit,
    limited_operations,
    loop_description,
    loop_source,
    query_object,
)
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.source import ApexSource, enclosing, enclosing_loop
from sfagent.diagnostics.findings import Finding, Severity


def _limit_text(key: str) -> str:
    limit = LIMITS[key]
    if limit.synchronous == limit.asynchronous:
        return f"{limit.synchronous} {limit.many} per transaction"
    sync, asynchronous = limit.synchronous, limit.asynchronous
    return f"{sync} {limit.many} per synchronous transaction, {asynchronous} asynchronous"


def _returned(node: Node) -> bool:
    """PMD skips an operation returned straight out of the loop: the loop ends there."""
    return node.parent is not None and node.parent.type == "return_statement"


class OperationWithLimitsInLoop(Rule):
    """SOQL, SOSL, DML, Database, Approval, email and async calls repeated by a loop."""

    name = "OperationWithLimitsInLoop"
    category = "performance"
    severity = Severity.CRITICAL
    why = OPERATION_WHY["soql"]
    fix = OPERATION_FIX["soql"]
    limit = "100 SOQL queries / 150 DML statements / 20 SOSL searches per transaction"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report each limit-consuming operation that a loop repeats."""
        source = context.source
        loops: dict[int, tuple[str | None, dict[str, Any]]] = {}
        for operation in limited_operations(source, pmd_only=True):
            loop = enclosing_loop(operation.node)
            if loop is None or _returned(operation.node):
                continue
            if loop.id not in loops:
                loops[loop.id] = (bulkify_loop(source, loop), _loop_details(source, loop))
            example, details = loops[loop.id]
            yield self._finding(context, operation, example, details)

    def _finding(
        self,
        context: RuleContext,
        operation: LimitedOperation,
        example: str | None,
        details: dict[str, Any],
    ) -> Finding:
        run_as = operation.node.type == "run_as_statement"
        kind = operation.kind if operation.kind in OPERATION_WHY else "other"
        limit_key = operation.limit_key
        return self.report(
            context,
            operation.node,
            f"{operation.label} inside the {details['loop']} (line {details['loop_line']})",
            why=RUN_AS_WHY if run_as else OPERATION_WHY[kind],
            fix=RUN_AS_FIX if run_as else OPERATION_FIX[kind],
            example=example if kind in {"soql", "dml"} else None,
            limit=_limit_text(limit_key) if limit_key is not None else None,
            details={"operation": operation.kind, **details},
        )


def _loop_details(source: ApexSource, loop: Node) -> dict[str, Any]:
    return {
        "loop_line": loop.start_point[0] + 1,
        "loop": loop_description(source, loop),
        "loop_driven_by": loop_source(source, loop, enclosing_unit(loop)),
    }


class OperationWithHighCostInLoop(Rule):
    """Schema.getGlobalDescribe and Schema.describeSObjects repeated by a loop."""

    name = "OperationWithHighCostInLoop"
    category = "performance"
    severity = Severity.MEDIUM
    why = (
        "Schema.getGlobalDescribe() builds a map of every object in the org and "
        "Schema.describeSObjects() describes objects afresh on each call; repeated per iteration "
        "they burn CPU time (10,000 ms synchronous limit), more so in orgs with many objects."
    )
    fix = (
        "Call it once before the loop, keep the result (or the field map you need) in a local "
        "variable or a static cache, and read that inside the loop."
    )
    limit = "10,000 ms CPU time per synchronous transaction, 60,000 ms asynchronous"
    _METHODS: ClassVar[frozenset[str]] = frozenset({"getglobaldescribe", "describesobjects"})

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report expensive Schema describe calls that a loop repeats."""
        source = context.source
        for call in source.nodes("method_invocation"):
            name = call.child_by_field_name("name")
            if name is None or source.text_of(name).lower() not in self._METHODS:
                continue
            qualifier = call_qualifier(source, call)
            loop = enclosing_loop(call)
            if qualifier is None or qualifier.lower() != "schema" or loop is None:
                continue
            if not _returned(call):
                where = f"{loop_description(source, loop)} (line {loop.start_point[0] + 1})"
                message = f"Schema.{source.text_of(name)}() call inside the {where}"
                yield self.report(context, call, message)


_SUBQUERY = re.compile(r"(?i)\(\s*select\s+[^)]+\)")
_RESTRICTIVE = re.compile(r"(?i)\b(?:where|limit)\b")
_SELECT_OR_FIND = re.compile(r"(?i)\b(?:select|find)\b")


class AvoidNonRestrictiveQueries(Rule):
    """SOQL or SOSL without WHERE or LIMIT (subqueries ignored; test code only with SeeAllData)."""

    name = "AvoidNonRestrictiveQueries"
    category = "performance"
    severity = Severity.MEDIUM
    why = (
        "An unfiltered query returns every row the user can see. As the table grows it runs "
        "slower and heads for the 50,000-row SOQL limit (2,000 rows per SOSL search) and the "
        "heap limit (6 MB synchronous, 12 MB asynchronous)."
    )
    fix = (
        "Add a WHERE clause that selects only the rows you need (ideally on an indexed field: "
        "Id, Name, a lookup or an external Id) or a LIMIT."
    )
    limit = "50,000 rows retrieved by SOQL per transaction; 2,000 rows per SOSL search"

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report queries whose main part has neither WHERE nor LIMIT."""
        source = context.source
        for query in source.nodes("query_expression"):
            text = source.text_of(query).strip()[1:-1]
            main = _SUBQUERY.sub("(replaced_subquery)", text)
            if not _SELECT_OR_FIND.search(main) or _RESTRICTIVE.search(main):
                continue
            if _exempt_test_query(source, query):
                continue
            target = query_object(source, query)
            kind = f"SOQL query on {target}" if target else "SOSL search"
            yield self.report(context, query, f"{kind} has no WHERE or LIMIT clause")


def _exempt_test_query(source: ApexSource, query: Node) -> bool:
    """Test methods see only their own data unless SeeAllData=true (method first, then class)."""
    method = enclosing(query, frozenset({"method_declaration", "constructor_declaration"}))
    if method is None or not _is_test(source, method):
        return False
    method_value = _see_all_data(source, _annotation(source, method, "istest"))
    if method_value is not None:
        return not method_value
    owner = enclosing(method, frozenset({"class_declaration"}))
    class_annotation = _annotation(source, owner, None) if owner is not None else None
    return not bool(_see_all_data(source, class_annotation))


def _modifiers(declaration: Node) -> Node | None:
    return next((child for child in declaration.named_children if child.type == "modifiers"), None)


def _annotation(source: ApexSource, declaration: Node, name: str | None) -> Node | None:
    """The declaration's annotation called `name`, or its first annotation when name is None."""
    modifiers = _modifiers(declaration)
    for child in modifiers.named_children if modifiers is not None else []:
        label = child.child_by_field_name("name") if child.type == "annotation" else None
        if label is not None and (name is None or source.text_of(label).lower() == name):
            return child
    return None


def _is_test(source: ApexSource, method: Node) -> bool:
    modifiers = _modifiers(method)
    if modifiers is None:
        return False
    if any(source.text_of(child).lower() == "testmethod" for child in modifiers.named_children):
        return True
    return _annotation(source, method, "istest") is not None


def _see_all_data(source: ApexSource, annotation: Node | None) -> bool | None:
    arguments = annotation.child_by_field_name("arguments") if annotation is not None else None
    for pair in arguments.named_children if arguments is not None else []:
        key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if key is not None and value is not None and source.text_of(key).lower() == "seealldata":
            return source.text_of(value).strip("'\"").lower() == "true"
    return None


class EagerlyLoadedDescribeSObjectResult(Rule):
    """Describe calls without SObjectDescribeOptions (and DEFAULT options when noDefault)."""

    name = "EagerlyLoadedDescribeSObjectResult"
    category = "performance"
    severity = Severity.LOW
    why = (
        "Without describe options the whole DescribeSObjectResult is built up front, including "
        "every child relationship, which costs CPU time and heap even when you need one attribute."
    )
    fix = (
        "Pass SObjectDescribeOptions.DEFERRED, e.g. `Account.SObjectType.getDescribe("
        "SObjectDescribeOptions.DEFERRED)` or `Schema.describeSObjects(types, "
        "SObjectDescribeOptions.DEFERRED)`, so details load on first use; use FULL when you need "
        "consistent picklist details across API versions."
    )
    properties = {"noDefault": False}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report eager describes, and SObjectDescribeOptions.DEFAULT when noDefault is set."""
        source = context.source
        for call in source.nodes("method_invocation"):
            described = _eager_describe(source, call)
            if described is not None:
                yield self.report(context, call, f"{described} without SObjectDescribeOptions")
        if context.properties["noDefault"]:
            yield from self._default_options(context)

    def _default_options(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for access in source.nodes("field_access"):
            owner = access.child_by_field_name("object")
            member = access.child_by_field_name("field")
            if owner is None or member is None or source.text_of(member).lower() != "default":
                continue
            if source.text_of(owner).split(".")[-1].strip().lower() == "sobjectdescribeoptions":
                yield self.report(
                    context,
                    access,
                    "SObjectDescribeOptions.DEFAULT depends on the API version (eager before 44.0)",
                    fix="Use SObjectDescribeOptions.DEFERRED (or FULL) so the result is the same "
                    "whatever API version calls it.",
                )


def _eager_describe(source: ApexSource, call: Node) -> str | None:
    """The call in words when it describes without options (the options are the last argument)."""
    name = call.child_by_field_name("name")
    method = source.text_of(name).lower() if name is not None else ""
    if method not in {"describesobjects", "getdescribe"}:
        return None
    arguments = call.child_by_field_name("arguments")
    count = len(arguments.named_children) if arguments is not None else 0
    receiver = call.child_by_field_name("object")
    if method == "describesobjects" and count < 2:
        return f"{source.text_of(receiver) + '.' if receiver else ''}describeSObjects(...)"
    if method == "getdescribe" and count == 0 and _sobject_type_receiver(source, receiver):
        assert receiver is not None
        return f"{source.text_of(receiver)}.getDescribe()"
    return None


def _sobject_type_receiver(source: ApexSource, receiver: Node | None) -> bool:
    """`Account.SObjectType` or `Schema.SObjectType.Account`, not a field describe chain."""
    if receiver is None or receiver.type not in {"field_access", "identifier"}:
        return False
    names = [part.strip().lower() for part in source.text_of(receiver).split(".")]
    if "sobjecttype" not in names or not all(part.replace("_", "").isalnum() for part in names):
        return False
    return len(names) - names.index("sobjecttype") <= 2


def _system_debug_calls(source: ApexSource) -> Iterator[tuple[Node, list[Node]]]:
    for call in source.nodes("method_invocation"):
        name, receiver = call.child_by_field_name("name"), call.child_by_field_name("object")
        if name is None or receiver is None or receiver.type != "identifier":
            continue
        if source.text_of(name).lower() == "debug" and source.text_of(receiver).lower() == "system":
            arguments = call.child_by_field_name("arguments")
            yield call, list(arguments.named_children) if arguments is not None else []


class AvoidDebugStatements(Rule):
    """System.debug calls, which cost CPU time even when no log is captured."""

    name = "AvoidDebugStatements"
    category = "performance"
    severity = Severity.LOW
    why = (
        "System.debug runs, and builds its message, even when no debug log is being captured, "
        "so it spends CPU time (10,000 ms synchronous limit) and heap in production."
    )
    fix = (
        "Remove it, or log through a logger class that checks a setting before building the "
        "message; while developing, use the Apex Replay Debugger or checkpoints instead."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report every System.debug call."""
        for call, _ in _system_debug_calls(context.source):
            yield self.report(context, call, "System.debug statement left in the code")


class DebugsShouldUseLoggingLevel(Rule):
    """System.debug without a LoggingLevel (or at DEBUG level in strict mode)."""

    name = "DebugsShouldUseLoggingLevel"
    category = "bestpractices"
    severity = Severity.INFO
    why = (
        "Without an explicit level the message is logged at DEBUG together with everything else; "
        "a level lets whoever reads the log filter by severity."
    )
    fix = "Pass a LoggingLevel first, e.g. `System.debug(LoggingLevel.WARN, message);`."
    properties = {"strictMode": False}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report one-argument System.debug calls, and DEBUG-level ones in strict mode."""
        source = context.source
        strict = bool(context.properties["strictMode"])
        for call, arguments in _system_debug_calls(source):
            if len(arguments) == 1:
                yield self.report(context, call, "System.debug call without a LoggingLevel")
            elif strict and len(arguments) == 2 and any(_is_debug(source, a) for a in arguments):
                yield self.report(
                    context,
                    call,
                    "System.debug call at LoggingLevel.DEBUG",
                    fix="Use a level that says how much the message matters: ERROR, WARN or INFO.",
                )


def _is_debug(source: ApexSource, argument: Node) -> bool:
    if argument.type == "field_access":
        member = argument.child_by_field_name("field")
        return member is not None and source.text_of(member).lower() == "debug"
    return argument.type == "identifier" and source.text_of(argument).lower() == "debug"


RULES: tuple[type[Rule], ...] = (
    OperationWithLimitsInLoop,
    OperationWithHighCostInLoop,
    AvoidNonRestrictiveQueries,
    EagerlyLoadedDescribeSObjectResult,
    AvoidDebugStatements,
    DebugsShouldUseLoggingLevel,
)
