"""Apex governor limits and the statements that consume them, with the loop helpers around them.

The limit values live here once (`LIMITS`); the performance rules, the risk estimate and the
bulkified rewrites all classify operations and loops through this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from sfagent.diagnostics.apex.source import ApexSource, descendants, enclosing, enclosing_loop


@dataclass(frozen=True, slots=True)
class GovernorLimit:
    """One per-transaction Apex limit with its synchronous and asynchronous values."""

    key: str
    one: str  # what one unit of the limit is, e.g. "SOQL query"
    many: str
    synchronous: int
    asynchronous: int
    note: str = ""

    def value(self, asynchronous: bool) -> int:
        """The limit that applies in a synchronous or asynchronous transaction."""
        return self.asynchronous if asynchronous else self.synchronous

    def count(self, number: int) -> str:
        """`1 SOQL query`, `2 SOQL queries`."""
        return f"{number} {self.one if number == 1 else self.many}"


LIMITS: dict[str, GovernorLimit] = {
    limit.key: limit
    for limit in (
        GovernorLimit("soql", "SOQL query", "SOQL queries", 100, 200),
        GovernorLimit("sosl", "SOSL search", "SOSL searches", 20, 20),
        GovernorLimit("dml", "DML statement", "DML statements", 150, 150),
        GovernorLimit("callout", "callout", "callouts", 100, 100),
        GovernorLimit("queueable", "System.enqueueJob call", "System.enqueueJob calls", 50, 1),
        GovernorLimit(
            "future",
            "@future call",
            "@future calls",
            50,
            0,
            "0 from batch and @future code, 1 from a Queueable",
        ),
        GovernorLimit("email", "Messaging.sendEmail call", "Messaging.sendEmail calls", 10, 10),
        GovernorLimit("cpu_ms", "ms of CPU time", "ms of CPU time", 10_000, 60_000),
    )
}
TRIGGER_CHUNK_SIZE = 200  # a trigger receives at most 200 records per invocation

UNIT_TYPES = frozenset({"method_declaration", "constructor_declaration", "trigger_declaration"})
_DB_QUERY = frozenset(
    [
        "query",
        "countquery",
        "getquerylocator",
        "querywithbinds",
        "countquerywithbinds",
        "getquerylocatorwithbinds",
    ]
)
_DB_DML = frozenset(
    [
        "insert",
        "update",
        "upsert",
        "delete",
        "undelete",
        "merge",
        "convertlead",
        "emptyrecyclebin",
        "setsavepoint",
        "rollback",
    ]
)
_MESSAGING_PMD = frozenset({"sendemail", "renderemailtemplate", "renderstoredemailtemplate"})
_SYSTEM_PMD = {"enqueuejob": "queueable", "schedule": "schedule", "schedulebatch": "schedule"}
_TRIGGER_LISTS = frozenset(
    [
        "trigger.new",
        "trigger.old",
        "trigger.newmap.values()",
        "trigger.oldmap.values()",
        "trigger.newmap.keyset()",
        "trigger.oldmap.keyset()",
    ]
)
_OPERATION_NODES = ("query_expression", "dml_expression", "run_as_statement", "method_invocation")
_HTTP_DECLARATION = re.compile(r"(?i)http\s+([a-z_]\w*)\s*[=;,)]")
ASYNC_KINDS = frozenset({"queueable", "future", "batch", "schedule"})


@dataclass(frozen=True, slots=True)
class LimitedOperation:
    """A statement that consumes a governor limit (or that PMD treats as one inside loops)."""

    node: Node
    kind: str  # soql, sosl, dml, callout, queueable, future, batch, schedule, email, other
    label: str  # our words, e.g. "SOQL query on Contact"
    limit_key: str | None
    pmd_limited: bool  # flagged by PMD's OperationWithLimitsInLoop when inside a loop


def limited_operations(source: ApexSource, *, pmd_only: bool = False) -> list[LimitedOperation]:
    """Every limit-consuming operation in the source (or only PMD's set), in document order."""
    context = CallContext() if pmd_only else CallContext.of(source)
    found: list[LimitedOperation] = []
    for node_type in _OPERATION_NODES:
        for node in source.nodes(node_type):
            operation = classify_operation(source, node, context)
            if operation is not None and (operation.pmd_limited or not pmd_only):
                found.append(operation)
    found.sort(key=lambda op: op.node.start_byte)
    return found


@dataclass(frozen=True, slots=True)
class CallContext:
    """Names that make a plain call limit-consuming: @future methods and Http variables."""

    future_methods: frozenset[str] = frozenset()
    http_variables: frozenset[str] = frozenset()

    @classmethod
    def of(cls, source: ApexSource) -> CallContext:
        """Collect the @future method names and Http-typed variables of a source."""
        return cls(_future_method_names(source), _http_variables(source))


def classify_operation(
    source: ApexSource, node: Node, context: CallContext | None = None
) -> LimitedOperation | None:
    """What limit a query, DML statement, runAs block or method call consumes, if any.

    Without `context`, calls to @future methods and Http.send are not recognised.
    """
    if node.type == "query_expression":
        return _query_operation(source, node)
    if node.type == "dml_expression":
        label = f"DML statement `{shorten(source.text_of(node))}`"
        return LimitedOperation(node, "dml", label, "dml", True)
    if node.type == "run_as_statement":
        return LimitedOperation(node, "dml", "System.runAs block", "dml", True)
    if node.type == "method_invocation":
        return _call_operation(source, node, context or CallContext())
    return None


def _query_operation(source: ApexSource, node: Node) -> LimitedOperation | None:
    body = node.named_children[0] if node.named_children else None
    if body is None:
        return None
    if body.type == "sosl_query_body":
        return LimitedOperation(node, "sosl", "SOSL search", "sosl", True)
    target = query_object(source, node)
    label = f"SOQL query on {target}" if target else "SOQL query"
    return LimitedOperation(node, "soql", label, "soql", True)


def query_object(source: ApexSource, query: Node) -> str | None:
    """The object a SOQL query reads (its FROM), or None for SOSL."""
    body = query.named_children[0] if query.named_children else None
    clause = body.child_by_field_name("from_clause") if body is not None else None
    storage = clause.named_children[0] if clause is not None and clause.named_children else None
    return source.text_of(storage) if storage is not None else None


def _call_operation(
    source: ApexSource, node: Node, context: CallContext
) -> LimitedOperation | None:
    name_node = node.child_by_field_name("name")
    receiver = node.child_by_field_name("object")
    if name_node is None:
        return None
    method = source.text_of(name_node)
    lowered = method.lower()
    qualifier = call_qualifier(source, node) if receiver is not None else None
    found = _qualified_call(qualifier.lower(), lowered) if qualifier is not None else None
    if found is not None:
        kind, limit_key, pmd = found
        return LimitedOperation(node, kind, f"{qualifier}.{method} call", limit_key, pmd)
    plain = receiver is None or receiver.type == "identifier"
    if plain and lowered in context.future_methods:
        label = f"call to @future method {method}"
        return LimitedOperation(node, "future", label, "future", False)
    if lowered == "send" and receiver is not None and _is_http(source, receiver, context):
        return LimitedOperation(node, "callout", "HTTP callout (Http.send)", "callout", False)
    return None


def _qualified_call(qualifier: str, method: str) -> tuple[str, str | None, bool] | None:
    if qualifier == "database":
        if method in _DB_QUERY:
            return "soql", "soql", True
        if method in _DB_DML:
            return "dml", "dml", True
        return ("batch", None, True) if method == "executebatch" else ("other", None, True)
    if qualifier == "approval":
        return ("dml", "dml", True) if method == "process" else ("other", None, True)
    if qualifier == "messaging" and method in _MESSAGING_PMD:
        return ("email", "email", True) if method == "sendemail" else ("other", None, True)
    if qualifier == "system" and method in _SYSTEM_PMD:
        kind = _SYSTEM_PMD[method]
        return kind, "queueable" if kind == "queueable" else None, True
    if qualifier == "search" and method in {"query", "find"}:
        return "sosl", "sosl", False
    if qualifier == "webservicecallout" and method == "invoke":
        return "callout", "callout", False
    return None


def call_qualifier(source: ApexSource, call: Node) -> str | None:
    """`Database` for `Database.insert(...)` and `System.Database.insert(...)`, else None."""
    receiver = call.child_by_field_name("object")
    if receiver is None:
        return None
    if receiver.type == "identifier":
        return source.text_of(receiver)
    if receiver.type == "field_access":
        outer = receiver.child_by_field_name("object")
        inner = receiver.child_by_field_name("field")
        if outer is None or inner is None or outer.type != "identifier":
            return None
        return source.text_of(inner) if source.text_of(outer).lower() == "system" else None
    return None


def _is_http(source: ApexSource, receiver: Node, context: CallContext) -> bool:
    if receiver.type == "object_creation_expression":
        created = receiver.child_by_field_name("type")
        return created is not None and source.text_of(created).lower() == "http"
    if receiver.type != "identifier":
        return False
    return source.text_of(receiver).lower() in context.http_variables


def _future_method_names(source: ApexSource) -> frozenset[str]:
    names: set[str] = set()
    for annotation in source.nodes("annotation"):
        name = annotation.child_by_field_name("name")
        if name is None or source.text_of(name).lower() != "future":
            continue
        method = annotation.parent.parent if annotation.parent is not None else None
        method_name = method.child_by_field_name("name") if method is not None else None
        if method is not None and method.type == "method_declaration" and method_name is not None:
            names.add(source.text_of(method_name).lower())
    return frozenset(names)


def _http_variables(source: ApexSource) -> frozenset[str]:
    # A text scan (`Http h =`, `Http h;`, `(Http h)`): walking every declaration of a large
    # file costs far more. A leading `\b` makes the regex several times slower, hence the check.
    text = source.text
    return frozenset(
        match.group(1).lower()
        for match in _HTTP_DECLARATION.finditer(text)
        if match.start() == 0
        or not (text[match.start() - 1].isalnum() or text[match.start() - 1] == "_")
    )


def declared_names(declaration: Node) -> Iterator[Node]:
    """The name identifiers a local, field or parameter declaration introduces."""
    direct = declaration.child_by_field_name("name")
    if direct is not None:
        yield direct
    for declarator in declaration.children_by_field_name("declarator"):
        name = declarator.child_by_field_name("name")
        if name is not None:
            yield name


def loop_chain(node: Node) -> list[Node]:
    """The loops that repeat a node within its method, innermost first."""
    chain: list[Node] = []
    loop = enclosing_loop(node)
    while loop is not None:
        chain.append(loop)
        loop = enclosing_loop(loop)
    return chain


def loop_iterable(loop: Node) -> Node | None:
    """What a for-each loop iterates (`Trigger.new`), None for other loops."""
    return loop.child_by_field_name("value") if loop.type == "enhanced_for_statement" else None


def loop_description(source: ApexSource, loop: Node) -> str:
    """A loop in words: `for loop over Trigger.new`, `while loop`."""
    iterable = loop_iterable(loop)
    if iterable is not None:
        return f"for loop over {shorten(source.text_of(iterable))}"
    return {"for_statement": "for loop", "while_statement": "while loop"}.get(
        loop.type, "do-while loop"
    )


def loop_source(source: ApexSource, loop: Node, unit: Node | None) -> str:
    """What drives a loop's iteration count: trigger, query, collection or unbounded."""
    iterable = loop_iterable(loop)
    if iterable is None:
        condition = loop.child_by_field_name("condition")
        text = compact(source.text_of(condition)) if condition is not None else ""
        if loop.type != "for_statement" or ".size()" not in text:
            return "unbounded"
        trigger = any(f"{name}.size()" in text for name in _TRIGGER_LISTS)
        return "trigger" if trigger else "collection"
    if iterable.type == "query_expression":
        return "query"
    text = compact(source.text_of(iterable))
    initial = _initial_value(source, unit, text) if iterable.type == "identifier" and unit else None
    if initial is not None and initial.type == "query_expression":
        return "query"
    if text in _TRIGGER_LISTS or (
        initial is not None and compact(source.text_of(initial)) in _TRIGGER_LISTS
    ):
        return "trigger"
    return "collection"


def _initial_value(source: ApexSource, unit: Node, name: str) -> Node | None:
    for declarator in descendants(unit, "variable_declarator"):
        declared = declarator.child_by_field_name("name")
        if declared is not None and source.text_of(declared).lower() == name:
            return declarator.child_by_field_name("value")
    return None


def enclosing_unit(node: Node) -> Node | None:
    """The method, constructor or trigger a node belongs to."""
    return enclosing(node, UNIT_TYPES)


def compact(text: str) -> str:
    """Lower-cased text without any whitespace, for comparing Apex case-insensitively."""
    return "".join(text.split()).lower()


def shorten(text: str, width: int = 60) -> str:
    """One-line text cut to `width` characters, for messages."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


# Why each kind of operation hurts inside a loop, and how to batch it (our words).
OPERATION_WHY = {
    "soql": (
        "Every pass issues another SOQL query, and a transaction may issue only 100 "
        "(synchronous) or 200 (asynchronous). At one query per record, a 200-record trigger "
        "chunk needs 200 queries, twice the synchronous allowance, and the whole transaction "
        "aborts with System.LimitException, which cannot be caught."
    ),
    "sosl": (
        "Every pass runs another SOSL search and a transaction allows only 20, so the 21st pass "
        "aborts the transaction with an uncatchable System.LimitException."
    ),
    "dml": (
        "Every pass is a separate DML statement and a transaction allows 150, so the 151st pass "
        "aborts it with an uncatchable System.LimitException. One DML statement on a list "
        "(up to 10,000 rows) counts only once."
    ),
    "email": (
        "Only 10 Messaging.sendEmail calls are allowed per transaction; the 11th throws. "
        "One call can send a whole list of messages."
    ),
    "queueable": (
        "System.enqueueJob may add 50 jobs per synchronous transaction and only 1 from "
        "asynchronous code, so a loop over records exceeds it almost at once."
    ),
    "batch": (
        "Each Database.executeBatch call submits another batch job: only 5 run at a time and at "
        "most 100 can wait in the Apex flex queue, so one job per iteration soon fails."
    ),
    "schedule": (
        "An org can hold at most 100 scheduled Apex jobs; scheduling one per iteration uses the "
        "allowance up and later calls fail."
    ),
    "other": (
        "Database, Approval and Messaging template methods work against the database on every "
        "call, so a loop multiplies the per-transaction query and DML allowances they consume."
    ),
}
OPERATION_FIX = {
    "soql": (
        "Collect the values you filter on (usually Ids) into a Set before the loop, run one query "
        "with `IN :thatSet`, store the rows in a Map keyed by Id and read the Map inside the loop."
    ),
    "sosl": "Run one search before the loop and pick the matching rows from its results in memory.",
    "dml": (
        "Add the records to a List inside the loop and run one DML statement on the List after "
        "the loop."
    ),
    "email": (
        "Build the Messaging.SingleEmailMessage objects into a List inside the loop and call "
        "Messaging.sendEmail once with that List after the loop."
    ),
    "queueable": (
        "Enqueue one Queueable that receives the whole collection (pass the Ids to its "
        "constructor) instead of one job per record."
    ),
    "batch": "Start one batch job whose start method selects every record you need.",
    "schedule": "Schedule one job that processes all the records.",
    "other": (
        "Call the method once, before or after the loop, with a List (the Database and Approval "
        "methods accept lists of records or Ids)."
    ),
}
RUN_AS_WHY = (
    "Each System.runAs call counts as a DML statement (150 per transaction), so a test that "
    "loops over users runs out of DML statements."
)
RUN_AS_FIX = "Run the loop inside one System.runAs block instead of opening a block per iteration."
