"""Error-prone declaration rules: annotations, Flow constructors, names, equals/hashCode."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.apex.evaluation import PmdCase, run_case
from sfagent.diagnostics.apex.rules.errorprone_declarations import DECLARATION_RULES
from sfagent.diagnostics.findings import Severity
from tests.diagnostics.apex.conftest import findings_of, lines_of, pmd_cases_for


def test_unknown_annotations_are_reported_where_pmd_places_each_declaration() -> None:
    code = """@IsTest
@Sharable
private class QuoteTest {
    @Mock public Integer rows;
    @Mock public Integer a, b;
    @Cached public Integer total { get; set; }
    @TestSetup
    @Slow
    static void data() {}
    @Future @Deprecated
    public static void ok() {}
    void params(@Weird Integer p) {}
}"""
    # The class sits on its `class` keyword (line 3), the method on its signature (line 9);
    # each variable of a field declaration is checked, a property once, parameters never.
    assert lines_of("AvoidNonExistentAnnotations", code) == [3, 4, 5, 5, 6, 9]


def test_known_annotations_are_accepted_in_any_case() -> None:
    code = "@istest\npublic class T {\n    @AURAENABLED public static String hi() { return ''; }\n}"
    assert lines_of("AvoidNonExistentAnnotations", code) == []


def test_aura_enabled_property_needs_an_accessible_getter() -> None:
    code = """public with sharing class CaseSummary {
    @AuraEnabled public Integer openCases { private get; set; }
    @AuraEnabled public Integer closedCases { protected get; private set; }
    @AuraEnabled public Integer escalations { get; private set; }
    @AuraEnabled private Integer hidden { get; set; }
    @AuraEnabled private Integer exposed { public get; set; }
    public Integer notExposed { private get; set; }
    @AuraEnabled public Integer writeOnly { set; }
}"""
    findings = findings_of("InaccessibleAuraEnabledGetter", code)
    assert [f.span.line for f in findings] == [2, 3, 5]
    assert findings[0].severity == Severity.MEDIUM


FLOW_INPUT = """public class CreateCaseRequest {
    @InvocableVariable(required=true)
    public Id accountId;
    @InvocableVariable public String subject { get; set; }
    public CreateCaseRequest(Id accountId) {
        this.accountId = accountId;
    }
}"""


def test_invocable_class_without_no_arg_constructor() -> None:
    (finding,) = findings_of("InvocableClassNoArgConstructor", FLOW_INPUT)
    assert finding.span.line == 1
    assert finding.severity == Severity.HIGH
    assert "CreateCaseRequest" in finding.message


def test_invocable_class_with_public_no_arg_constructor_or_none_at_all() -> None:
    with_default = FLOW_INPUT.replace(
        "    public CreateCaseRequest(Id",
        "    public CreateCaseRequest() {}\n    public CreateCaseRequest(Id",
    )
    assert lines_of("InvocableClassNoArgConstructor", with_default) == []
    implicit = "public class Input {\n    @InvocableVariable public String name;\n}"
    assert lines_of("InvocableClassNoArgConstructor", implicit) == []


def test_global_invocable_class_needs_a_global_no_arg_constructor() -> None:
    code = """global class Input {
    @InvocableVariable global String name;
    public Input() {}
}"""
    assert lines_of("InvocableClassNoArgConstructor", code) == [1]
    assert (
        lines_of("InvocableClassNoArgConstructor", code.replace("public Input", "global Input"))
        == []
    )


def test_private_no_arg_constructor_does_not_count() -> None:
    code = """public class Input {
    @InvocableVariable public String name;
    private Input() {}
}"""
    assert lines_of("InvocableClassNoArgConstructor", code) == [1]


def test_method_named_like_its_class() -> None:
    code = """public class Invoice {
    public Invoice() {}
    public void invoice(Decimal amount) {}
    public class Line {
        public Decimal LINE() { return 0; }
        public void invoice() {}
    }
}"""
    assert lines_of("MethodWithSameNameAsEnclosingClass", code) == [3, 5]


def test_equals_without_hash_code_and_the_reverse() -> None:
    code = """public class Money {
    public Boolean equals(Object other) { return false; }
    public class Key {
        public Integer hashCode() { return 1; }
    }
    public class Both {
        public Boolean EQUALS(object o) { return true; }
        public Integer hashcode() { return 1; }
    }
    public class Overloads {
        public Boolean equals(Key other) { return true; }
        public Integer hashCode(Integer seed) { return seed; }
    }
}"""
    findings = findings_of("OverrideBothEqualsAndHashcode", code)
    assert [f.span.line for f in findings] == [2, 4]
    assert "hashCode" in findings[0].message


def test_top_level_types_shadowing_system_or_schema_types() -> None:
    assert lines_of("TypeShadowsBuiltInNamespace", "public class Database {}") == [1]
    assert lines_of("TypeShadowsBuiltInNamespace", "public enum DisplayType { A }") == [1]
    assert lines_of("TypeShadowsBuiltInNamespace", "public interface callable {}") == [1]
    (finding,) = findings_of("TypeShadowsBuiltInNamespace", "@IsTest\nclass PicklistEntry {}")
    assert finding.span.line == 2
    assert finding.details["namespace"] == "Schema"


def test_custom_names_and_inner_types_do_not_shadow() -> None:
    code = "public class AccountDatabase {\n    public class Test {}\n}"
    assert lines_of("TypeShadowsBuiltInNamespace", code) == []


ERRORPRONE_RULES = sorted(rule.name for rule in DECLARATION_RULES)
PMD_CASES = [case for rule in ERRORPRONE_RULES for case in pmd_cases_for(rule)]


@pytest.mark.usefixtures("require_pmd_data")
@pytest.mark.parametrize("case", PMD_CASES, ids=lambda case: case.case_id)
def test_errorprone_declaration_rules_agree_with_pmd_cases(case: PmdCase) -> None:
    outcome = run_case(case)
    assert outcome.agreed, (case.expected_problems, case.expected_lines, outcome.lines)
