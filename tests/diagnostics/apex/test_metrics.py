"""Complexity and size metrics, counted the way PMD 7 counts them, on our own snippets."""

from __future__ import annotations

import gc
import weakref

from sfagent.diagnostics.apex.analyzer import run_rules
from sfagent.diagnostics.apex.members import members_of
from sfagent.diagnostics.apex.metrics import metrics_of
from sfagent.diagnostics.apex.metrics_cognitive import cognitive_of
from sfagent.diagnostics.apex.metrics_ncss import ncss_of
from sfagent.diagnostics.apex.rules import design, documentation
from sfagent.diagnostics.apex.source import ApexSource


def _per_operation(code: str, metric: str) -> dict[str, int]:
    source = ApexSource(code)
    metrics, cognitive = metrics_of(source), cognitive_of(source)
    values = {}
    for op in members_of(source).operations:
        if metric == "cyclo":
            values[op.name] = metrics.cyclo(op)
        elif metric == "std":
            values[op.name] = metrics.std_cyclo(op)
        elif metric == "ncss":
            values[op.name] = ncss_of(source).ncss(op.start, op.end)
        elif metric == "legacy":
            values[op.name] = ncss_of(source).legacy_ncss(op.start, op.end)
        else:
            values[op.name] = cognitive.measure(op.start, op.end, op.name)
    return values


SHIPPING = """public class ShippingRules {
    public Decimal rate(Order o, Boolean express) {
        Decimal rate = 0;
        for (OrderItem item : o.OrderItems) {
            if (item.Weight__c > 10 && !express || item.Fragile__c) {
                rate += 5;
            } else if (express) {
                rate += item.Weight__c > 2 ? 3 : 1;
            } else {
                rate += 1;
            }
        }
        try {
            rate = Pricing.adjust(rate);
        } catch (CalloutException e) {
            throw new ShippingException('pricing down');
        }
        return rate;
    }
}"""


def test_cyclo_counts_decisions_and_the_boolean_operators_of_their_conditions() -> None:
    # 1 + for-each + if (1 + 2 operators) + else-if + ternary + catch + throw
    assert _per_operation(SHIPPING, "cyclo") == {"rate": 9}


def test_cyclo_counts_each_when_value_but_not_when_else() -> None:
    code = """class Router {
    void route(Integer code, SObject record) {
        switch on code {
            when 1, 2 { }
            when null { }
            when else { }
        }
        switch on record {
            when Account a { }
            when else { }
        }
    }
}"""
    assert _per_operation(code, "cyclo") == {"route": 5}


def test_cyclo_of_a_for_loop_without_condition_takes_the_first_condition_inside() -> None:
    code = """class Poller {
    void poll() {
        for (;;) {
            if (ready() && valid()) { break; }
        }
    }
}"""
    # PMD's quirk: the loop reuses the operator of the `if` condition found in its body.
    assert _per_operation(code, "cyclo") == {"poll": 5}


def test_weighted_method_count_sums_a_class_own_methods_only() -> None:
    code = """class Outer {
    void a() { if (x) { } }
    String name { get { return x ? 'a' : 'b'; } }
    class Inner { void b() { if (y) { } } }
}"""
    source = ApexSource(code)
    outer = members_of(source).types[0]
    assert metrics_of(source).weighted_method_count(outer) == 2


def test_std_cyclo_counts_try_once_and_ignores_operators_and_ternaries_in_comparisons() -> None:
    code = """class Std {
    void run(Integer a) {
        if (a > 1 && a < 9) { }
        try { } catch (DmlException e) { } catch (Exception e) { }
        Boolean b = a == (a > 5 ? 1 : 2);
        Integer c = a > 5 ? 1 : 2;
        while (a > 0) { a--; }
    }
}"""
    # 1 + if + try + while + the ternary outside the comparison
    assert _per_operation(code, "std") == {"run": 5}


def test_std_class_average_rounds_half_to_even_over_operations() -> None:
    code = """class Avg {
    void a() { if (x) { } }
    void b() { }
}"""
    source = ApexSource(code)
    score = metrics_of(source).std_class_average(members_of(source).types[0])
    # (1 + 2 + 1) / 2 operations = 2, highest 2
    assert (score.average, score.highest) == (2, 2)


def test_ncss_counts_statements_not_lines() -> None:
    code = """class Sizes {
    Integer total;
    void fill(List<Account> accounts) {
        Integer n = 0;
        for (Account a : accounts) {
            a.Name =
                a.Name.trim();
            n++;
        }
        if (n > 0) { update accounts; } else { return; }
    }
}"""
    # method, declaration, for-each and its variable, 2 expression statements,
    # if, else, return (the DML statement is not an expression statement for PMD)
    assert _per_operation(code, "ncss") == {"fill": 9}
    source = ApexSource(code)
    node = members_of(source).types[0].node
    assert ncss_of(source).ncss(node.start_byte, node.end_byte) == 11


def test_legacy_ncss_counts_outermost_calls_and_if_chains_twice() -> None:
    code = """class Legacy {
    Integer size = compute();
    void run() {
        if (ready()) {
            log(format(value()));
        } else if (other()) {
            return;
        }
    }
}"""
    # if-chain 2 + two if blocks + ready() + log(...) + other() + return, then PMD's +1
    assert _per_operation(code, "legacy") == {"run": 9}
    source = ApexSource(code)
    node = members_of(source).types[0].node
    # the class, the field (its initialiser call is not counted), the method's 8, then +1
    assert ncss_of(source).legacy_ncss(node.start_byte, node.end_byte) == 11


def test_cognitive_complexity_of_a_realistic_method() -> None:
    # for +1, if +2 (nested) and +2 for `&&` then `||`, else-if +1, ternary +3, else +1,
    # catch +1
    assert _per_operation(SHIPPING, "cognitive") == {"rate": 11}


def test_cognitive_boolean_runs_restart_after_a_negation_and_each_statement() -> None:
    code = """class Flags {
    Boolean a(Boolean x, Boolean y, Boolean z) {
        return x && y && z;
    }
    Boolean b(Boolean x, Boolean y, Boolean z) {
        return x && !(y && z);
    }
    Boolean c(Boolean x, Boolean y) {
        Boolean first = x && y;
        return first && y;
    }
}"""
    assert _per_operation(code, "cognitive") == {"a": 1, "b": 2, "c": 2}


def test_cognitive_recursion_adds_one_plus_nesting_and_keeps_the_nesting() -> None:
    code = """class Tree {
    Integer depth(Node n) {
        if (n == null) { return 0; }
        Integer d = depth(n.left);
        if (d > 1) { return d; }
        return d;
    }
}"""
    # if +1, recursive call +1 (nesting 0), then PMD keeps one extra level: next if +2
    assert _per_operation(code, "cognitive") == {"depth": 4}


def test_trigger_body_is_one_operation_including_methods_declared_in_it() -> None:
    code = """trigger AccountTrigger on Account (before insert) {
    for (Account a : Trigger.new) {
        if (a.Name == null) { a.Name = 'x'; }
    }
    void helper(Integer i) {
        if (i > 1) { }
    }
}"""
    values = _per_operation(code, "cyclo")
    assert values == {"invoke": 4, "helper": 2}
    assert _per_operation(code, "std") == {"invoke": 5, "helper": 2}


def test_deeply_nested_code_is_measured_without_recursion() -> None:
    depth = 3000
    body = "if (x) {" * depth + "}" * depth
    source = ApexSource(f"class Deep {{ void m() {{ {body} }} }}")
    operation = members_of(source).operations[0]
    assert metrics_of(source).cyclo(operation) == depth + 1
    expected_cognitive = depth * (depth + 1) // 2
    assert cognitive_of(source).measure(operation.start, operation.end, "m") == expected_cognitive


def test_members_report_positions_and_modifiers_like_pmd() -> None:
    code = """public class Api {
    @AuraEnabled
    public static String name(Boolean flag) { return null; }
    public Boolean active { get; private set; }
    public interface Port { void send(); }
}"""
    members = members_of(ApexSource(code))
    by_name = {op.name: op for op in members.operations}
    method = by_name["name"]
    assert method.anchor.start_point[0] + 1 == 3  # after the annotation line
    assert method.modifiers.is_public and method.modifiers.is_static
    assert [p.type_text for p in method.parameters] == ["Boolean"]
    getter, setter = (op for op in members.operations if op.name == "__sfdc_active")
    assert getter.modifiers.is_public and not setter.modifiers.is_public
    assert [p.name for p in setter.parameters] == ["value"]
    assert by_name["send"].modifiers.is_public  # interface methods are implicitly public


def test_cached_metrics_do_not_keep_the_source_alive() -> None:
    source = ApexSource(SHIPPING)
    rules = [*design.RULES, *documentation.RULES]
    run_rules(source, rules, {"CyclomaticComplexity": {"methodReportLevel": 1}})
    assert members_of(source).operations[0].parameters  # lazily read parts too
    probe = weakref.ref(source)
    del source
    gc.collect()
    assert probe() is None
