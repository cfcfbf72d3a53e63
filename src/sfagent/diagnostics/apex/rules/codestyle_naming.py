"""Naming-convention rules (PMD codestyle): one regex per kind of declaration, PMD's defaults."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import ClassVar

from tree_sitter import Node

from sfagent.diagnostics.apex.declarations import (
    annotation_name,
    declaration_name,
    declarator_names,
    enclosing_type,
    has_annotation,
    is_property,
    is_test_method,
    modifier_keywords,
    pmd_anchor,
)
from sfagent.diagnostics.apex.platform_names import CANONICAL_ANNOTATIONS
from sfagent.diagnostics.apex.rules.base import InvalidRuleProperty, Rule, RuleContext
from sfagent.diagnostics.findings import Finding, Severity

CAMEL_CASE = "[a-z][a-zA-Z0-9]*"
PASCAL_CASE_WITH_UNDERSCORES = "[A-Z][a-zA-Z0-9_]*"
ALL_CAPS = "[A-Z][A-Z0-9_]*"

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_NAMING_WHY = (
    "Apex ignores case, so the spelling convention is the only thing telling a reader whether "
    "a name is a type, a constant or a variable; mixed styles slow every review."
)


def suggest_name(name: str, pattern: re.Pattern[str]) -> str | None:
    """A re-cased spelling of `name` that matches `pattern` (None when none of them does)."""
    words = _WORD.findall(name)
    candidates = [name[:1].lower() + name[1:], name[:1].upper() + name[1:]]
    if words:
        candidates += [
            words[0].lower() + "".join(word.capitalize() for word in words[1:]),
            "".join(word.capitalize() for word in words),
            "_".join(word.upper() for word in words),
        ]
    for candidate in candidates:
        if candidate != name and pattern.fullmatch(candidate):
            return candidate
    return None


class _NamingRule(Rule):
    """Shared check: the name must fully match the regex property for its kind."""

    category = "codestyle"
    severity = Severity.INFO
    why = _NAMING_WHY
    fix = "Rename the declaration so it follows the configured naming pattern."
    kinds: ClassVar[dict[str, str]] = {}  # property name -> what PMD calls that kind

    def _check_name(
        self, context: RuleContext, at: Node, name: str, kind: str
    ) -> Iterator[Finding]:
        pattern = self._pattern(context, kind)
        if not name or pattern.fullmatch(name):
            return
        label = self.kinds[kind]
        yield self.report(
            context,
            at,
            f"The {label} name `{name}` does not match `{pattern.pattern}`.",
            fix=_rename_fix(name, pattern),
            details={"kind": label, "pattern": pattern.pattern},
        )

    def _fits_every_kind(self, context: RuleContext, name: str) -> bool:
        """The name passes every kind's pattern, so its kind need not be worked out."""
        return all(self._pattern(context, kind).fullmatch(name) for kind in self.kinds)

    def _pattern(self, context: RuleContext, kind: str) -> re.Pattern[str]:
        try:
            return _compiled(str(context.properties[kind]))
        except re.error as exc:
            raise InvalidRuleProperty(f"{self.name}.{kind} is not a valid regex: {exc}") from exc


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _rename_fix(name: str, pattern: re.Pattern[str]) -> str:
    suggestion = suggest_name(name, pattern)
    if suggestion is None:
        return f"Rename `{name}` so that it matches `{pattern.pattern}`."
    if suggestion.lower() == name.lower():
        return (
            f"Rename `{name}` to `{suggestion}`; only the case changes, and Apex identifiers "
            "are case-insensitive, so existing references keep compiling."
        )
    return f"Rename `{name}` to `{suggestion}` and update its references."


class ClassNamingConventions(_NamingRule):
    name = "ClassNamingConventions"
    kinds = {
        "testClassPattern": "test class",
        "abstractClassPattern": "abstract class",
        "classPattern": "class",
        "interfacePattern": "interface",
        "enumPattern": "enum",
        "innerClassPattern": "inner class",
        "innerInterfacePattern": "inner interface",
    }
    properties = {key: PASCAL_CASE_WITH_UNDERSCORES for key in kinds}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for node_type in ("class_declaration", "interface_declaration", "enum_declaration"):
            for declaration in source.nodes(node_type):
                name = declaration_name(source, declaration)
                if self._fits_every_kind(context, name):
                    continue
                kind = self._kind(context, declaration)
                yield from self._check_name(context, pmd_anchor(declaration), name, kind)

    @staticmethod
    def _kind(context: RuleContext, declaration: Node) -> str:
        nested = enclosing_type(declaration) is not None
        if declaration.type == "enum_declaration":
            return "enumPattern"
        if declaration.type == "interface_declaration":
            return "innerInterfacePattern" if nested else "interfacePattern"
        if nested:
            return "innerClassPattern"
        if has_annotation(context.source, declaration, "istest"):
            return "testClassPattern"
        if "abstract" in modifier_keywords(context.source, declaration):
            return "abstractClassPattern"
        return "classPattern"


class MethodNamingConventions(_NamingRule):
    name = "MethodNamingConventions"
    kinds = {
        "testPattern": "test method",
        "staticPattern": "static method",
        "instancePattern": "instance method",
    }
    properties = {key: CAMEL_CASE for key in kinds}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for method in source.nodes("method_declaration"):
            name = declaration_name(source, method)
            if self._fits_every_kind(context, name):
                continue
            keywords = modifier_keywords(source, method)
            if "override" in keywords:
                continue  # an override's name is dictated by the method it overrides
            if is_test_method(source, method):
                kind = "testPattern"
            else:
                kind = "staticPattern" if "static" in keywords else "instancePattern"
            yield from self._check_name(context, pmd_anchor(method), name, kind)


class FieldNamingConventions(_NamingRule):
    name = "FieldNamingConventions"
    kinds = {
        "enumConstantPattern": "enum constant field",
        "constantPattern": "constant field",
        "finalPattern": "final field",
        "staticPattern": "static field",
        "instancePattern": "instance field",
    }
    properties = {
        "enumConstantPattern": ALL_CAPS,
        "constantPattern": ALL_CAPS,
        "finalPattern": CAMEL_CASE,
        "staticPattern": CAMEL_CASE,
        "instancePattern": CAMEL_CASE,
    }

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("field_declaration"):
            if is_property(declaration):
                continue
            kind = _field_kind(modifier_keywords(source, declaration))
            for name in declarator_names(declaration):
                yield from self._check_name(context, name, source.text_of(name), kind)
        for constant in source.nodes("enum_constant"):
            name_node = constant.child_by_field_name("name")
            if name_node is not None:
                text = source.text_of(name_node)
                yield from self._check_name(context, name_node, text, "enumConstantPattern")


def _field_kind(keywords: set[str]) -> str:
    if "final" in keywords:
        return "constantPattern" if "static" in keywords else "finalPattern"
    return "staticPattern" if "static" in keywords else "instancePattern"


class FormalParameterNamingConventions(_NamingRule):
    name = "FormalParameterNamingConventions"
    kinds = {
        "finalMethodParameterPattern": "final method parameter",
        "methodParameterPattern": "method parameter",
    }
    properties = {key: CAMEL_CASE for key in kinds}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for parameter in source.nodes("formal_parameter"):
            parent = parameter.parent
            if parent is None or parent.type != "formal_parameters":
                continue  # a catch clause's exception variable is not a method parameter
            final = "final" in modifier_keywords(source, parameter)
            kind = "finalMethodParameterPattern" if final else "methodParameterPattern"
            name = declaration_name(source, parameter)
            yield from self._check_name(context, parameter, name, kind)


class LocalVariableNamingConventions(_NamingRule):
    name = "LocalVariableNamingConventions"
    kinds = {"finalLocalPattern": "final local variable", "localPattern": "local variable"}
    properties = {key: CAMEL_CASE for key in kinds}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("local_variable_declaration"):
            kind = self._kind(modifier_keywords(source, declaration))
            for name in declarator_names(declaration):
                yield from self._check_name(context, name, source.text_of(name), kind)
        for loop in source.nodes("enhanced_for_statement"):
            name_node = loop.child_by_field_name("name")
            if name_node is not None:
                kind = self._kind(modifier_keywords(source, loop))
                text = source.text_of(name_node)
                yield from self._check_name(context, name_node, text, kind)

    @staticmethod
    def _kind(keywords: set[str]) -> str:
        return "finalLocalPattern" if "final" in keywords else "localPattern"


class PropertyNamingConventions(_NamingRule):
    name = "PropertyNamingConventions"
    kinds = {"staticPattern": "static property", "instancePattern": "instance property"}
    properties = {key: CAMEL_CASE for key in kinds}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("field_declaration"):
            if not is_property(declaration):
                continue
            static = "static" in modifier_keywords(source, declaration)
            kind = "staticPattern" if static else "instancePattern"
            for name in declarator_names(declaration):
                yield from self._check_name(context, name, source.text_of(name), kind)


class AnnotationsNamingConventions(Rule):
    name = "AnnotationsNamingConventions"
    category = "codestyle"
    severity = Severity.INFO
    why = (
        "Apex accepts `@isTest` or `@ISTEST`, but the documented PascalCase spelling is what "
        "readers and search tools expect; mixed spellings make annotations easy to miss."
    )
    fix = "Write the annotation in its documented PascalCase form, e.g. `@AuraEnabled`."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for annotation in source.nodes("annotation"):
            name_node = annotation.child_by_field_name("name")
            if name_node is None:
                continue
            raw = source.text_of(name_node)
            canonical = CANONICAL_ANNOTATIONS.get(annotation_name(source, annotation))
            if canonical is not None and canonical != raw:
                yield self.report(
                    context,
                    annotation,
                    f"`@{raw}` should be spelled `@{canonical}`.",
                    fix=f"Replace `@{raw}` with `@{canonical}`.",
                )


NAMING_RULES: tuple[type[Rule], ...] = (
    ClassNamingConventions,
    MethodNamingConventions,
    FieldNamingConventions,
    FormalParameterNamingConventions,
    LocalVariableNamingConventions,
    PropertyNamingConventions,
    AnnotationsNamingConventions,
)
