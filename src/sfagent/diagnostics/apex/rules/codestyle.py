"""Code-style rules (PMD category codestyle): braces, declarations per line, field order.

The naming-convention rules live in `codestyle_naming` and are registered here too.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.declarations import (
    body_members,
    declarator_names,
    is_property,
    pmd_anchor,
)
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.rules.codestyle_naming import NAMING_RULES
from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.findings import Finding, Severity

_BRACES_WHY = (
    "Without braces only the first statement belongs to the {keyword}; a second line indented "
    "under it later runs unconditionally, a classic source of silent logic bugs."
)


def _unbraced(body: Node | None) -> Node | None:
    """The body when it is a single statement rather than a `{ ... }` block."""
    if body is None or body.type == "block":
        return None
    return body


class IfStmtsMustUseBraces(Rule):
    name = "IfStmtsMustUseBraces"
    category = "codestyle"
    severity = Severity.LOW
    why = _BRACES_WHY.format(keyword="`if`")
    fix = "Wrap the statement the `if` controls in braces: `if (cond) { doIt(); }`."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for statement in context.source.nodes("if_statement"):
            body = _unbraced(statement.child_by_field_name("consequence"))
            if body is not None:
                yield self.report(context, body, "This `if` runs a statement without braces.")


class IfElseStmtsMustUseBraces(Rule):
    name = "IfElseStmtsMustUseBraces"
    category = "codestyle"
    severity = Severity.LOW
    why = _BRACES_WHY.format(keyword="`if` or `else`")
    fix = "Put braces around both branches: `if (cond) { a(); } else { b(); }`."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for statement in context.source.nodes("if_statement"):
            body = _unbraced(statement.child_by_field_name("consequence"))
            if body is not None:
                yield self.report(context, body, "This `if` branch has no braces.")
            alternative = statement.child_by_field_name("alternative")
            # `else if` continues the chain: its own `if` is checked on its own visit.
            if alternative is not None and alternative.type != "if_statement":
                body = _unbraced(alternative)
                if body is not None:
                    yield self.report(context, body, "This `else` branch has no braces.")


class WhileLoopsMustUseBraces(Rule):
    name = "WhileLoopsMustUseBraces"
    category = "codestyle"
    severity = Severity.LOW
    why = _BRACES_WHY.format(keyword="loop")
    fix = "Wrap the loop body in braces: `while (cond) { step(); }`."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        for statement in context.source.nodes("while_statement"):
            body = _unbraced(statement.child_by_field_name("body"))
            if body is not None:
                yield self.report(context, body, "This `while` loop body has no braces.")


class ForLoopsMustUseBraces(Rule):
    name = "ForLoopsMustUseBraces"
    category = "codestyle"
    severity = Severity.LOW
    why = _BRACES_WHY.format(keyword="loop")
    fix = "Wrap the loop body in braces: `for (Account a : accounts) { a.Name = n; }`."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        loops = [*source.nodes("for_statement"), *source.nodes("enhanced_for_statement")]
        for statement in loops:
            body = _unbraced(statement.child_by_field_name("body"))
            if body is not None:
                yield self.report(context, body, "This `for` loop body has no braces.")


class OneDeclarationPerLine(Rule):
    name = "OneDeclarationPerLine"
    category = "codestyle"
    severity = Severity.INFO
    why = (
        "Several variables in one declaration are easy to misread (which one got the "
        "initial value?) and make diffs and reviews noisier."
    )
    fix = "Declare each variable in its own statement: `Integer a;` then `Integer b;`."
    properties = {"strictMode": False, "reportInForLoopInitializer": True}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        strict = bool(context.properties["strictMode"])
        in_for = bool(context.properties["reportInForLoopInitializer"])
        source = context.source
        for declaration in source.nodes("local_variable_declaration"):
            if not in_for and _is_for_initializer(declaration):
                continue
            if _combines(declaration, strict):
                yield self._finding(context, declaration, declaration)
        for declaration in source.nodes("field_declaration"):
            if not is_property(declaration) and _combines(declaration, strict):
                yield self._finding(context, declaration, pmd_anchor(declaration))

    def _finding(self, context: RuleContext, declaration: Node, anchor: Node) -> Finding:
        names = ", ".join(context.source.text_of(name) for name in declarator_names(declaration))
        return self.report(context, anchor, f"`{names}` are declared in one statement.")


def _is_for_initializer(declaration: Node) -> bool:
    parent = declaration.parent
    return parent is not None and parent.type == "for_statement"


def _combines(declaration: Node, strict: bool) -> bool:
    """More than one variable, and (unless strict) at least two of them on the same line."""
    names = declarator_names(declaration)
    if len(names) < 2:
        return False
    return strict or len({name.start_point[0] for name in names}) != len(names)


# Members that end the field section of a class; properties count as fields, as in PMD.
_NON_FIELD_MEMBERS = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "class_declaration",
        "static_initializer",
        "block",
    }
)


class FieldDeclarationsShouldBeAtStart(Rule):
    name = "FieldDeclarationsShouldBeAtStart"
    category = "codestyle"
    severity = Severity.INFO
    why = (
        "Readers look for a class's state at the top; a field declared between methods is "
        "easily missed when reasoning about what the class holds."
    )
    fix = "Move the field declaration above the first method, constructor or inner class."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("class_declaration"):
            members = body_members(declaration)
            first = _first_non_field_position(members)
            if first is None:
                continue
            for member in members:
                if member.type != "field_declaration" or is_property(member):
                    continue
                for name in declarator_names(member):
                    if name.start_point > first:
                        yield self.report(context, name, _late_field_message(source, name))


def _first_non_field_position(members: list[Node]) -> tuple[int, int] | None:
    positions = [
        pmd_anchor(member).start_point for member in members if member.type in _NON_FIELD_MEMBERS
    ]
    return min(positions) if positions else None


def _late_field_message(source: ApexSource, name: Node) -> str:
    return f"Field `{source.text_of(name)}` is declared after a method or inner class."


RULES: tuple[type[Rule], ...] = (
    IfStmtsMustUseBraces,
    IfElseStmtsMustUseBraces,
    WhileLoopsMustUseBraces,
    ForLoopsMustUseBraces,
    OneDeclarationPerLine,
    FieldDeclarationsShouldBeAtStart,
    *NAMING_RULES,
)
