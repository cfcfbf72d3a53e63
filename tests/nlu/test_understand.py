"""The whole NLU on one message, with the shipped model."""

from __future__ import annotations

import json

import pytest

from sfagent.nlu.catalog import SUPPORT_CATEGORIES
from sfagent.nlu.entities import EntityType
from sfagent.nlu.understand import MAX_INTENT_CHARS, Understander, intent_view
from sfagent.pipeline.nlu_runtime import load_understander


@pytest.fixture(scope="module")
def understander() -> Understander:
    return load_understander(None, None)


def test_a_pasted_limit_error_is_understood_end_to_end(understander: Understander) -> None:
    text = (
        "Our AccountTrigger fails with System.LimitException: Too many SOQL queries: 101 "
        "when we load 10k accounts with Data Loader. This is really frustrating!!"
    )
    understood = understander.understand(text)
    assert understood.intent.intent == "governor_limit"
    assert understood.intent.in_scope
    assert understood.category.category == "governor_limit"
    assert understood.category.group == "TECHNICAL"
    assert {"error", "limit"} <= {piece.source for piece in understood.category.evidence}
    assert understood.entity_values(EntityType.ERROR) == ["System.LimitException"]
    assert "Data Loader" in understood.entity_values(EntityType.FEATURE)
    assert understood.sentiment.score < 0
    assert understood.emotion.label == "frustration"
    assert understood.language.code == "en"
    # Priority: the intent's weight, raised for the frustration.
    assert understood.spec is not None
    assert understood.priority > understood.spec.priority_weight
    assert set(understood.timings_ms) == {
        "entities",
        "intent",
        "multi_intent",
        "category",
        "sentiment",
        "emotion",
        "language",
    }


def test_two_requests_in_one_message_give_two_intents_with_spans(
    understander: Understander,
) -> None:
    text = "I need to reset my password, and also my data export keeps failing"
    understood = understander.understand(text)
    assert understood.multi_intent
    intents = [span.intent for span in understood.intents]
    assert intents == ["password_reset", "data_export"]
    for span in understood.intents:
        assert text[span.start : span.end] == span.text


def test_small_talk_is_a_dialogue_act_and_off_topic_is_out_of_scope(
    understander: Understander,
) -> None:
    thanks = understander.understand("thank you so much, that worked!")
    assert (thanks.intent.intent, thanks.category.category) == ("thanks", "other")
    assert thanks.sentiment.label == "positive"
    off_topic = understander.understand("what is the best recipe for banana bread?")
    assert not off_topic.intent.in_scope
    assert off_topic.intent.intent == "oos"
    assert not off_topic.auto_resolvable


def test_spanish_is_detected(understander: Understander) -> None:
    understood = understander.understand(
        "No puedo iniciar sesión en Salesforce desde esta mañana, necesito ayuda por favor"
    )
    assert understood.language.code == "es"


@pytest.mark.parametrize("text", ["", "   \n\t", "?", "🙂"])
def test_empty_and_contentless_messages_do_not_fail(understander: Understander, text: str) -> None:
    understood = understander.understand(text)
    assert understood.category.category in SUPPORT_CATEGORIES
    json.dumps(understood.to_dict())


def test_a_50_kb_message_is_understood_and_bounded_for_the_intent_model(
    understander: Understander,
) -> None:
    log_line = "12:00:00.000 (1)|USER_DEBUG|[1]|DEBUG|value\n"
    text = "Our batch job dies with a CPU time limit, log below.\n" + log_line * 1200
    assert len(text) > 50_000
    code = [
        (e.start, e.end) for e in understander.understand(text).entities if e.type.value == "CODE"
    ]
    view = intent_view(text, code)
    assert len(view) <= MAX_INTENT_CHARS
    assert view.startswith("Our batch job dies")
    understood = understander.understand(text)
    assert understood.category.category == "governor_limit"


def test_results_are_deterministic_and_json_safe(understander: Understander) -> None:
    text = "Flow 'Update Cases' failed: FIELD_CUSTOM_VALIDATION_EXCEPTION on Case 5003000000D8cuI"
    first = understander.understand(text).to_dict()
    second = understander.understand(text).to_dict()
    del first["timings_ms"], second["timings_ms"]
    assert first == second
    assert json.loads(json.dumps(first)) == first
    assert first["category"] in SUPPORT_CATEGORIES
