"""Governor-limit risk estimate: counts per method, and the record count at which loops fail."""

from __future__ import annotations

import json

from sfagent.diagnostics.apex.governor import GovernorRisk, UnitRisk, estimate_governor_risk
from sfagent.diagnostics.apex.operations import LIMITS
from sfagent.diagnostics.apex.source import ApexSource


def risk_of(code: str) -> GovernorRisk:
    return estimate_governor_risk(ApexSource(code))


def only_unit(code: str) -> UnitRisk:
    [unit] = risk_of(code).units
    return unit


def test_limits_are_the_documented_per_transaction_values() -> None:
    assert (LIMITS["soql"].synchronous, LIMITS["soql"].asynchronous) == (100, 200)
    assert (LIMITS["dml"].synchronous, LIMITS["dml"].asynchronous) == (150, 150)
    assert LIMITS["sosl"].synchronous == 20
    assert LIMITS["callout"].synchronous == 100
    assert (LIMITS["queueable"].synchronous, LIMITS["queueable"].asynchronous) == (50, 1)
    assert LIMITS["email"].synchronous == 10
    assert (LIMITS["cpu_ms"].synchronous, LIMITS["cpu_ms"].asynchronous) == (10_000, 60_000)


def test_query_per_trigger_record_fails_at_record_101() -> None:
    unit = only_unit("""trigger ContactTrigger on Contact (before insert) {
    for (Contact c : Trigger.new) {
        Account a = [SELECT Id FROM Account WHERE Id = :c.AccountId];
    }
}""")
    [loop] = unit.loops
    assert (unit.name, unit.kind, unit.risk) == ("trigger ContactTrigger", "trigger", "critical")
    assert loop.driven_by == "trigger" and loop.limiting == "soql"
    assert (loop.fails_at_sync, loop.fails_at_async, loop.fails_at_bulk_api) == (101, 201, 201)
    assert loop.fails_on_full_trigger_chunk is True
    assert "fails at record 101" in unit.summary and "200-record trigger chunk" in unit.summary


def test_dml_per_record_fails_at_151_and_two_queries_per_record_at_51() -> None:
    dml = only_unit("""trigger T on Account (after insert) {
    for (Account a : Trigger.new) { insert new Contact(LastName = a.Name, AccountId = a.Id); }
}""")
    assert dml.loops[0].fails_at_sync == 151 and dml.loops[0].limiting == "dml"
    two = only_unit("""trigger T on Contact (before insert) {
    for (Contact c : Trigger.newMap.values()) {
        Account a = [SELECT Id FROM Account WHERE Id = :c.AccountId];
        User u = [SELECT Id FROM User WHERE Id = :c.OwnerId];
    }
}""")
    assert two.loops[0].per_iteration == {"soql": 2}
    assert two.loops[0].fails_at_sync == 51


def test_queries_outside_the_loop_lower_the_failure_point() -> None:
    unit = only_unit("""trigger T on Contact (before insert) {
    Map<Id, User> owners = new Map<Id, User>([SELECT Id FROM User WHERE IsActive = true]);
    for (Contact c : Trigger.new) {
        Account a = [SELECT Id FROM Account WHERE Id = :c.AccountId];
    }
}""")
    assert unit.loops[0].fails_at_sync == 100
    assert "1 already used outside loops" in unit.loops[0].note


def test_nested_loops_over_the_same_list_multiply() -> None:
    unit = only_unit("""trigger T on Contact (before insert) {
    for (Contact c : Trigger.new) {
        for (Contact other : Trigger.new) {
            List<Case> cs = [SELECT Id FROM Case WHERE ContactId = :other.Id];
        }
    }
}""")
    outer, inner = unit.loops
    assert outer.fails_at_sync == 11  # 11 x 11 = 121 queries > 100; 10 x 10 = 100 is allowed
    assert inner.fails_at_sync == 101
    assert unit.counts.soql == 1 and unit.in_loops.soql == 1 and unit.in_nested_loops.soql == 1
    assert unit.cpu_notes and "40,000" in unit.cpu_notes[0]


def test_inner_loop_of_unknown_size_is_reported_without_a_number() -> None:
    unit = only_unit("""trigger T on Account (after update) {
    for (Account a : Trigger.new) {
        for (Contact c : [SELECT Id FROM Contact WHERE AccountId = :a.Id]) {
            update c;
        }
    }
}""")
    outer, inner = unit.loops
    assert outer.limiting == "soql" and outer.fails_at_sync == 101
    assert outer.nested_operations == 1
    assert inner.driven_by == "query" and inner.fails_at_sync == 151


def test_handler_method_loop_over_a_parameter_fails_by_list_size() -> None:
    unit = only_unit("""public class ContactHandler {
    public void onInsert(List<Contact> contacts) {
        for (Contact c : contacts) {
            HttpResponse r = new Http().send(new HttpRequest());
            Messaging.sendEmail(new Messaging.SingleEmailMessage[]{});
        }
    }
}""")
    [loop] = unit.loops
    assert unit.name == "ContactHandler.onInsert"
    assert loop.driven_by == "collection" and loop.fails_on_full_trigger_chunk is None
    assert loop.fails_at == {"callout": 101, "email": 11}
    assert loop.limiting == "email" and loop.fails_at_sync == 11
    assert unit.counts.callouts == 1 and unit.counts.emails == 1
    assert unit.risk == "high"


def test_async_methods_use_asynchronous_limits() -> None:
    code = """public class Jobs implements Queueable {
    public void execute(QueueableContext context) {
        for (Account a : [SELECT Id FROM Account WHERE Rating = 'Hot']) {
            List<Contact> cs = [SELECT Id FROM Contact WHERE AccountId = :a.Id];
            System.enqueueJob(new Jobs());
        }
    }
    @future
    public static void refresh(Set<Id> ids) {
        for (Id i : ids) { Account a = [SELECT Id FROM Account WHERE Id = :i]; }
    }
    public static void start(Set<Id> ids) {
        for (Id i : ids) { refresh(ids); }
    }
}"""
    execute, refresh, start = risk_of(code).units
    # The loop's own query runs once, so 1 + 200 per-record queries exceed the 200 allowed.
    assert execute.asynchronous and execute.loops[0].fails_at == {"queueable": 2, "soql": 200}
    assert "(1 System.enqueueJob call allowed)" in execute.summary
    assert execute.counts.async_jobs == 1
    assert refresh.asynchronous and refresh.loops[0].fails_at_async == 201
    assert not start.asynchronous and start.loops[0].fails_at == {"future": 51}


def test_while_loop_has_no_record_count_but_still_fails_by_iteration() -> None:
    unit = only_unit("""public class Poll {
    void run() {
        while (true) { List<Task> t = [SELECT Id FROM Task WHERE IsClosed = false LIMIT 1]; }
    }
}""")
    assert unit.loops[0].driven_by == "unbounded"
    assert "fails at iteration 101" in unit.loops[0].note


def test_code_without_operations_in_loops_reports_no_loop_risk() -> None:
    risk = risk_of("""public class Ok {
    void run(Set<Id> ids) {
        List<Account> rows = [SELECT Id FROM Account WHERE Id IN :ids];
        update rows;
    }
}""")
    [unit] = risk.units
    assert unit.risk == "low" and unit.loops == ()
    assert (unit.counts.soql, unit.counts.dml) == (1, 1)
    assert risk.summary.startswith("No limit-consuming operation runs inside a loop")


def test_overall_summary_leads_with_the_worst_method_and_serialises_to_json() -> None:
    risk = risk_of("""public class Mixed {
    void safe(Set<Id> ids) { update [SELECT Id FROM Account WHERE Id IN :ids]; }
    void risky(List<Account> accounts) { for (Account a : accounts) { update a; } }
}""")
    assert [unit.risk for unit in risk.units] == ["low", "high"]
    assert risk.summary.startswith("Mixed.risky [high]: The for loop over accounts (line 3)")
    data = json.loads(json.dumps(risk.to_dict()))
    assert data["units"][1]["loops"][0]["fails_at_sync"] == 151
    assert data["limits"]["soql"]["synchronous"] == 100
