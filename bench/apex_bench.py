"""Apex analysis throughput: lines per second for parsing plus the full rule set.

The corpus is every distinct code sample of PMD's Apex rule tests (../shared/data) plus a
realistic trigger handler and service class written for this benchmark, repeated as
separate compilation units until it reaches --lines. Each unit is analysed the way the API
analyses a paste: decode, parse, all rules, suppressions, syntax errors, governor risk.
Prints lines/s for the whole run and the share of time spent in tree-sitter's parse.

    .venv/bin/python bench/apex_bench.py [--lines 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from sfagent.diagnostics.apex.analyzer import analyze_apex
from sfagent.diagnostics.apex.rules import ALL_RULES
from sfagent.diagnostics.apex.source import ApexSource

PMD_CASES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pmd_apex_dev.jsonl"

HANDLER = """public with sharing class OpportunityTriggerHandler {
    private static final Integer MAX_RETRIES = 3;
    public void afterUpdate(List<Opportunity> updated, Map<Id, Opportunity> oldMap) {
        Set<Id> accountIds = new Set<Id>();
        for (Opportunity opp : updated) {
            if (opp.StageName != oldMap.get(opp.Id).StageName && opp.AccountId != null) {
                accountIds.add(opp.AccountId);
            }
        }
        if (accountIds.isEmpty()) {
            return;
        }
        Map<Id, Account> accounts = new Map<Id, Account>(
            [SELECT Id, Name, Rating FROM Account WHERE Id IN :accountIds WITH USER_MODE]
        );
        List<Task> followUps = new List<Task>();
        for (Opportunity opp : updated) {
            Account acc = accounts.get(opp.AccountId);
            if (acc == null) {
                continue;
            }
            if (opp.StageName == 'Closed Won') {
                acc.Rating = 'Hot';
                followUps.add(new Task(WhatId = opp.Id, Subject = 'Kick-off call'));
            } else if (opp.StageName == 'Closed Lost') {
                acc.Rating = 'Cold';
            }
        }
        try {
            update as user accounts.values();
            insert as user followUps;
        } catch (DmlException e) {
            for (Integer i = 0; i < e.getNumDml(); i++) {
                System.debug(LoggingLevel.ERROR, e.getDmlMessage(i));
            }
            throw e;
        }
    }
}
"""

SERVICE = """public class ContactSync implements Queueable, Database.AllowsCallouts {
    private final List<Id> contactIds;
    public ContactSync(List<Id> contactIds) {
        this.contactIds = contactIds;
    }
    public void execute(QueueableContext context) {
        for (Contact c : [SELECT Id, Email, LastName FROM Contact WHERE Id IN :contactIds]) {
            HttpRequest request = new HttpRequest();
            request.setEndpoint('callout:Crm/contacts/' + c.Id);
            request.setMethod('PUT');
            request.setBody(JSON.serialize(new Map<String, Object>{'email' => c.Email}));
            HttpResponse response = new Http().send(request);
            if (response.getStatusCode() >= 300) {
                System.debug(LoggingLevel.WARN, 'sync failed for ' + c.Id);
            }
        }
    }
}
"""


def corpus_units() -> list[str]:
    """Distinct PMD test samples (when the shared data is present) and our two classes."""
    units = [HANDLER, SERVICE]
    if PMD_CASES.is_file():
        seen: set[str] = set()
        for line in PMD_CASES.read_text(encoding="utf-8").splitlines():
            code = json.loads(line)["code"]
            if code not in seen:
                seen.add(code)
                units.append(code)
    return units


def build_run(units: list[str], target_lines: int) -> tuple[list[str], int]:
    run: list[str] = []
    lines = 0
    while lines < target_lines:
        for unit in units:
            run.append(unit)
            lines += unit.count("\n") + 1
            if lines >= target_lines:
                break
    return run, lines


def measure(run: list[str]) -> tuple[float, float]:
    started = time.perf_counter()
    for unit in run:
        analyze_apex(unit)
    total = time.perf_counter() - started
    started = time.perf_counter()
    for unit in run:
        ApexSource(unit)
    parse_only = time.perf_counter() - started
    return total, parse_only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    units = corpus_units()
    run, lines = build_run(units, args.lines)
    analyze_apex(HANDLER)  # load the grammar and rule modules outside the timing
    totals, parses = [], []
    for _ in range(args.rounds):
        total, parse_only = measure(run)
        totals.append(total)
        parses.append(parse_only)
    best, median = min(totals), statistics.median(totals)
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()}, {python}")
    print(f"corpus: {len(units)} distinct units, {len(run)} analysed per round, {lines} lines")
    print(f"rules: {len(ALL_RULES)}")
    print(f"apex analysis: {lines / best:,.0f} lines/s best, {lines / median:,.0f} lines/s median")
    print(f"tree-sitter parse alone: {min(parses) / best:.0%} of the best round")


if __name__ == "__main__":
    main()
