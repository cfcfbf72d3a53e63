"""Code-style rules: braces, one declaration per line, field order and naming conventions."""

from __future__ import annotations

import re

import pytest

from sfagent.diagnostics.apex.evaluation import PmdCase, run_case
from sfagent.diagnostics.apex.rules import InvalidRuleProperty
from sfagent.diagnostics.apex.rules.codestyle import RULES
from sfagent.diagnostics.apex.rules.codestyle_naming import suggest_name
from sfagent.diagnostics.findings import Severity
from tests.diagnostics.apex.conftest import findings_of, lines_of, pmd_cases_for

BRANCHY = """public class Discounts {
    public Decimal rate(Account acc, Integer seats) {
        Decimal rate = 0;
        if (acc.Rating == 'Hot')
            rate = 0.1;
        else if (seats > 100) {
            rate = 0.05;
        } else
            rate = 0.01;
        for (Integer i = 0; i < seats; i++)
            rate += 0.0001;
        for (Contact c : acc.Contacts) rate += 0.001;
        while (rate > 0.5)
            rate = rate / 2;
        if (rate < 0) {
            rate = 0;
        }
        return rate;
    }
}"""


def test_if_statements_without_braces_are_reported_at_their_body() -> None:
    assert lines_of("IfStmtsMustUseBraces", BRANCHY) == [5]


def test_if_else_rule_also_reports_an_unbraced_else_but_not_else_if() -> None:
    assert lines_of("IfElseStmtsMustUseBraces", BRANCHY) == [5, 9]


def test_nested_unbraced_ifs_are_each_reported() -> None:
    code = """public class A {
    void m() {
        if (a)
            if (b)
                x = 2;
    }
}"""
    assert lines_of("IfElseStmtsMustUseBraces", code) == [4, 5]


def test_loops_without_braces() -> None:
    assert lines_of("ForLoopsMustUseBraces", BRANCHY) == [11, 12]
    assert lines_of("WhileLoopsMustUseBraces", BRANCHY) == [14]


def test_braced_code_is_clean() -> None:
    code = """public class A {
    void m() {
        while (x) { x--; }
        if (y) { y = 1; } else { y = 2; }
    }
}"""
    for rule in (
        "IfStmtsMustUseBraces",
        "IfElseStmtsMustUseBraces",
        "WhileLoopsMustUseBraces",
        "ForLoopsMustUseBraces",
    ):
        assert lines_of(rule, code) == [], rule


def test_brace_findings_are_low_severity_with_a_concrete_fix() -> None:
    (finding,) = findings_of("WhileLoopsMustUseBraces", BRANCHY)
    assert finding.severity == Severity.LOW
    assert "{" in finding.fix


DECLARATIONS = """public class Totals {
    Integer a, b;
    Integer c,
            d;
    void m() {
        Integer x = 1, y = 2;
        String s,
               t;
        for (Integer i = 0, max = 10; i < max; i++) {
        }
    }
}"""


def test_one_declaration_per_line_defaults() -> None:
    assert lines_of("OneDeclarationPerLine", DECLARATIONS) == [2, 6, 9]


def test_one_declaration_per_line_strict_mode_and_for_initializer() -> None:
    strict = lines_of("OneDeclarationPerLine", DECLARATIONS, strictMode="true")
    assert strict == [2, 3, 6, 7, 9]
    relaxed = lines_of("OneDeclarationPerLine", DECLARATIONS, reportInForLoopInitializer="false")
    assert relaxed == [2, 6]


def test_fields_after_methods_constructors_inner_classes_or_initializers() -> None:
    code = """public class OrderService {
    private static final Integer LIMIT_ROWS = 200;
    public String label { get; set; }
    private Integer retries;
    public OrderService() {
        retries = 0;
    }
    private Map<Id, Order> cache =
        new Map<Id, Order>();
    private class Line {
        Decimal amount;
    }
    private Boolean dirty, stale;
}"""
    assert lines_of("FieldDeclarationsShouldBeAtStart", code) == [8, 13, 13]


def test_properties_may_mix_with_fields_and_nested_classes_are_judged_alone() -> None:
    code = """class Foo {
    public String prop1 { get; set; }
    private Integer field1;
    private class Inner {
        void run() {}
        Integer late;
    }
}"""
    assert lines_of("FieldDeclarationsShouldBeAtStart", code) == [6]


def test_static_initializer_ends_the_field_section() -> None:
    code = "class Foo {\n    static {\n        System.debug('x');\n    }\n    Integer late;\n}"
    assert lines_of("FieldDeclarationsShouldBeAtStart", code) == [5]


NAMING = """@IsTest
private class accountServiceTest {
    private static final Integer maxRows = 10;
    static Integer STATIC_COUNT;
    final Integer FINAL_VALUE = 1;
    Integer instance_value;
    public Integer Total { get; set; }
    public enum Stage { OPEN, closed }
    public class helper_Item {}
    public interface sink {}
    @IsTest
    static void Should_Insert() {
        final Integer LIMIT_X = 1;
        Integer Count_Me = 0;
        for (Account Acc : [SELECT Id FROM Account]) {}
    }
    public static void Do_Work(final Integer Amount, String Name_Of) {}
    public void Instance_Work() {}
    public override String toString() { return ''; }
    accountServiceTest() {}
}"""


def test_class_naming_conventions_by_kind() -> None:
    found = {f.details["kind"]: f.span.line for f in findings_of("ClassNamingConventions", NAMING)}
    # PMD places a class on its `class` keyword, below the annotation.
    assert found == {"test class": 2, "inner class": 9, "inner interface": 10}


def test_class_naming_properties_apply_per_kind() -> None:
    lenient = findings_of(
        "ClassNamingConventions",
        NAMING,
        testClassPattern="[a-z][a-zA-Z]*",
        innerClassPattern=".*",
        innerInterfacePattern=".*",
    )
    assert lenient == []
    assert lines_of("ClassNamingConventions", "public enum color { RED }") == [1]
    assert lines_of("ClassNamingConventions", "public abstract class base {}") == [1]


def test_method_naming_conventions_skip_overrides_and_constructors() -> None:
    found = {f.details["kind"]: f.span.line for f in findings_of("MethodNamingConventions", NAMING)}
    assert found == {"test method": 12, "static method": 17, "instance method": 18}


def test_field_naming_conventions() -> None:
    found = [
        (f.details["kind"], f.span.line) for f in findings_of("FieldNamingConventions", NAMING)
    ]
    assert found == [
        ("constant field", 3),
        ("static field", 4),
        ("final field", 5),
        ("instance field", 6),
        ("enum constant field", 8),
    ]


def test_parameter_local_and_property_naming() -> None:
    assert [f.details["kind"] for f in findings_of("FormalParameterNamingConventions", NAMING)] == [
        "final method parameter",
        "method parameter",
    ]
    assert lines_of("LocalVariableNamingConventions", NAMING) == [13, 14, 15]
    assert lines_of("PropertyNamingConventions", NAMING) == [7]


def test_catch_variables_are_not_method_parameters() -> None:
    code = """public class A {
    void m() {
        try { run(); } catch (Exception E_X) {}
    }
}"""
    assert lines_of("FormalParameterNamingConventions", code) == []


def test_naming_fix_suggests_the_recased_name() -> None:
    (finding,) = findings_of("PropertyNamingConventions", NAMING)
    assert "`total`" in finding.fix
    assert "case-insensitive" in finding.fix
    assert finding.severity == Severity.INFO


def test_invalid_naming_regex_is_a_property_error() -> None:
    with pytest.raises(InvalidRuleProperty):
        findings_of("MethodNamingConventions", NAMING, staticPattern="[a-z")


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        ("INSTANCE_FIELD", "[a-z][a-zA-Z0-9]*", "instanceField"),
        ("constantField", "[A-Z][A-Z0-9_]*", "CONSTANT_FIELD"),
        ("fooClass", "[A-Z][a-zA-Z0-9_]*", "FooClass"),
        ("bar_foo", "[a-z][a-zA-Z0-9]*", "barFoo"),
        ("x", "Z+", None),
    ],
)
def test_suggest_name(name: str, pattern: str, expected: str | None) -> None:
    assert suggest_name(name, re.compile(pattern)) == expected


def test_annotation_casing_is_reported_once_per_annotation() -> None:
    code = """@isTest
public class Foo {
    @testSetup static void data() {}
    @InvocableVariable public String a, b;
    @invocablevariable public String c, d;
    @TestVisible private static Integer x;
    @madeUpAnnotation void m() {}
}"""
    findings = findings_of("AnnotationsNamingConventions", code)
    assert [f.span.line for f in findings] == [1, 3, 5]
    assert "@IsTest" in findings[0].fix


CODESTYLE_RULES = sorted(rule.name for rule in RULES)
PMD_CASES = [case for rule in CODESTYLE_RULES for case in pmd_cases_for(rule)]


@pytest.mark.usefixtures("require_pmd_data")
@pytest.mark.parametrize("case", PMD_CASES, ids=lambda case: case.case_id)
def test_codestyle_rules_agree_with_pmd_cases(case: PmdCase) -> None:
    outcome = run_case(case)
    assert outcome.agreed, (case.expected_problems, case.expected_lines, outcome.lines)
