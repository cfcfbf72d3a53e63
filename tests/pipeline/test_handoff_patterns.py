"""What a machine should not try to settle: the words that hand a message to a person, the
priority the hand-off gets, and the everyday messages that must stay with the agent."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.diagnose import diagnose_message
from sfagent.escalation.policy import plan_handoff
from sfagent.pipeline.policy import (
    _HANDOFF_PATTERNS,
    handoff_needed,
    knowledge_answer_allowed,
    support_category,
)
from sfagent.pipeline.turn import Turn


def reason_for(text: str) -> str | None:
    handoff = handoff_needed(Turn(content=text, channel="api"))
    return handoff.reason if handoff is not None else None


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        (
            "an intern ran a Data Loader Hard Delete on 48,000 Contacts using the wrong file, "
            "the recycle bin is empty",
            "urgent",
        ),
        ("We accidentally deleted all the opportunities of the EMEA team", "urgent"),
        ("Someone overwrote the prices on 12,000 products by mistake with an import", "urgent"),
        (
            "Help!! a colleague ran a Data Loader update with the wrong file and overwrote phone "
            "and email on ~40,000 contacts in production",
            "urgent",
        ),
        ("I'm the only system administrator and I can't log in since MFA broke", "high"),
        ("Our class throws System.UnexpectedException: Salesforce System Error: 1928-4821", "high"),
        ("We need a corrected invoice issued with our VAT number", "high"),
        ("Our admin logged in from Romania at 3am and none of us are there", "urgent"),
        ("Without logging in, anyone can see other customers' cases on our portal", "urgent"),
        ("A mass delete with the wrong filter: 40,000 accounts and contacts are gone", "urgent"),
        (
            "I activated a flow 30 min ago, it sets Stage = Closed Lost on every opp and the "
            "integration updates thousands right now",
            "urgent",
        ),
        ("The sandbox refresh is stuck for 5 days. Can someone look at it?", "normal"),
        ("We only use 22 of 40. I want to cancel 18 licenses now", "high"),
        ("I do not agree to this price. Can you stop the auto renewal?", "high"),
        ("Users can't log in, we got an email about an overdue balance", "high"),
        ("We fired a manager an hour ago and he has been exporting our customer list", "urgent"),
        ("She clicked the link and typed her username and password on that page", "urgent"),
        ("Our only Salesforce admin left the company; how do we get admin access back?", "high"),
        ("It is sending 'contract terminated' emails to customers. Still running.", "urgent"),
        ("We fixed the vendor job. Can you raise our daily API limit for today?", "normal"),
        ("Nobody at our company (900 users) can log into Salesforce since 8am", "urgent"),
        ("PRODUCTION DOWN. Since 10:40 our ERP connector fails on every call", "urgent"),
        ("URGENT - since this morning nobody can close a Case in production", "urgent"),
        ("The flow sends the renewal email over and over, some got it 15 times already", "urgent"),
        ("Security concern: our ex-contractor's account logged in 4 times yesterday", "urgent"),
        (
            "A flow we activated is emailing every customer that their contract was cancelled. "
            "It's still running.",
            "urgent",
        ),
        (
            "the new version sets Amount to 0 on every opportunity, thousands of records, and "
            "it's still happening",
            "urgent",
        ),
        (
            "We're disputing the difference and will not pay that line until it's corrected.",
            "high",
        ),
        ("Please route this to whoever handles billing disputes.", "high"),
        ("How do we formally cancel our contract? We do NOT want it to auto-renew.", "high"),
        ("We have decided to move off Salesforce when the contract ends.", "high"),
        ("Please have someone from your side confirm this in writing.", "normal"),
        ("A colleague ran a Data Loader delete with the wrong CSV, 45,000 contacts gone", "urgent"),
        ("URGENT - our production integration is down since 6am", "urgent"),
        ("Security alert: logins for our director from two countries overnight", "urgent"),
        ("The exam crashed and I want a free retake or my money back", "high"),
        ("I don't want a bot answer, I want to speak to an actual person", "normal"),
        ("Who at Salesforce do we notify about this?", "normal"),
        ("Our only Salesforce system administrator left the company two weeks ago", "high"),
        ("Formal notice: we won't be renewing our Salesforce subscription in June", "high"),
        ("We will not renew the contract when the current term ends.", "high"),
        (
            "On behalf of our client, under Article 15 of the GDPR we demand disclosure of all "
            "personal data you hold about her",
            "high",
        ),
    ],
)
def test_what_only_a_person_can_settle_is_handed_off_at_its_priority(
    text: str, priority: str
) -> None:
    reason = reason_for(text)
    assert reason is not None, text
    assert plan_handoff(reason, by_rule=False).priority == priority


@pytest.mark.parametrize(
    "text",
    [
        "The error is still happening after I cleared the cache",
        "My batch job is still running after two hours, is that normal?",
        "How do I cancel a scheduled Apex job?",
        "How do I delete records in bulk with Data Loader?",
        "Can I restore records from the Recycle Bin with Data Loader?",
        "Our invoice shows the wrong billing address, where do I change it?",
        "Which renewal options do we have for our sandbox licences?",
        "Now nobody can save accounts that have no VAT number, the rule is too strict",
        "She got a new phone and the Salesforce Authenticator app is gone",
        "How do I warn managers before a case breaches its SLA milestone?",
        "oops. I deleted about 600 contacts by mistake an hour ago. are they gone forever?",
        "I'm the only admin in our org, how do I add a second administrator?",
        "Nobody can edit the Stage field in our sandbox, is that a profile setting?",
        "We sent the newsletter twice by mistake, how do I check the email log?",
        "I want each person to see only their own numbers on the dashboard",
        "Managers should get warned before we breach the first-response target",
        "How do I handle GDPR erasure requests from our own customers in Salesforce?",
        "Why won't the renewal opportunity be created when the contract ends?",
    ],
)
def test_everyday_questions_stay_with_the_agent(text: str) -> None:
    assert reason_for(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Login History shows our admin account was compromised last night", "other"),
        ("Our legal department needs your signed data processing addendum", "other"),
        ("We were charged twice for March, I want the duplicate refunded", "billing_account"),
        ("Guests on our portal can see other customers' cases, fix this now", "billing_account"),
        ("I am the only system admin, my phone was stolen and I can't log in", "billing_account"),
        ("trailhead challenge keeps saying it can't find the custom field I made", "other"),
        ("When will the next Salesforce release hit our sandbox?", "other"),
        ("It's a feature request: please add this feature to dependent picklists", "other"),
        ("When does the Summer release hit our sandbox vs production?", "other"),
        ("quick q unrelated to salesforce - my excel formula returns #N/A", "other"),
    ],
)
def test_incidents_another_team_owns_are_filed_under_other(text: str, category: str) -> None:
    """Compromise, legal, learning and release questions are `other`; an exposure through
    sharing or a locked-out sole admin keeps the category the message would otherwise get
    (here the turn's own, standing in for the understanding and the articles)."""
    turn = Turn(content=text, channel="api", category="billing_account")
    assert support_category(turn) == category


def test_lookahead_patterns_are_anchored_so_a_long_paste_is_scanned_once() -> None:
    """An unanchored leading `(?=.*...)` is retried from every position: quadratic in the
    message, minutes on a 50 KB debug log."""
    unanchored = [p.pattern[:40] for p, _ in _HANDOFF_PATTERNS if p.pattern.startswith("(?=")]
    assert unanchored == []


DEPLOY_REPORT = """Deploy with RunLocalTests fails on tests that have nothing to do with my change:

=== Test Failures [3]
 LegacyInvoiceTest.testPost  Fail  System.AssertException: Assertion Failed: Expected: 2, Actual: 3
 QuoteSyncTest.testSync      Fail  System.DmlException: Insert failed. First exception on row 0; \
first error: FIELD_CUSTOM_VALIDATION_EXCEPTION, VAT number required
 OldBatchTest.runIt          Fail  System.LimitException: Too many SOQL queries: 101
"""


def test_a_deployment_failing_on_several_kinds_of_test_error_is_a_deployment_question() -> None:
    turn = Turn(
        content=DEPLOY_REPORT,
        channel="api",
        category="governor_limit",
        diagnosis=diagnose_message(DEPLOY_REPORT),
    )
    assert support_category(turn) == "deployment_metadata"


def test_a_deployment_failing_on_one_kind_of_error_keeps_that_error_s_category() -> None:
    text = "Deploy failed: OldBatchTest.runIt System.LimitException: Too many SOQL queries: 101"
    turn = Turn(
        content=text, channel="api", category="governor_limit", diagnosis=diagnose_message(text)
    )
    assert support_category(turn) == "governor_limit"


def test_a_message_that_says_it_is_not_about_salesforce_gets_no_article() -> None:
    text = "quick q unrelated to salesforce - my vlookup formula returns #N/A"
    assert not knowledge_answer_allowed(Turn(content=text, channel="api"))
