"""Error-prone declarations (PMD errorprone): annotations, constructors, names, equals/hashCode."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.declarations import (
    annotation_name,
    body_members,
    declaration_name,
    declarator_names,
    enclosing_type,
    has_annotation,
    is_property,
    modifier_keywords,
    modifiers_of,
    pmd_anchor,
)
from sfagent.diagnostics.apex.platform_names import (
    CANONICAL_ANNOTATIONS,
    SCHEMA_TYPES,
    SYSTEM_TYPES,
)
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.findings import Finding, Severity

_TYPE_DECLARATIONS = ("class_declaration", "interface_declaration", "enum_declaration")
_CHECKED_DECLARATIONS = frozenset(
    {*_TYPE_DECLARATIONS, "method_declaration", "constructor_declaration"}
)


class AvoidNonExistentAnnotations(Rule):
    name = "AvoidNonExistentAnnotations"
    category = "errorprone"
    severity = Severity.LOW
    why = (
        "Apex still compiles annotations it does not know, for old code's sake; such an "
        "annotation does nothing today and may stop compiling, or clash with a real annotation "
        "Salesforce adds later."
    )
    fix = (
        "Remove the annotation, or correct its spelling to a real one (`@IsTest`, "
        "`@AuraEnabled`, `@TestVisible`, ...)."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for annotation in source.nodes("annotation"):
            if annotation_name(source, annotation) in CANONICAL_ANNOTATIONS:
                continue
            modifiers = annotation.parent
            declaration = modifiers.parent if modifiers is not None else None
            if declaration is None:
                continue
            message = f"`{source.text_of(annotation)}` is not an Apex annotation."
            for anchor in _annotated_anchors(declaration):
                yield self.report(context, anchor, message)


def _annotated_anchors(declaration: Node) -> list[Node]:
    """Where PMD reports an annotation of this declaration (none for parameters and locals)."""
    if declaration.type in _CHECKED_DECLARATIONS:
        return [pmd_anchor(declaration)]
    if declaration.type == "field_declaration":
        # A property is checked once, each variable of a plain field declaration separately.
        return (
            [pmd_anchor(declaration)] if is_property(declaration) else declarator_names(declaration)
        )
    return []


class InaccessibleAuraEnabledGetter(Rule):
    name = "InaccessibleAuraEnabledGetter"
    category = "errorprone"
    severity = Severity.MEDIUM
    why = (
        "Lightning components (Aura and LWC) can only read an @AuraEnabled property through a "
        "public or global getter; with a private or protected getter the component silently "
        "receives no value."
    )
    fix = (
        "Make the getter accessible: drop `private`/`protected` from `get` (e.g. `{ get; set; }`)."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("field_declaration"):
            if not is_property(declaration) or not has_annotation(
                source, declaration, "auraenabled"
            ):
                continue
            getter = _getter(declaration)
            if getter is None:
                continue
            # An accessor without modifiers of its own takes the property's visibility.
            owner = getter if modifiers_of(getter) is not None else declaration
            hidden = modifier_keywords(source, owner) & {"private", "protected"}
            if hidden:
                name = ", ".join(source.text_of(n) for n in declarator_names(declaration))
                yield self.report(
                    context,
                    pmd_anchor(declaration),
                    f"@AuraEnabled property `{name}` has a {min(hidden)} getter.",
                )


def _getter(declaration: Node) -> Node | None:
    for child in declaration.named_children:
        if child.type == "accessor_list":
            for accessor in child.named_children:
                if any(token.type == "get" for token in accessor.children):
                    return accessor
    return None


class InvocableClassNoArgConstructor(Rule):
    name = "InvocableClassNoArgConstructor"
    category = "errorprone"
    severity = Severity.HIGH
    why = (
        "Flow creates @InvocableVariable wrapper classes through their no-argument "
        "constructor; once a class declares any constructor Apex no longer adds the default one, "
        "and the Flow fails at run time when it cannot build the input."
    )
    fix = (
        "Add an accessible no-argument constructor, e.g. `public FlowInput() {}` "
        "(`global FlowInput() {}` when the class is global)."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("class_declaration"):
            members = body_members(declaration)
            if not any(_is_invocable_variable(source, member) for member in members):
                continue
            constructors = [m for m in members if m.type == "constructor_declaration"]
            if constructors and not _has_usable_no_arg(source, declaration, constructors):
                name = declaration_name(source, declaration)
                yield self.report(
                    context,
                    pmd_anchor(declaration),
                    f"`{name}` has @InvocableVariable members but no usable no-argument "
                    "constructor.",
                )


def _is_invocable_variable(source: ApexSource, member: Node) -> bool:
    return member.type == "field_declaration" and has_annotation(
        source, member, "invocablevariable"
    )


def _has_usable_no_arg(source: ApexSource, declaration: Node, constructors: list[Node]) -> bool:
    needs_global = "global" in modifier_keywords(source, declaration)
    for constructor in constructors:
        parameters = constructor.child_by_field_name("parameters")
        if parameters is not None and parameters.named_children:
            continue
        keywords = modifier_keywords(source, constructor)
        if ("global" in keywords) if needs_global else ("private" not in keywords):
            return True
    return False


class MethodWithSameNameAsEnclosingClass(Rule):
    name = "MethodWithSameNameAsEnclosingClass"
    category = "errorprone"
    severity = Severity.MEDIUM
    why = (
        "A method named like its class looks like a constructor but is not one: `new Foo()` "
        "never runs it, so the initialisation it was meant to do never happens."
    )
    fix = (
        "If it should be a constructor, remove the return type (`public Foo(...)`); "
        "otherwise rename the method to say what it does."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("class_declaration"):
            class_name = declaration_name(source, declaration).lower()
            for member in body_members(declaration):
                if member.type != "method_declaration":
                    continue
                name = declaration_name(source, member)
                if name.lower() == class_name:
                    yield self.report(
                        context,
                        pmd_anchor(member),
                        f"Method `{name}` has the name of its class but is not a constructor.",
                    )


class OverrideBothEqualsAndHashcode(Rule):
    name = "OverrideBothEqualsAndHashcode"
    category = "errorprone"
    severity = Severity.MEDIUM
    why = (
        "Sets and Map keys compare objects with `hashCode` first and `equals` second; defining "
        "only one of them makes equal objects land in different buckets, so lookups and "
        "de-duplication silently fail."
    )
    fix = (
        "Define both `public Boolean equals(Object other)` and `public Integer hashCode()`, "
        "computed from the same fields."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("class_declaration"):
            methods = [m for m in body_members(declaration) if m.type == "method_declaration"]
            equals = next((m for m in methods if _is_equals(source, m)), None)
            hash_code = next((m for m in methods if _is_hash_code(source, m)), None)
            if equals is not None and hash_code is None:
                yield self.report(
                    context, pmd_anchor(equals), "`equals` is defined without `hashCode`."
                )
            elif hash_code is not None and equals is None:
                yield self.report(
                    context, pmd_anchor(hash_code), "`hashCode` is defined without `equals`."
                )


def _parameters(method: Node) -> list[Node]:
    parameters = method.child_by_field_name("parameters")
    if parameters is None:
        return []
    return [child for child in parameters.named_children if child.type == "formal_parameter"]


def _is_equals(source: ApexSource, method: Node) -> bool:
    parameters = _parameters(method)
    if declaration_name(source, method).lower() != "equals" or len(parameters) != 1:
        return False
    parameter_type = parameters[0].child_by_field_name("type")
    return parameter_type is not None and source.text_of(parameter_type).lower() == "object"


def _is_hash_code(source: ApexSource, method: Node) -> bool:
    return declaration_name(source, method).lower() == "hashcode" and not _parameters(method)


class TypeShadowsBuiltInNamespace(Rule):
    name = "TypeShadowsBuiltInNamespace"
    category = "errorprone"
    severity = Severity.MEDIUM
    why = (
        "Apex resolves a type name to the org's own class before the built-in one, so a class "
        "named like a System or Schema type (Database, Test, Url, ...) changes what existing "
        "code such as `Database.query(...)` calls, and breaks it."
    )
    fix = (
        "Rename the type with a prefix or suffix that makes it yours (e.g. `AccountDatabase`), "
        "or qualify built-in uses as `System.Database`."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for node_type in _TYPE_DECLARATIONS:
            for declaration in source.nodes(node_type):
                if enclosing_type(declaration) is not None:
                    continue  # PMD compares the qualified name, which inner types never match
                name = declaration_name(source, declaration)
                for namespace in _shadowed_namespaces(name):
                    yield self.report(
                        context,
                        pmd_anchor(declaration),
                        f"`{name}` has the name of a type in the `{namespace}` namespace.",
                        details={"namespace": namespace},
                    )


def _shadowed_namespaces(name: str) -> list[str]:
    lowered = name.lower()
    return [
        namespace
        for namespace, names in (("System", SYSTEM_TYPES), ("Schema", SCHEMA_TYPES))
        if lowered in names
    ]


DECLARATION_RULES: tuple[type[Rule], ...] = (
    AvoidNonExistentAnnotations,
    InaccessibleAuraEnabledGetter,
    InvocableClassNoArgConstructor,
    MethodWithSameNameAsEnclosingClass,
    OverrideBothEqualsAndHashcode,
    TypeShadowsBuiltInNamespace,
)
