"""The Apex analysis framework: parsing, spans, suppressions, properties, syntax errors, input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sfagent.diagnostics.apex.analyzer import analyze_apex, run_rules
from sfagent.diagnostics.apex.evaluation import PmdCase, evaluate_pmd_cases
from sfagent.diagnostics.apex.rules import InvalidRuleProperty, Rule, RuleContext, UnknownRule
from sfagent.diagnostics.apex.source import ApexSource, enclosing_loop
from sfagent.diagnostics.findings import Finding, Severity
from sfagent.diagnostics.inputs import InputRejected, InputTooLarge


class FlagsEveryDml(Rule):
    name = "FlagsEveryDml"
    category = "test"
    severity = Severity.LOW
    why = "test rule"
    fix = "none"
    properties = {"enabled": True, "minimumLine": 0}

    def check(self, context: RuleContext) -> Iterator[Finding]:
        if not context.properties["enabled"]:
            return
        for node in context.source.nodes("dml_expression"):
            if node.start_point[0] + 1 >= int(context.properties["minimumLine"]):
                yield self.report(context, node, "dml here")


def dml_lines(code: str, **properties: object) -> list[int]:
    findings = run_rules(ApexSource(code), [FlagsEveryDml], {"FlagsEveryDml": properties})
    return [finding.span.line for finding in findings]


CLASS_WITH_DML = """public class Foo {
    public void a() {
        insert x;
    }
    @SuppressWarnings('PMD.FlagsEveryDml')
    public void b() {
        update y;
    }
    @SuppressWarnings('PMD.OtherRule')
    public void c() {
        delete z; // NOPMD not needed but honoured
    }
    @SuppressWarnings('PMD.OtherRule, PMD.FlagsEveryDml')
    public void d() {
        upsert w;
    }
    public void e() {
        undelete v;
    }
}
"""


def test_suppress_warnings_and_nopmd_drop_only_their_findings() -> None:
    assert dml_lines(CLASS_WITH_DML) == [3, 18]


def test_suppress_warnings_pmd_on_class_silences_every_rule() -> None:
    code = "@SuppressWarnings('PMD')\npublic class Foo {\n  void a() { insert x; }\n}\n"
    assert dml_lines(code) == []


def test_properties_are_coerced_from_strings_like_pmd_test_cases() -> None:
    code = "public class Foo {\n void a() {\n insert x;\n insert y;\n }\n}\n"
    assert dml_lines(code, enabled="false") == []
    assert dml_lines(code, minimumLine="4") == [4]


def test_bad_property_values_and_names_are_refused_with_the_rule_named() -> None:
    with pytest.raises(InvalidRuleProperty, match=r"FlagsEveryDml\.enabled must be a bool"):
        FlagsEveryDml.resolve_properties({"enabled": "maybe"})
    with pytest.raises(InvalidRuleProperty, match="no property 'colour'"):
        FlagsEveryDml.resolve_properties({"colour": "red"})


def test_spans_count_characters_not_bytes() -> None:
    code = "public class Foo { void a() { String s = 'é€'; insert x; } }"
    findings = run_rules(ApexSource(code), [FlagsEveryDml], {})
    assert findings[0].span.column == code.index("insert") + 1


def test_for_each_iterable_is_not_inside_the_loop_but_its_body_is() -> None:
    source = ApexSource(
        "public class Foo { void a() {\n"
        "for (Account a : [SELECT Id FROM Account]) {\n"
        "  List<Contact> c = [SELECT Id FROM Contact];\n"
        "} } }"
    )
    header_query, body_query = source.nodes("query_expression")
    assert enclosing_loop(header_query) is None
    loop = enclosing_loop(body_query)
    assert loop is not None and loop.type == "enhanced_for_statement"


def test_while_condition_repeats_but_a_nested_method_does_not_inherit_the_loop() -> None:
    source = ApexSource(
        "public class Foo { void a() { while ([SELECT COUNT() FROM Account] > 0) { } } "
        "void b() { insert x; } }"
    )
    (query,) = source.nodes("query_expression")
    assert enclosing_loop(query) is not None
    (dml,) = source.nodes("dml_expression")
    assert enclosing_loop(dml) is None


def test_syntax_errors_name_the_missing_token_and_position() -> None:
    analysis = analyze_apex("public class Foo {\n  void a() {\n    Integer i = 1\n  }\n}\n")
    assert not analysis.valid_syntax and analysis.partial
    (problem,) = analysis.syntax_errors
    assert problem.missing == ";"
    assert (problem.span.line, problem.span.column) == (3, 18)
    assert "after `i = 1`" in problem.message


def test_unclosed_class_is_reported_at_the_end_of_the_code() -> None:
    analysis = analyze_apex("public class Foo {\n  void a() {\n  }\n")
    assert any("end of the code" in problem.message for problem in analysis.syntax_errors)


def test_valid_code_has_no_syntax_errors_and_reports_rules_run() -> None:
    analysis = analyze_apex("public class Foo { void a() { } }", rules=[])
    assert analysis.valid_syntax and not analysis.partial
    assert analysis.to_dict()["rules_run"] == []


def test_unknown_rule_names_are_refused() -> None:
    with pytest.raises(UnknownRule, match="NoSuchRule"):
        analyze_apex("public class Foo {}", rules=["NoSuchRule"])


def test_binary_and_oversize_input_are_refused_with_a_clear_message() -> None:
    with pytest.raises(InputRejected, match="binary"):
        analyze_apex(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(InputTooLarge, match="limit is 1 KB"):
        analyze_apex("x" * 5000, max_bytes=1024)


def test_invalid_utf8_is_replaced_and_noted() -> None:
    analysis = analyze_apex(b"public class Foo { String s = '\xff'; }", rules=[])
    assert any("UTF-8" in note for note in analysis.notes)


def test_deeply_nested_code_is_analysed_without_recursion_errors() -> None:
    depth = 3000
    code = "public class Foo { void a() { " + "if (x) { " * depth + "}" * depth + " } }"
    analysis = analyze_apex(code)
    assert analysis.valid_syntax


def test_evaluation_counts_agreement_only_for_implemented_rules() -> None:
    cases = [
        PmdCase("a#1", "NotImplementedHere", "class A {}", 1, None, {}),
    ]
    summary = evaluate_pmd_cases(cases)
    assert summary["cases"] == 1 and summary["implemented_cases"] == 0
    assert summary["per_rule"]["NotImplementedHere"]["implemented"] is False
