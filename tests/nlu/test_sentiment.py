"""Sentiment: VADER with a support-desk layer, code kept out, and per-aspect scores."""

from __future__ import annotations

import pytest

from sfagent.nlu.entities import EntityType, extract_entities
from sfagent.nlu.sentiment import AspectSentiment, Sentiment, analyze_sentiment, label_for


def aspects_by_name(result: Sentiment) -> dict[str, AspectSentiment]:
    return {aspect.aspect: aspect for aspect in result.aspects}


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thanks so much, that fixed it! Works perfectly now.", "positive"),
        ("The new dashboard is great, I love it", "positive"),
        ("This is terrible, the page is broken and useless", "negative"),
        ("How do I add a picklist value to a field?", "neutral"),
        ("Please reset the password for our integration user.", "neutral"),
    ],
)
def test_labels(text: str, label: str) -> None:
    result = analyze_sentiment(text)
    assert result.label == label and -1.0 <= result.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "The export is still broken.",
        "This is the third time I am reporting this.",
        "Production is down.",
        "The integration is not working.",
        "Urgent: the sync keeps failing.",
        "Nobody has responded to my case.",
    ],
)
def test_support_phrases_are_negative(text: str) -> None:
    assert analyze_sentiment(text).label == "negative"


def test_polite_requests_for_help_are_not_positive() -> None:
    # VADER alone scores "please help" and "support" as positive words.
    assert analyze_sentiment("Please help, I need support with a sharing rule").label == "neutral"


def test_error_words_inside_a_stack_trace_do_not_count() -> None:
    trace = (
        "System.DmlException: Insert failed. First exception on row 0; first error: "
        "FIELD_CUSTOM_VALIDATION_EXCEPTION, fatal error, record rejected\n"
        "Class.InvoiceService.save: line 12, column 1\n"
    )
    message = "Could you take a look at this?\n" + trace
    assert analyze_sentiment(message).label == "neutral"
    assert analyze_sentiment("Could you take a look? It failed with a fatal error.").score < -0.05


def test_error_words_inside_fenced_code_do_not_count() -> None:
    message = "Here is my test:\n```apex\nSystem.assert(false, 'fatal failure, bad data');\n```"
    assert analyze_sentiment(message).score == 0.0


def test_error_text_after_an_exception_name_does_not_count() -> None:
    message = "Getting System.QueryException: List has no rows, failed and rejected"
    assert analyze_sentiment(message).label == "neutral"


def test_per_aspect_sentiment_splits_on_but() -> None:
    result = analyze_sentiment("Service Cloud is great but the Flow builder keeps crashing")
    aspects = aspects_by_name(result)
    assert aspects["Service Cloud"].label == "positive"
    assert aspects["Service Cloud"].kind is EntityType.PRODUCT
    assert aspects["Flow"].label == "negative" and aspects["Flow"].kind is EntityType.FEATURE


def test_per_aspect_sentiment_across_sentences() -> None:
    text = (
        "I love Sales Cloud. However Marketing Cloud is terrible and slow. Opportunities load fine."
    )
    aspects = aspects_by_name(analyze_sentiment(text))
    assert aspects["Sales Cloud"].label == "positive"
    assert aspects["Marketing Cloud"].label == "negative"
    assert aspects["Opportunity"].kind is EntityType.SALESFORCE_OBJECT


def test_repeated_aspect_is_averaged() -> None:
    first, second = "Apex is great.", "Apex is awful."
    apex = aspects_by_name(analyze_sentiment(f"{first} {second}"))["Apex"]
    expected = (analyze_sentiment(first).score + analyze_sentiment(second).score) / 2
    assert apex.mentions == 2 and apex.score == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    "text",
    [
        "Our Opportunity stage is Closed Won, how do I save the picklist value?",
        "Thanks in advance. Best regards, Dana",
        "Which security settings allow users to approve records?",
    ],
)
def test_salesforce_vocabulary_and_courtesy_are_neutral(text: str) -> None:
    assert analyze_sentiment(text).label == "neutral"


def test_objects_inside_code_are_not_aspects() -> None:
    message = "This is fine.\n```\nList<Account> a = [SELECT Id FROM Account];\n```"
    assert analyze_sentiment(message).aspects == ()


def test_passing_entities_gives_the_same_result() -> None:
    text = "Service Cloud is great but Flow keeps failing since yesterday"
    assert analyze_sentiment(text, entities=extract_entities(text)) == analyze_sentiment(text)


@pytest.mark.parametrize("text", ["", "   ", "```\nx = 1;\n```"])
def test_nothing_to_score_is_neutral_zero(text: str) -> None:
    assert analyze_sentiment(text) == Sentiment(0.0, "neutral", ())


def test_label_thresholds() -> None:
    assert [label_for(s) for s in (-0.05, -0.04, 0.0, 0.04, 0.05)] == [
        "negative",
        "neutral",
        "neutral",
        "neutral",
        "positive",
    ]
