"""Bulkified rewrites: built from the user's own names, valid Apex, and only when mechanical."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.apex.bulkify import bulkified_example, bulkify_loop
from sfagent.diagnostics.apex.source import ApexSource
from tests.diagnostics.apex.conftest import findings_of

PARENT_BY_ID = """trigger ContactTrigger on Contact (before insert, before update) {
    for (Contact c : Trigger.new) {
        Account parent = [SELECT Id, Industry FROM Account WHERE Id = :c.AccountId];
        c.Description = parent.Industry;
    }
}"""

CHILDREN_AND_UPDATE = """public with sharing class OpportunityService {
    public static void closeTasks(List<Opportunity> opportunities) {
        for (Opportunity opp : opportunities) {
            List<Task> openTasks = [
                SELECT Id, Status FROM Task WHERE WhatId = :opp.Id AND Status != 'Completed'
            ];
            for (Task t : openTasks) {
                t.Status = 'Completed';
            }
            update openTasks;
        }
    }
}"""

INSERT_PER_RECORD = """trigger AccountTrigger on Account (after insert) {
    for (Account acc : Trigger.new) {
        Contact primary = new Contact(LastName = acc.Name, AccountId = acc.Id);
        insert primary;
        Database.insert(new Task(WhatId = acc.Id, Subject = 'Welcome'), false);
    }
}"""

PRIMARY_CONTACT = """trigger CaseTrigger on Case (before insert) {
    for (Case cs : Trigger.new) {
        Contact primary = [SELECT Id FROM Contact
            WHERE AccountId = :cs.AccountId AND Is_Primary__c = true
            ORDER BY CreatedDate LIMIT 1];
        cs.ContactId = primary.Id;
    }
}"""

MECHANICAL = {
    "parent_by_id": (PARENT_BY_ID, ["c.AccountId", "Trigger.new", "parent", "Account"]),
    "children_and_update": (CHILDREN_AND_UPDATE, ["opp.Id", "opportunities", "openTasks"]),
    "insert_per_record": (INSERT_PER_RECORD, ["acc", "primary", "Trigger.new", "Contact"]),
    "primary_contact": (PRIMARY_CONTACT, ["cs.AccountId", "Is_Primary__c", "primary"]),
}


def example_for(code: str) -> str | None:
    source = ApexSource(code)
    operation = (source.nodes("query_expression") or source.nodes("dml_expression"))[0]
    return bulkified_example(source, operation)


def main_loop(example: str) -> str:
    """The rewritten original loop: the last for statement that starts a line."""
    start = example.rindex("\nfor (")
    return example[start:]


@pytest.mark.parametrize("name", sorted(MECHANICAL))
def test_every_rewrite_parses_and_keeps_the_users_identifiers(name: str) -> None:
    code, identifiers = MECHANICAL[name]
    example = example_for(code)
    assert example is not None
    assert ApexSource(example).root.has_error is False
    for identifier in identifiers:
        assert identifier in example, identifier


def test_query_by_id_becomes_one_map_built_before_the_loop() -> None:
    example = example_for(PARENT_BY_ID)
    assert example is not None
    assert "Set<Id> accountIds = new Set<Id>();" in example
    assert "for (Contact c : Trigger.new) {\n    accountIds.add(c.AccountId);\n}" in example
    assert (
        "Map<Id, Account> accountsById = new Map<Id, Account>("
        "[SELECT Id, Industry FROM Account WHERE Id IN :accountIds]);"
    ) in example
    assert "    Account parent = accountsById.get(c.AccountId);" in main_loop(example)
    assert "[SELECT" not in main_loop(example)


def test_child_query_is_grouped_by_parent_and_the_update_runs_once_deduplicated() -> None:
    example = example_for(CHILDREN_AND_UPDATE)
    assert example is not None
    assert "Set<Id> opportunityIds = new Set<Id>();" in example
    assert "Map<Id, List<Task>> tasksByWhatId = new Map<Id, List<Task>>();" in example
    # The grouping field is added to the SELECT so the rows can be keyed by it.
    assert "[SELECT Id, Status, WhatId FROM Task WHERE WhatId IN :opportunityIds" in example
    loop = main_loop(example)
    assert "tasksByWhatId.containsKey(opp.Id) ? tasksByWhatId.get(opp.Id)" in loop
    assert "tasksToUpdate.putAll(openTasks);" in loop
    assert example.rstrip().endswith("update tasksToUpdate.values();")


def test_dml_per_record_collects_into_lists_written_after_the_loop() -> None:
    example = example_for(INSERT_PER_RECORD)
    assert example is not None
    assert "List<Contact> contactsToInsert = new List<Contact>();" in example
    assert "List<Task> tasksToInsert = new List<Task>();" in example
    loop = main_loop(example)
    assert "contactsToInsert.add(primary);" in loop and "insert primary;" not in loop
    assert example.rstrip().endswith(
        "insert contactsToInsert;\nDatabase.insert(tasksToInsert, false);"
    )


def test_single_record_lookup_with_limit_one_takes_the_first_row_per_key() -> None:
    example = example_for(PRIMARY_CONTACT)
    assert example is not None
    assert "ORDER BY CreatedDate]" in example and "LIMIT 1" not in example
    assert "contactsByAccountId.get(cs.AccountId)[0] : null" in main_loop(example)


def test_the_finding_carries_the_example_for_soql_and_dml() -> None:
    findings = findings_of("OperationWithLimitsInLoop", INSERT_PER_RECORD)
    assert len(findings) == 2
    assert findings[0].example is not None and findings[0].example == findings[1].example


NOT_MECHANICAL = {
    "text_key": """trigger T on Lead (before insert) {
    for (Lead l : Trigger.new) {
        List<Contact> same = [SELECT Id FROM Contact WHERE Email = :l.Email];
    }
}""",
    "or_condition": """trigger T on Contact (before insert) {
    for (Contact c : Trigger.new) {
        List<Case> cs = [SELECT Id FROM Case WHERE ContactId = :c.Id OR Priority = 'High'];
    }
}""",
    "limit_on_a_list": """trigger T on Account (before insert) {
    for (Account a : Trigger.new) {
        List<Contact> cs = [SELECT Id FROM Contact WHERE AccountId = :a.Id LIMIT 5];
    }
}""",
    "aggregate": """trigger T on Account (before update) {
    for (Account a : Trigger.new) {
        Integer n = [SELECT COUNT() FROM Contact WHERE AccountId = :a.Id];
    }
}""",
    "bind_to_a_loop_local": """trigger T on Account (before update) {
    for (Account a : Trigger.new) {
        Date since = a.CreatedDate.date();
        List<Case> cs = [SELECT Id FROM Case WHERE AccountId = :a.Id AND CreatedDate > :since];
    }
}""",
    "key_changed_in_the_loop": """trigger T on Contact (before update) {
    for (Contact c : Trigger.new) {
        c.AccountId = Defaults.accountId();
        Account a = [SELECT Id FROM Account WHERE Id = :c.AccountId];
    }
}""",
    "while_loop": """public class P {
    void run() {
        while (true) { insert new Account(Name = 'x'); }
    }
}""",
    "nested_loop": """public class P {
    void run(List<Account> accounts, List<String> names) {
        for (String n : names) {
            for (Account a : accounts) { insert new Contact(LastName = n, AccountId = a.Id); }
        }
    }
}""",
    "dml_in_try": """public class P {
    void run(List<Account> accounts) {
        for (Account a : accounts) {
            try { update a; } catch (DmlException e) { a.addError(e.getMessage()); }
        }
    }
}""",
    "id_needed_after_insert": """public class P {
    void run(List<Account> accounts) {
        for (Account a : accounts) {
            Contact c = new Contact(LastName = a.Name);
            insert c;
            a.Primary_Contact__c = c.Id;
        }
    }
}""",
    "merge": """public class P {
    void run(List<Account> masters, Account dupe) {
        for (Account m : masters) { merge m dupe; }
    }
}""",
    "query_sees_earlier_inserts": """public class P {
    void run(List<Account> accounts) {
        for (Account a : accounts) {
            List<Contact> existing = [SELECT Id FROM Contact WHERE AccountId = :a.Id];
            insert new Contact(LastName = 'New', AccountId = a.Id);
        }
    }
}""",
    "return_inside_the_loop": """public class P {
    Boolean run(List<Account> accounts) {
        for (Account a : accounts) {
            if (a.Name == null) { return false; }
            insert new Contact(LastName = a.Name, AccountId = a.Id);
        }
        return true;
    }
}""",
    "other_limited_call": """public class P {
    void run(List<Account> accounts) {
        for (Account a : accounts) {
            update a;
            Messaging.sendEmail(new Messaging.SingleEmailMessage[]{});
        }
    }
}""",
}


@pytest.mark.parametrize("name", sorted(NOT_MECHANICAL))
def test_no_example_when_the_rewrite_is_not_mechanical(name: str) -> None:
    assert example_for(NOT_MECHANICAL[name]) is None


def test_bulkify_loop_rejects_a_loop_without_limited_operations() -> None:
    source = ApexSource("public class P { void run(List<Account> a) { for (Account x : a) { } } }")
    [loop] = source.nodes("enhanced_for_statement")
    assert bulkify_loop(source, loop) is None


def test_generated_names_do_not_clash_with_the_users_variables() -> None:
    code = """trigger T on Contact (before insert) {
    Set<Id> accountIds = new Set<Id>();
    for (Contact c : Trigger.new) {
        Account parent = [SELECT Id FROM Account WHERE Id = :c.AccountId];
    }
}"""
    example = example_for(code)
    assert example is not None
    assert "Set<Id> accountIds2 = new Set<Id>();" in example
    assert ApexSource(example).root.has_error is False


def test_loop_over_ids_queries_the_list_itself() -> None:
    code = """public class Lookup {
    void run(Set<Id> accountIds) {
        for (Id accountId : accountIds) {
            Account acc = [SELECT Id, Name FROM Account WHERE Id = :accountId];
        }
    }
}"""
    example = example_for(code)
    assert example is not None
    assert "Set<Id>" not in example
    assert "[SELECT Id, Name FROM Account WHERE Id IN :accountIds]" in example
    assert "Account acc = accountsById.get(accountId);" in example
