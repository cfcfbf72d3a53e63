"""Error-prone code rules (PMD errorprone): empty blocks, hard-coded ids, test placement."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.declarations import (
    block_has_comment,
    block_is_empty,
    is_test_class,
    is_test_method,
    modifier_keywords,
)
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.rules.errorprone_declarations import DECLARATION_RULES
from sfagent.diagnostics.apex.source import CALLABLE_DECLARATIONS, ApexSource, ancestors
from sfagent.diagnostics.findings import Finding, Severity

_SWALLOWED = (
    "An exception caught and ignored hides the failure: the transaction carries on with "
    "partial work, and nobody learns why data is missing or wrong."
)


class EmptyCatchBlock(Rule):
    name = "EmptyCatchBlock"
    category = "errorprone"
    severity = Severity.MEDIUM
    why = _SWALLOWED
    fix = (
        "Handle the exception: log it (and rethrow or add an error to the record with "
        "`addError`), or, if ignoring it is intended, name the variable `ignored` or `expected`."
    )
    properties = {"allowCommentedBlocks": False, "allowExceptionNameRegex": "^(ignored|expected)$"}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        allowed_names = re.compile(str(context.properties["allowExceptionNameRegex"]))
        allow_comments = bool(context.properties["allowCommentedBlocks"])
        source = context.source
        for clause in source.nodes("catch_clause"):
            body = clause.child_by_field_name("body")
            if body is None or not block_is_empty(body):
                continue
            if allow_comments and block_has_comment(body):
                continue
            variable = _caught_variable(source, clause)
            if variable and allowed_names.search(variable):
                continue
            yield self.report(
                context, clause, f"The catch block for `{variable or 'the exception'}` is empty."
            )


def _caught_variable(source: ApexSource, clause: Node) -> str:
    for child in clause.named_children:
        if child.type == "formal_parameter":
            name = child.child_by_field_name("name")
            if name is not None:
                return source.text_of(name)
    return ""


class EmptyIfStmt(Rule):
    name = "EmptyIfStmt"
    category = "errorprone"
    severity = Severity.LOW
    why = "An `if` whose block does nothing is either unfinished code or a logic slip."
    fix = "Remove the `if`, or put the intended statements in its block."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for statement in context.source.nodes("if_statement"):
            consequence = statement.child_by_field_name("consequence")
            is_block = consequence is not None and consequence.type == "block"
            if is_block and consequence is not None and block_is_empty(consequence):
                yield self.report(context, statement, "This `if` block is empty.")


class EmptyWhileStmt(Rule):
    name = "EmptyWhileStmt"
    category = "errorprone"
    severity = Severity.MEDIUM
    why = (
        "A `while` loop with an empty body either never ends (and burns the 10-second CPU "
        "limit) or is unfinished code."
    )
    fix = "Put the loop's work in its body, or remove the loop."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for statement in context.source.nodes("while_statement"):
            body = statement.child_by_field_name("body")
            if body is not None and body.type == "block" and block_is_empty(body):
                yield self.report(context, statement, "This `while` loop has an empty body.")


class EmptyTryOrFinallyBlock(Rule):
    name = "EmptyTryOrFinallyBlock"
    category = "errorprone"
    severity = Severity.LOW
    why = "An empty `try` or `finally` block does nothing and usually marks unfinished code."
    fix = "Remove the empty block, or add the statements it was meant to hold."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for statement in context.source.nodes("try_statement"):
            body = statement.child_by_field_name("body")
            finally_blocks = [
                block
                for clause in statement.named_children
                if clause.type == "finally_clause"
                for block in clause.named_children
                if block.type == "block"
            ]
            empty_try = body is not None and block_is_empty(body)
            if empty_try or any(block_is_empty(block) for block in finally_blocks):
                which = "try" if empty_try else "finally"
                yield self.report(context, statement, f"The `{which}` block is empty.")


class EmptyStatementBlock(Rule):
    name = "EmptyStatementBlock"
    category = "errorprone"
    severity = Severity.LOW
    why = "An empty block or method body does nothing; it is dead or unfinished code."
    fix = "Remove the empty block, or add the statements it was meant to hold."
    properties = {"reportEmptyPrivateNoArgConstructor": True, "reportEmptyVirtualMethod": True}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for kind in ("method_declaration", "constructor_declaration"):
            for declaration in source.nodes(kind):
                body = declaration.child_by_field_name("body")
                if body is None or not block_is_empty(body):
                    continue
                if self._reports_empty_body(context, declaration):
                    name = declaration.child_by_field_name("name")
                    label = source.text_of(name) if name is not None else "this method"
                    yield self.report(context, declaration, f"`{label}` has an empty body.")
        for block in source.nodes("block"):
            if block_is_empty(block) and _inside_callable_body(block):
                yield self.report(context, block, "This block is empty.")

    def _reports_empty_body(self, context: RuleContext, declaration: Node) -> bool:
        keywords = modifier_keywords(context.source, declaration)
        if "abstract" in keywords:
            return False
        if "virtual" in keywords and not context.properties["reportEmptyVirtualMethod"]:
            return False
        if declaration.type == "constructor_declaration" and "private" in keywords:
            parameters = declaration.child_by_field_name("parameters")
            no_args = parameters is None or not parameters.named_children
            if no_args and not context.properties["reportEmptyPrivateNoArgConstructor"]:
                return False
        return True


def _inside_callable_body(block: Node) -> bool:
    """A block nested in a method or constructor body (not the body itself)."""
    parent = block.parent
    if parent is not None and parent.type in CALLABLE_DECLARATIONS:
        return False
    return any(ancestor.type in CALLABLE_DECLARATIONS for ancestor in ancestors(block))


# A 15-character id (or its 18-character form): 5-character key prefix and pod, then a 0.
_ID_LITERAL = re.compile(r"^[a-zA-Z0-9]{5}0[a-zA-Z0-9]{9,12}$")
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id_checksum(id15: str) -> str:
    """The three-character suffix that makes a 15-character id case-insensitive."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _CHECKSUM_ALPHABET[bits]
    return suffix


class AvoidHardcodingId(Rule):
    name = "AvoidHardcodingId"
    category = "errorprone"
    severity = Severity.HIGH
    why = (
        "Record ids differ between orgs: an id that works in the sandbox matches nothing in "
        "production (or after a refresh), so the code fails silently or with QueryException."
    )
    fix = (
        "Look the record up by a stable key (DeveloperName, an External Id field, a Custom "
        "Metadata or Custom Setting value) instead of its id, e.g. "
        "`Schema.SObjectType.Account.getRecordTypeInfosByDeveloperName().get('Partner')`."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for literal in source.nodes("string_literal"):
            value = source.text_of(literal)[1:-1]
            if not _ID_LITERAL.match(value):
                continue
            if len(value) == 18 and id_checksum(value[:15]) != value[15:].upper():
                continue
            yield self.report(context, literal, f"'{value}' looks like a hard-coded record id.")


class TestMethodsMustBeInTestClasses(Rule):
    name = "TestMethodsMustBeInTestClasses"
    category = "errorprone"
    severity = Severity.MEDIUM
    why = (
        "Test methods outside an `@IsTest` class count against the org's Apex code size "
        "limit and are not treated as tests by every deployment tool."
    )
    fix = "Move the test methods into a class annotated `@IsTest`, or annotate this class."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("class_declaration"):
            if is_test_class(source, declaration):
                continue
            if any(_tests_in(source, declaration)):
                yield self.report(
                    context,
                    declaration,
                    "This class declares test methods but is not annotated `@IsTest`.",
                )


def _tests_in(source: ApexSource, declaration: Node) -> Iterator[bool]:
    body = declaration.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        if member.type == "method_declaration":
            yield is_test_method(source, member)


RULES: tuple[type[Rule], ...] = (
    EmptyCatchBlock,
    EmptyIfStmt,
    EmptyWhileStmt,
    EmptyTryOrFinallyBlock,
    EmptyStatementBlock,
    AvoidHardcodingId,
    TestMethodsMustBeInTestClasses,
    *DECLARATION_RULES,
)
