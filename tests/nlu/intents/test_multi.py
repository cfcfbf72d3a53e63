"""Multi-intent messages: clause spans, merging of unsure clauses, code left whole."""

from __future__ import annotations

import pytest

from sfagent.nlu.intents import IntentModel, split_intents
from sfagent.nlu.intents.code_regions import code_regions


def intents_and_texts(text: str, model: IntentModel) -> list[tuple[str, str]]:
    spans = split_intents(text, model)
    for span in spans:
        assert text[span.start : span.end] == span.text
    return [(span.intent, span.text) for span in spans]


def test_two_requests_joined_by_and_give_two_spans(model: IntentModel) -> None:
    text = "reset my password, and my data export also fails"
    spans = split_intents(text, model)
    assert [(s.intent, s.start, s.end) for s in spans] == [
        ("password_reset", 0, 17),
        ("data_export", 23, 48),
    ]


@pytest.mark.parametrize(
    ("text", "first", "second"),
    [
        ("I forgot my password; also where is my invoice?", "I forgot my password", "where is"),
        (
            "I forgot my password.\nAnother thing: where is my invoice?",
            "I forgot my password.",
            "where is",
        ),
        ("I forgot my password plus where is my invoice", "I forgot my password", "where is"),
        ("I forgot my password. Where is my invoice?", "I forgot my password.", "Where is"),
    ],
)
def test_other_clause_boundaries_split(
    model: IntentModel, text: str, first: str, second: str
) -> None:
    assert intents_and_texts(text, model) == [
        ("password_reset", first),
        ("billing_invoice", text[text.index(second) :]),
    ]


def test_one_request_with_and_inside_stays_whole(model: IntentModel) -> None:
    text = "please reset my password and send the reset link"
    assert intents_and_texts(text, model) == [("password_reset", text)]


def test_repeated_intent_is_reported_once(model: IntentModel) -> None:
    text = "I forgot my password and the password reset email never arrived"
    assert [intent for intent, _ in intents_and_texts(text, model)] == ["password_reset"]


def test_fenced_code_is_never_split(model: IntentModel) -> None:
    code = (
        "```\nAccount a = [SELECT Id FROM Account LIMIT 1];\n"
        "a.Name = 'x'; update a;\nSystem.debug('and also'); // plus\n```"
    )
    text = f"my apex trigger throws an exception:\n{code}\nAlso where is my invoice?"
    spans = split_intents(text, model)
    assert [span.intent for span in spans] == ["apex_error", "billing_invoice"]
    assert code in spans[0].text


def test_stack_trace_lines_are_never_split(model: IntentModel) -> None:
    trace = (
        "System.NullPointerException: Attempt to de-reference a null object. And more.\n"
        "Class.InvoiceService.send: line 12, column 1\nTrigger.InvoiceTrigger: line 3"
    )
    text = f"my apex trigger fails\n{trace}"
    spans = split_intents(text, model)
    assert len(spans) == 1 and spans[0].text == text


def test_code_regions_cover_code_lines_but_not_prose() -> None:
    text = "hello there.\n    for (Account a : accounts) {\n    }\nthanks; bye"
    (region,) = code_regions(text)
    assert text[region[0] : region[1]].strip().startswith("for (Account")
    assert "thanks" not in text[region[0] : region[1]]


def test_empty_message_has_no_intents(model: IntentModel) -> None:
    assert split_intents("  \n ", model) == []


def test_fifty_kilobyte_message_gives_one_span(model: IntentModel) -> None:
    text = "my data export fails. " * 2300
    spans = split_intents(text, model)
    assert [span.intent for span in spans] == ["data_export"]
