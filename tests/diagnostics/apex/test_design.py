"""Design rules on our own snippets: complexity, statement counts and class shape."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.apex.evaluation import PmdCase, run_case
from sfagent.diagnostics.apex.rules import design
from tests.diagnostics.apex.conftest import findings_of, lines_of, pmd_cases_for

HANDLER = """public with sharing class CaseEscalationHandler {
    public void handle(List<Case> cases, Map<Id, Case> oldMap) {
        for (Case c : cases) {
            Case old = oldMap.get(c.Id);
            if (c.Priority == 'High' && old.Priority != 'High') {
                if (c.IsEscalated) {
                    if (c.OwnerId == null) {
                        c.addError('Assign an owner first');
                    } else if (c.Origin == 'Web' || c.Origin == 'Email') {
                        c.Status = 'Escalated';
                    }
                } else {
                    c.IsEscalated = c.Type == 'Problem' ? true : false;
                }
            } else if (c.Priority == 'Low') {
                c.Status = 'Queued';
            }
        }
    }
}"""


def _methods(count: int, body: str = "") -> str:
    return "\n".join(f"    public void m{i}() {{ {body} }}" for i in range(count))


def test_cyclomatic_complexity_reports_the_method_with_its_value_and_threshold() -> None:
    [finding] = findings_of("CyclomaticComplexity", HANDLER, methodReportLevel=8)
    assert finding.line == 2
    assert finding.message == "`handle` has cyclomatic complexity 10 (threshold 8)"
    assert finding.details == {"metric": "cyclomatic_complexity", "value": 10, "threshold": 8}
    assert lines_of("CyclomaticComplexity", HANDLER) == [2]  # default threshold 10
    assert lines_of("CyclomaticComplexity", HANDLER, methodReportLevel=11) == []


def test_cyclomatic_complexity_reports_classes_by_their_total() -> None:
    code = "public class Many {\n" + _methods(5, "if (a) { } if (b) { }") + "\n}"
    assert lines_of("CyclomaticComplexity", code) == []
    assert lines_of("CyclomaticComplexity", code, classReportLevel=15) == [1]
    assert lines_of("CyclomaticComplexity", code, classReportLevel=16) == []


def test_cognitive_complexity_weighs_nesting() -> None:
    # for 1, if 2 (+1 for `&&`), if 3, if 4, else-if 1 (+1 for `||`), else 1, ternary 4,
    # else-if 1
    [finding] = findings_of("CognitiveComplexity", HANDLER)
    assert finding.line == 2
    assert "cognitive complexity 19 (threshold 15)" in finding.message
    assert lines_of("CognitiveComplexity", HANDLER, methodReportLevel=20) == []
    flat = "public class Flat {\n" + _methods(1, "if (a) { } if (b) { } if (c) { }") + "\n}"
    assert lines_of("CognitiveComplexity", flat, methodReportLevel=3) == [2]
    assert lines_of("CognitiveComplexity", flat, methodReportLevel=4) == []


def test_std_cyclomatic_complexity_can_report_classes_or_methods_only() -> None:
    assert lines_of("StdCyclomaticComplexity", HANDLER, reportLevel=8) == [1, 2]
    only_methods = {"reportLevel": 8, "showClassesComplexity": False}
    assert lines_of("StdCyclomaticComplexity", HANDLER, **only_methods) == [2]
    only_classes = {"reportLevel": 8, "showMethodsComplexity": False}
    assert lines_of("StdCyclomaticComplexity", HANDLER, **only_classes) == [1]
    assert lines_of("StdCyclomaticComplexity", HANDLER) == []


def test_deeply_nested_ifs_are_reported_at_the_limit_depth_only() -> None:
    # else-if branches are siblings, not deeper levels
    assert lines_of("AvoidDeeplyNestedIfStmts", HANDLER) == [7, 9]
    assert lines_of("AvoidDeeplyNestedIfStmts", HANDLER, problemDepth=2) == [6]
    assert lines_of("AvoidDeeplyNestedIfStmts", HANDLER, problemDepth=4) == []


def test_ncss_method_count_counts_statements_not_comments() -> None:
    calls = "\n".join("        step();" for _ in range(12))
    comments = "\n".join("        // note" for _ in range(30))
    code = f"public class Job {{\n    public void run() {{\n{comments}\n{calls}\n    }}\n}}"
    [finding] = findings_of("NcssMethodCount", code, minimum=13)
    assert finding.line == 2
    assert finding.message == "`run` has 13 statements (NCSS, threshold 13)"
    assert lines_of("NcssMethodCount", code, minimum=14) == []
    assert lines_of("NcssConstructorCount", code, minimum=1) == []


def test_ncss_constructor_and_type_counts() -> None:
    code = "public class Setup {\n    public Setup() { a(); b(); c(); }\n}"
    assert lines_of("NcssConstructorCount", code, minimum=4) == [2]
    assert lines_of("NcssConstructorCount", code, minimum=5) == []
    assert lines_of("NcssTypeCount", code, minimum=5) == [1]
    assert lines_of("NcssTypeCount", code, minimum=6) == []


def test_ncss_count_reports_methods_and_types_with_separate_levels() -> None:
    assert lines_of("NcssCount", HANDLER) == []
    assert lines_of("NcssCount", HANDLER, methodReportLevel=10) == [2]
    both = {"methodReportLevel": 10, "classReportLevel": 12}
    assert lines_of("NcssCount", HANDLER, **both) == [1, 2]


def test_excessive_class_length_ignores_test_classes() -> None:
    body = "\n".join(f"    Integer f{i};" for i in range(12))
    code = f"public class Big {{\n{body}\n}}"
    assert lines_of("ExcessiveClassLength", code, minimum=13) == [1]
    assert lines_of("ExcessiveClassLength", code, minimum=14) == []
    assert lines_of("ExcessiveClassLength", "@IsTest\n" + code, minimum=13) == []


def test_excessive_parameter_list_reports_the_signature_line() -> None:
    code = """public class Api {
    @AuraEnabled
    public static Id createCase(String subject, String body,
                                Id accountId, String origin) { return null; }
    public void ok(String a, String b, String c) { }
}"""
    [finding] = findings_of("ExcessiveParameterList", code)
    assert finding.line == 3
    assert "takes 4 parameters (threshold 4)" in finding.message
    assert lines_of("ExcessiveParameterList", code, minimum=3) == [3, 5]


def test_excessive_public_count_counts_methods_fields_and_properties_but_not_statics() -> None:
    code = """public class Wide {
    public Integer a;
    public static Integer shared;
    public String label { get; set; }
    public void run() { }
    global void exposed() { }
    private void hidden() { }
}"""
    assert lines_of("ExcessivePublicCount", code, minimum=3) == [1]
    assert lines_of("ExcessivePublicCount", code, minimum=4) == []


def test_too_many_fields_counts_declarators_except_static_final_constants() -> None:
    code = """public class Wide {
    Integer a, b, c;
    public static final Integer LIMIT_A = 1, LIMIT_B = 2;
    String label { get; set; }
}"""
    assert lines_of("TooManyFields", code, maxfields=2) == [1]
    assert lines_of("TooManyFields", code, maxfields=3) == []
    [finding] = findings_of("TooManyFields", code, maxfields=2)
    assert "declares 3 fields" in finding.message


def test_boolean_parameters_of_public_and_global_methods_and_properties() -> None:
    code = """public class Toggles {
    public void send(List<Case> cases, Boolean notify) { }
    global static void sync(boolean force) { }
    private void internal(Boolean flag) { }
    public Boolean enabled { get; set; }
    public Boolean locked { get; private set; }
}"""
    assert lines_of("AvoidBooleanMethodParameters", code) == [2, 3, 5]
    interface = "public interface Sender { void send(Boolean now); }"
    assert lines_of("AvoidBooleanMethodParameters", interface) == [1]


def test_trigger_bodies_are_measured_as_one_operation() -> None:
    code = """trigger OpportunityTrigger on Opportunity (before update) {
    for (Opportunity o : Trigger.new) {
        if (o.Amount > 1000 && o.StageName == 'Closed Won') {
            o.Description = 'Big win';
        }
    }
}"""
    [finding] = findings_of("CyclomaticComplexity", code, methodReportLevel=4)
    assert finding.line == 1
    assert (
        finding.message == "Trigger `OpportunityTrigger` has cyclomatic complexity 4 (threshold 4)"
    )


def test_pmd_suppressions_apply_to_design_rules() -> None:
    code = HANDLER.replace(
        "public void handle",
        "@SuppressWarnings('PMD.CyclomaticComplexity')\n    public void handle",
    )
    assert lines_of("CyclomaticComplexity", code, methodReportLevel=5) == []


PMD_CASES = [case for rule in design.RULES for case in pmd_cases_for(rule.name)]


@pytest.mark.usefixtures("require_pmd_data")
@pytest.mark.parametrize("case", PMD_CASES, ids=lambda case: case.case_id)
def test_design_rules_agree_with_pmd_cases(case: PmdCase) -> None:
    outcome = run_case(case)
    assert outcome.agreed, (case.expected_problems, case.expected_lines, outcome.lines)
