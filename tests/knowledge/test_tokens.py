"""Salesforce identifiers are indexed whole and by their parts."""

from __future__ import annotations

import pytest

from sfagent.knowledge import tokenize


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
