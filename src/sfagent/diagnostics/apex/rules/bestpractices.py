"""Best-practice and unit-test rules (PMD category bestpractices)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.declarations import (
    annotation_name,
    argument_count,
    body_members,
    call_name,
    is_test_class,
    is_test_method,
    pmd_anchor,
)
from sfagent.diagnostics.apex.local_usage import LocalUsage
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.apex.source import ApexSource, descendants
from sfagent.diagnostics.findings import Finding, Severity

# Every assertion Apex offers, with the argument count that includes the message.
ASSERTIONS_WITH_MESSAGE_ARITY = {
    "system.assert": 2,
    "system.assertequals": 3,
    "system.assertnotequals": 3,
    "assert.areequal": 3,
    "assert.arenotequal": 3,
    "assert.fail": 1,
    "assert.isfalse": 2,
    "assert.istrue": 2,
    "assert.isnull": 2,
    "assert.isnotnull": 2,
    "assert.isinstanceoftype": 3,
    "assert.isnotinstanceoftype": 3,
}


def test_methods(source: ApexSource) -> Iterator[Node]:
    """Methods annotated `@IsTest` or declared `testMethod`."""
    for method in source.nodes("method_declaration"):
        if is_test_method(source, method):
            yield method


def _calls_in(source: ApexSource, method: Node) -> Iterator[str]:
    body = method.child_by_field_name("body")
    if body is not None:
        for call in descendants(body, "method_invocation"):
            yield call_name(source, call)


def _method_label(source: ApexSource, method: Node) -> str:
    name = method.child_by_field_name("name")
    return source.text_of(name) if name is not None else "this test"


class ApexUnitTestClassShouldHaveAsserts(Rule):
    name = "ApexUnitTestClassShouldHaveAsserts"
    category = "bestpractices"
    severity = Severity.MEDIUM
    why = (
        "A test without assertions only proves the code ran without an exception; it adds "
        "coverage toward the 75% deployment minimum while verifying nothing."
    )
    fix = (
        "Assert the outcome: query the records the code changed and check them with "
        "`Assert.areEqual(expected, actual, 'message')` (or System.assertEquals)."
    )
    properties = {"additionalAssertMethodPattern": ""}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        pattern = str(context.properties["additionalAssertMethodPattern"])
        extra = re.compile(pattern, re.I) if pattern else None
        source = context.source
        for method in test_methods(source):
            calls = list(_calls_in(source, method))
            asserted = any(call in ASSERTIONS_WITH_MESSAGE_ARITY for call in calls)
            if not asserted and extra is not None:
                asserted = any(extra.fullmatch(call) for call in calls)
            if not asserted:
                label = _method_label(source, method)
                yield self.report(context, method, f"Test `{label}` makes no assertion.")


class ApexUnitTestClassShouldHaveRunAs(Rule):
    name = "ApexUnitTestClassShouldHaveRunAs"
    category = "bestpractices"
    severity = Severity.LOW
    why = (
        "Tests run as the deploying admin by default, so sharing rules, profiles and permission "
        "sets that real users hit are never exercised."
    )
    fix = (
        "Create a user with the relevant profile or permission set and wrap the test in "
        "`System.runAs(user) { ... }`."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for method in test_methods(source):
            body = method.child_by_field_name("body")
            if body is None or next(descendants(body, "run_as_statement"), None) is None:
                label = _method_label(source, method)
                yield self.report(context, method, f"Test `{label}` never uses System.runAs.")


class ApexUnitTestShouldNotUseSeeAllDataTrue(Rule):
    name = "ApexUnitTestShouldNotUseSeeAllDataTrue"
    category = "bestpractices"
    severity = Severity.MEDIUM
    why = (
        "With SeeAllData=true a test reads the org's real records: it passes or fails depending "
        "on production data, and can break after a data change or in an empty sandbox."
    )
    fix = (
        "Remove `SeeAllData=true` and create the records the test needs (a @TestSetup "
        "method or a test data factory)."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for annotation in source.nodes("annotation"):
            if annotation_name(source, annotation) != "istest":
                continue
            arguments = annotation.child_by_field_name("arguments")
            for pair in arguments.named_children if arguments is not None else []:
                if pair.type == "annotation_key_value" and _is_see_all_data_true(source, pair):
                    yield self.report(
                        context, pair, "This test sees all org data (SeeAllData=true)."
                    )


def _is_see_all_data_true(source: ApexSource, pair: Node) -> bool:
    key = pair.child_by_field_name("key")
    value = pair.child_by_field_name("value")
    if key is None or value is None:
        return False
    return source.text_of(key).lower() == "seealldata" and source.text_of(value).lower() == "true"


class ApexAssertionsShouldIncludeMessage(Rule):
    name = "ApexAssertionsShouldIncludeMessage"
    category = "bestpractices"
    severity = Severity.INFO
    why = (
        "When an assertion without a message fails, the test result does not say what was "
        "being checked."
    )
    fix = (
        "Add the message argument, e.g. "
        "`Assert.areEqual(3, contacts.size(), 'one contact per account')`."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("class_declaration"):
            if not is_test_class(source, declaration):
                continue
            for call in descendants(declaration, "method_invocation"):
                name = call_name(source, call)
                wanted = ASSERTIONS_WITH_MESSAGE_ARITY.get(name)
                if wanted is not None and argument_count(call) == wanted - 1:
                    yield self.report(
                        context, call, f"`{source.text_of(call)[:60]}` has no message."
                    )


# The System assertions PMD looks for when deciding a helper method is really a test.
_SYSTEM_ASSERTIONS = frozenset({"system.assert", "system.assertequals", "system.assertnotequals"})


class ApexUnitTestMethodShouldHaveIsTestAnnotation(Rule):
    name = "ApexUnitTestMethodShouldHaveIsTestAnnotation"
    category = "bestpractices"
    severity = Severity.MEDIUM
    why = (
        "Only methods marked @IsTest run as tests; a method in a test class that asserts "
        "but lacks the annotation never runs, so the checks it holds silently protect nothing."
    )
    fix = "Annotate the method with `@IsTest` (or, if it is a helper, move the assertions out)."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for declaration in source.nodes("class_declaration"):
            if not is_test_class(source, declaration):
                continue
            for member in body_members(declaration):
                is_callable = member.type in {"method_declaration", "constructor_declaration"}
                if not is_callable or is_test_method(source, member):
                    continue
                if any(call in _SYSTEM_ASSERTIONS for call in _calls_in(source, member)):
                    label = _method_label(source, member)
                    yield self.report(
                        context,
                        pmd_anchor(member),
                        f"`{label}` asserts like a test but is not annotated @IsTest.",
                    )


class UnusedLocalVariable(Rule):
    name = "UnusedLocalVariable"
    category = "bestpractices"
    severity = Severity.LOW
    why = (
        "A local that is never read is dead code: it costs a reader time, and when its "
        "initialiser queries or calls out it spends governor limits (SOQL rows, CPU) for nothing."
    )
    fix = "Delete the variable (and its initialiser, unless that call is needed for its effect)."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        source = context.source
        for name in LocalUsage(source).unused_locals():
            variable = source.text_of(name)
            yield self.report(
                context,
                name,
                f"Local variable `{variable}` is declared but never used.",
                fix=f"Delete `{variable}`, or use it where it was meant to be used.",
            )


RULES: tuple[type[Rule], ...] = (
    ApexUnitTestClassShouldHaveAsserts,
    ApexUnitTestClassShouldHaveRunAs,
    ApexUnitTestShouldNotUseSeeAllDataTrue,
    ApexAssertionsShouldIncludeMessage,
    ApexUnitTestMethodShouldHaveIsTestAnnotation,
    UnusedLocalVariable,
)
