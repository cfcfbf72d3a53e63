"""Hostile input gets an error back, never an exception or unbounded recursion."""

from __future__ import annotations

import random

import pytest

from sfagent.diagnostics.soql import analyze_soql, parse_soql
from sfagent.diagnostics.soql.stream import MAX_NESTING
from sfagent.diagnostics.soql.syntax import MAX_QUERY_CHARS

DEEP = 10_000


def error_code(text: str) -> str:
    result = parse_soql(text)
    assert not result.ok
    return result.errors[0].code


def test_ten_megabytes_is_refused_with_a_clear_error() -> None:
    text = "SELECT Id FROM Account WHERE Name = 'x' " * 250_000
    assert len(text) >= 10_000_000
    assert error_code(text) == "too-long"
    analysis = analyze_soql(text)
    assert analysis.findings[0].rule == "SoqlSyntax"


def test_long_but_allowed_query_still_parses() -> None:
    ids = ", ".join(f"'{index:015d}'" for index in range(8000))
    text = f"SELECT Id FROM Account WHERE Id IN ({ids})"
    assert 100_000 < len(text) < MAX_QUERY_CHARS
    assert parse_soql(text).ok


@pytest.mark.parametrize(
    "text",
    [
        "SELECT Id FROM Account WHERE " + "(" * DEEP + "Name = 'x'" + ")" * DEEP,
        "SELECT Id FROM Account WHERE " + "NOT " * DEEP + "Name = 'x'",
        "SELECT Id, " + "(SELECT Id, " * DEEP + "Id FROM X" + ")" * DEEP + " FROM Account",
        "SELECT Id FROM Account WHERE Id IN "
        + "(SELECT Id FROM X WHERE Id IN " * (DEEP // 10)
        + "('a')"
        + ")" * (DEEP // 10),
        "SELECT " + "FORMAT(" * DEEP + "Id" + ")" * DEEP + " FROM Account",
        "SELECT Id FROM Account WHERE " + "(" * DEEP,
    ],
    ids=["parentheses", "not", "child-subqueries", "semi-joins", "functions", "unclosed"],
)
def test_deep_nesting_stops_at_the_cap(text: str) -> None:
    result = parse_soql(text)
    assert not result.ok
    assert result.errors[0].code == "too-deep"
    assert str(MAX_NESTING) in result.errors[0].message


def test_nesting_just_under_the_cap_parses() -> None:
    depth = MAX_NESTING - 1
    text = "SELECT Id FROM Account WHERE " + "(" * depth + "Name = 'x'" + ")" * depth
    assert parse_soql(text).ok


def test_deep_brackets_inside_a_bind_are_skipped_without_recursion() -> None:
    text = "SELECT Id FROM Account WHERE Id IN :ids.get(" + "(" * DEEP + ")" * DEEP + ")"
    assert parse_soql(text).ok
    assert error_code("SELECT Id FROM Account WHERE Id IN :ids.get(" + "(" * DEEP) == (
        "unbalanced-parentheses"
    )


def test_binary_junk_is_an_error() -> None:
    generator = random.Random(7)
    junk = bytes(generator.randrange(256) for _ in range(50_000)).decode("latin-1")
    assert error_code(junk) in {"bad-character", "missing-select", "unclosed-string"}
    assert error_code("SELECT Id FROM Account WHERE Name = 'x' \x00\x01") == "bad-character"
    assert error_code("\x89PNG\r\n\x1a\n") == "bad-character"


def test_unicode_is_fine_inside_strings_only() -> None:
    assert parse_soql("SELECT Id FROM Account WHERE Name = 'Zürich 東京'").ok
    assert error_code("SELECT Id FROM Accöunt") == "bad-character"


def test_unterminated_string_over_a_large_text_is_an_error() -> None:
    text = "SELECT Id FROM Account WHERE Name = '" + "a\\'" * 50_000
    assert error_code(text) == "unclosed-string"


# One string reads better than a 70-line list for a soup of SOQL tokens.
VOCABULARY = (  # noqa: SIM905
    "SELECT FROM WHERE AND OR NOT IN LIKE GROUP BY HAVING ORDER LIMIT OFFSET WITH TYPEOF WHEN "
    "THEN ELSE END COUNT ( ) , . : = != < > 'a' 'b\\' 1 -2.5 2024-01-01 TODAY LAST_N_DAYS "
    'USD10 null true Id Name Account__r Account__c FIELDS ALL DISTANCE GEOLOCATION ; [ ] " ! '
    "* / == <> NULLS FIRST ASC DESC ROLLUP CUBE USING SCOPE FOR UPDATE new Map < >"
).split()


def test_random_token_soup_never_raises() -> None:
    generator = random.Random(20240131)
    for _ in range(1500):
        words = generator.choices(VOCABULARY, k=generator.randrange(1, 30))
        text = "SELECT " + " ".join(words) if generator.random() < 0.7 else " ".join(words)
        result = parse_soql(text)
        assert result.ok or result.errors
        analyze_soql(text)


def test_mutated_valid_queries_never_raise() -> None:
    base = (
        "SELECT Id, Name, (SELECT Id FROM Contacts WHERE Email LIKE 'a%') FROM Account "
        "WHERE (Name = 'x' OR Industry IN ('a', 'b')) AND CreatedDate > LAST_N_DAYS:30 "
        "AND Id IN :ids GROUP BY Name HAVING COUNT(Id) > 1 ORDER BY Name DESC NULLS LAST "
        "LIMIT 10 OFFSET 5"
    )
    tokens = base.split(" ")
    generator = random.Random(99)
    for _ in range(1000):
        mutated = list(tokens)
        position = generator.randrange(len(mutated))
        action = generator.randrange(3)
        if action == 0:
            del mutated[position]
        elif action == 1:
            mutated.insert(position, generator.choice(tokens))
        else:
            mutated[position] = mutated[position][::-1]
        text = " ".join(mutated)
        result = parse_soql(text)
        assert result.ok or result.errors
