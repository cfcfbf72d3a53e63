"""Salesforce identifiers are indexed whole and by their parts."""

from __future__ import annotations

import pytest

from sfagent.knowledge import tokenize
from sfagent.knowledge.tokens import MAX_QUERY_TOKENS, RAW_TOKEN, expand, query_terms, raw_tokens

PASTE = (
    "System.DmlException: Update failed. First exception on row 0 with id 001xx000003DGb2; "
    "first error: FIELD_CUSTOM_VALIDATION_EXCEPTION, Close date -- must be set.: [CloseDate]\n"
    "Class.OpportunityService.close: line 42, column 1 ... Trigger.OppTrigger: line 5\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("System.LimitException", {"system.limitexception", "limitexception", "system"}),
        ("UNABLE_TO_LOCK_ROW", {"unable_to_lock_row", "unable", "lock", "row"}),
        ("Account__c", {"account__c"}),
        ("Too many SOQL queries: 101", {"soql", "query", "101"}),
        ("invalid_grant", {"invalid_grant", "invalid", "grant"}),
        ("NullPointerException", {"nullpointerexception", "null", "pointer"}),
    ],
)
def test_tokens_kept_whole_and_split(text: str, expected: set[str]) -> None:
    assert expected <= set(tokenize(text))


def test_stopwords_dropped_and_plurals_folded() -> None:
    assert tokenize("How do the queries work") == ["query", "work"]


def test_tokenize_is_the_expansion_of_every_raw_token() -> None:
    expected = [term for token in raw_tokens(PASTE) for term in expand(token.text)]
    assert tokenize(PASTE) == expected


def test_query_terms_are_distinct_in_first_seen_order() -> None:
    assert query_terms(PASTE) == list(dict.fromkeys(tokenize(PASTE)))


def test_query_terms_stop_at_the_cap() -> None:
    paste = " ".join(f"Field{number}__c" for number in range(MAX_QUERY_TOKENS * 4))
    terms = query_terms(paste)
    assert len(terms) == MAX_QUERY_TOKENS
    assert terms == list(dict.fromkeys(tokenize(paste)))[:MAX_QUERY_TOKENS]


def test_raw_token_matches_need_no_trimming() -> None:
    text = "-lead .x.y- a--b ..c.. --d-e-- Account__c.Name- $Label.x_y."
    assert [token.text for token in raw_tokens(text)] == RAW_TOKEN.findall(text)
