"""Trigger, async and transaction rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.operations import call_qualifier, declared_names
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.source import ApexSource, ancestors, descendants
from sfagent.diagnostics.findings import Finding, Severity

_RESULT_TYPES = (
    "database.leadconvertresult",
    "database.deleteresult",
    "database.emptyrecyclebinresult",
    "database.mergeresult",
    "database.saveresult",
    "database.undeleteresult",
    "database.upsertresult",
)
# The grammar cannot parse statements that start with `Trigger.` (they become ERROR nodes),
# so direct indexing there is found in the error text instead.
_INDEXED_TRIGGER_LIST = re.compile(r"(?i)\btrigger\s*\.\s*(new|old)\s*\[\s*\d+\s*\]")


def _modifiers(declaration: Node) -> Node | None:
    return next((child for child in declaration.named_children if child.type == "modifiers"), None)


def _has_modifier(source: ApexSource, declaration: Node, keyword: str) -> bool:
    modifiers = _modifiers(declaration)
    return modifiers is not None and any(
        child.type == "modifier" and source.text_of(child).lower() == keyword
        for child in modifiers.named_children
    )


def _annotation_names(source: ApexSource, declaration: Node) -> set[str]:
    modifiers = _modifiers(declaration)
    names = set()
    for child in modifiers.named_children if modifiers is not None else []:
        name = child.child_by_field_name("name") if child.type == "annotation" else None
        if name is not None:
            names.add(source.text_of(name).lower())
    return names


def _interfaces(source: ApexSource, declaration: Node) -> set[str]:
    """Implemented interface names, lower-cased without spaces or type arguments."""
    interfaces = declaration.child_by_field_name("interfaces")
    types = interfaces.named_children[0].named_children if interfaces is not None else []
    names = set()
    for declared in types:
        head = declared.named_children[0] if declared.type == "generic_type" else declared
        names.add("".join(source.text_of(head).split()).lower())
    return names


def _class_name(source: ApexSource, declaration: Node) -> str:
    name = declaration.child_by_field_name("name")
    return source.text_of(name) if name is not None else "?"


def _members(declaration: Node, member_type: str) -> Iterator[Node]:
    body = declaration.child_by_field_name("body")
    for child in body.named_children if body is not None else []:
        if child.type == member_type:
            yield child


class AvoidLogicInTrigger(Rule):
    """Triggers with blocks (loops, conditions, try) instead of a call to a handler class."""

    name = "AvoidLogicInTrigger"
    category = "bestpractices"
    severity = Severity.MEDIUM
    why = (
        "A trigger body cannot declare methods, is hard to unit-test and cannot control its order "
        "against other triggers on the same object (Salesforce does not guarantee one), so logic "
        "there grows into untestable, order-dependent code."
    )
    fix = (
        "Keep the trigger to one statement that hands the work to a handler class, e.g. "
        "`AccountTriggerHandler.run(Trigger.operationType, Trigger.new, Trigger.oldMap);`, "
        "and put the logic in that class's methods."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report each trigger whose body contains a nested block."""
        source = context.source
        for trigger in source.nodes("trigger_declaration"):
            body = trigger.child_by_field_name("body")
            outer = body.named_children[0] if body is not None and body.named_children else None
            if outer is None or not any(True for _ in descendants(outer, "block")):
                continue
            name = _class_name(source, trigger)
            yield self.report(
                context, trigger, f"Trigger {name} holds logic instead of calling a handler class"
            )


class AvoidDirectAccessTriggerMap(Rule):
    """`Trigger.new[0]` / `Trigger.old[0]`: one record picked out of a batch of up to 200."""

    name = "AvoidDirectAccessTriggerMap"
    category = "errorprone"
    severity = Severity.HIGH
    why = (
        "A trigger receives up to 200 records at a time (Data Loader, the API, a DML statement on "
        "a list); reading one element by index handles that record and silently skips the rest."
    )
    fix = (
        "Loop over the whole list, e.g. `for (Account acc : Trigger.new) { ... }`, or look "
        "records up by Id in Trigger.newMap / Trigger.oldMap."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report trigger context lists indexed with a literal."""
        source = context.source
        for access in source.nodes("array_access"):
            array, index = access.child_by_field_name("array"), access.child_by_field_name("index")
            if array is None or index is None or index.type != "int":
                continue
            owner = array.child_by_field_name("object") if array.type == "field_access" else None
            if owner is not None and source.text_of(owner).lower() == "trigger":
                yield self._indexed(context, access, source.text_of(access))
        yield from self._in_unparsed_statements(context)

    def _in_unparsed_statements(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for error in source.nodes("ERROR"):
            if any(parent.type == "ERROR" for parent in ancestors(error)):
                continue
            text = source.text_of(error)
            for match in _INDEXED_TRIGGER_LIST.finditer(text):
                offset = len(text[: match.start()].encode("utf-8"))
                node = error.descendant_for_byte_range(
                    error.start_byte + offset, error.start_byte + offset + 1
                )
                yield self._indexed(context, node or error, match.group(0))

    def _indexed(self, context: RuleContext, node: Node, text: str) -> Finding:
        return self.report(context, node, f"{' '.join(text.split())} reads a single trigger record")


class AvoidFutureAnnotation(Rule):
    """@future methods, a legacy form of asynchronous Apex."""

    name = "AvoidFutureAnnotation"
    category = "bestpractices"
    severity = Severity.LOW
    why = (
        "@future methods take only primitive parameters, return no job Id to monitor, cannot be "
        "chained and cannot be called from batch or other @future code; Queueable Apex has none "
        "of these restrictions and supports Finalizers."
    )
    fix = (
        "Move the work into a class that implements Queueable (add Database.AllowsCallouts for "
        "callouts) and start it with `System.enqueueJob(new MyJob(recordIds));`."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report every @future annotation."""
        source = context.source
        for annotation in source.nodes("annotation"):
            name = annotation.child_by_field_name("name")
            if name is None or source.text_of(name).lower() != "future":
                continue
            method = annotation.parent.parent if annotation.parent is not None else None
            method_name = method.child_by_field_name("name") if method is not None else None
            what = f"method {source.text_of(method_name)}" if method_name is not None else "code"
            yield self.report(context, annotation, f"@future {what}: prefer a Queueable")


class QueueableWithoutFinalizer(Rule):
    """Queueable execute methods that never call System.attachFinalizer."""

    name = "QueueableWithoutFinalizer"
    category = "bestpractices"
    severity = Severity.LOW
    why = (
        "Without a Finalizer, an unhandled exception or a governor-limit error ends the job "
        "silently: nothing retries it, logs it or tells anyone, even though the work was lost."
    )
    fix = (
        "Write a small class implementing System.Finalizer and call "
        "`System.attachFinalizer(new MyJobFinalizer());` at the start of execute; in its "
        "execute(FinalizerContext ctx) check ctx.getResult() and log or re-enqueue on failure."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report execute(QueueableContext) methods of Queueable classes without a Finalizer."""
        source = context.source
        attached = _finalizer_calls(source)
        for declaration in source.nodes("class_declaration"):
            if not _interfaces(source, declaration) & {"queueable", "system.queueable"}:
                continue
            for method in _members(declaration, "method_declaration"):
                if not _is_queueable_execute(source, method):
                    continue
                if not any(method.start_byte <= at < method.end_byte for at in attached):
                    yield self.report(
                        context,
                        method,
                        f"Queueable {_class_name(source, declaration)}.execute never attaches "
                        "a Finalizer",
                    )


def _is_queueable_execute(source: ApexSource, method: Node) -> bool:
    name = method.child_by_field_name("name")
    parameters = method.child_by_field_name("parameters")
    if name is None or parameters is None or source.text_of(name).lower() != "execute":
        return False
    declared = [parameter.child_by_field_name("type") for parameter in parameters.named_children]
    return (
        len(declared) == 1
        and declared[0] is not None
        and "".join(source.text_of(declared[0]).split()).lower()
        in {"queueablecontext", "system.queueablecontext"}
    )


def _finalizer_calls(source: ApexSource) -> list[int]:
    """Start offsets of every `System.attachFinalizer(...)` call."""
    offsets = []
    for call in source.nodes("method_invocation"):
        name = call.child_by_field_name("name")
        if name is None or source.text_of(name).lower() != "attachfinalizer":
            continue
        qualifier = call_qualifier(source, call)
        if qualifier is not None and qualifier.lower() == "system":
            offsets.append(call.start_byte)
    return offsets


class AvoidStatefulDatabaseResult(Rule):
    """Database.*Result instance fields in a Database.Stateful batch class."""

    name = "AvoidStatefulDatabaseResult"
    category = "errorprone"
    severity = Severity.HIGH
    why = (
        "Database.Stateful serialises instance fields between execute calls, and Database result "
        "objects do not survive that reliably: a known platform issue makes such batches fail "
        "while restoring their state, typically after some records failed validation."
    )
    fix = (
        "Keep only what you need (record Id, success flag, error messages) in primitive "
        "collections or your own small class, or mark the field transient if it need not outlive "
        "one execute call."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report non-static, non-transient result fields of stateful classes."""
        source = context.source
        for declaration in source.nodes("class_declaration"):
            if "database.stateful" not in _interfaces(source, declaration):
                continue
            # Like PMD, fields of nested classes count too: their instances can be state as well.
            for field_declaration in descendants(declaration, "field_declaration"):
                if _has_modifier(source, field_declaration, "static"):
                    continue
                if _has_modifier(source, field_declaration, "transient"):
                    continue
                declared = field_declaration.child_by_field_name("type")
                type_text = "".join(source.text_of(declared).split()) if declared else ""
                if not any(result in type_text.lower() for result in _RESULT_TYPES):
                    continue
                for name in declared_names(field_declaration):
                    yield self.report(
                        context,
                        name,
                        f"Stateful batch field {source.text_of(name)} keeps {type_text} "
                        "between chunks",
                    )


class AvoidGlobalModifier(Rule):
    """Top-level global classes and interfaces, except REST resources and SOAP web services."""

    name = "AvoidGlobalModifier"
    category = "bestpractices"
    severity = Severity.LOW
    why = (
        "Once a managed package is released, global classes and members can never be deleted "
        "and their signatures cannot change, so `global` locks today's design in for good; "
        "batch, schedulable and other interfaces no longer need it."
    )
    fix = (
        "Declare it `public` unless subscribers of your managed package must call it from "
        "their own code."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report a global top-level type that is not a REST or SOAP web service."""
        source = context.source
        for declaration in source.root.named_children:
            if declaration.type not in {"class_declaration", "interface_declaration"}:
                continue
            if not _has_modifier(source, declaration, "global"):
                continue
            if "restresource" in _annotation_names(source, declaration):
                continue
            methods = _members(declaration, "method_declaration")
            if any(_has_modifier(source, method, "webservice") for method in methods):
                continue
            kind = "interface" if declaration.type == "interface_declaration" else "class"
            yield self.report(
                context, declaration, f"Global {kind} {_class_name(source, declaration)}"
            )


RULES: tuple[type[Rule], ...] = (
    AvoidLogicInTrigger,
    AvoidDirectAccessTriggerMap,
    AvoidFutureAnnotation,
    QueueableWithoutFinalizer,
    AvoidStatefulDatabaseResult,
    AvoidGlobalModifier,
)
