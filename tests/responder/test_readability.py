"""Flesch reading ease, Markdown stripping and sentence splitting for composed replies."""

from __future__ import annotations

import pytest

from sfagent.responder.readability import (
    count_syllables,
    flesch_reading_ease,
    split_sentences,
    strip_markdown,
)


def test_flesch_matches_the_formula_for_one_syllable_words() -> None:
    # 6 words, 1 sentence, 6 syllables: 206.835 - 1.015 * 6 - 84.6 * 1.
    assert flesch_reading_ease("The cat sat on the mat.") == pytest.approx(116.145)


def test_short_plain_sentences_score_higher_than_long_technical_ones() -> None:
    plain = "Open the report. Click Save. The new rows show up at once."
    hard = (
        "Administrators configuring organization-wide sharing defaults should evaluate "
        "hierarchical visibility implications before modifying authorization configurations."
    )
    assert flesch_reading_ease(plain) > 60 > flesch_reading_ease(hard)


def test_code_blocks_and_inline_code_do_not_count() -> None:
    prose = "Run the query again. It should work now."
    with_code = (
        "Run the query again.\n\n```apex\nList<Account> accounts = [SELECT Id FROM Account];\n```"
        "\n\nIt should work now. `Database.executeBatch(new AccountCleanup(), 200)`"
    )
    assert flesch_reading_ease(with_code) == pytest.approx(flesch_reading_ease(prose))


def test_markup_links_urls_and_citation_markers_are_stripped() -> None:
    text = "## Steps\n\n1. **Open** [the portal](https://example.com) now. [1]\n- See https://x.io"
    assert strip_markdown(text).split("\n") == ["Steps", "", "Open the portal now.", "See"]


def test_each_line_counts_as_a_sentence() -> None:
    one_sentence = "Open the page and click the button and wait for the list"
    as_lines = "Open the page\nand click the button\nand wait for the list"
    assert flesch_reading_ease(as_lines) > flesch_reading_ease(one_sentence)


def test_placeholders_read_as_one_short_word() -> None:
    assert flesch_reading_ease("Email {{BILLING_EMAIL}} now.") == flesch_reading_ease(
        "Email X now."
    )


def test_text_without_words_scores_zero() -> None:
    assert flesch_reading_ease("```\ncode only\n```") == 0.0


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("the", 1),
        ("use", 1),
        ("table", 2),
        ("profile", 2),
        ("record", 2),
        ("changes", 2),
        ("saved", 1),
        ("available", 4),
        ("administrator", 5),
        ("API", 2),
    ],
)
def test_syllable_heuristic_counts_common_words(word: str, syllables: int) -> None:
    assert count_syllables(word) == syllables


def test_sentences_split_without_breaking_inline_code_or_abbreviations() -> None:
    text = "Call `Database.query(q)`. Then check, e.g. the log. `Limits.getQueries()` helps!"
    assert split_sentences(text) == [
        "Call `Database.query(q)`.",
        "Then check, e.g. the log.",
        "`Limits.getQueries()` helps!",
    ]
