"""Emotion: label, intensity 1-5 and per-emotion scores from our lexicon and message cues."""

from __future__ import annotations

import pytest

from sfagent.nlu.emotion import EMOTIONS, NEUTRAL, detect_emotion
from sfagent.nlu.entities import extract_entities


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thanks so much, that fixed it! You're the best", "joy"),
        ("This is unacceptable. We are going to cancel our contract.", "anger"),
        ("The sync failed yet again, this is the third time, still not working", "frustration"),
        ("We're afraid we'll lose data, the deadline is tomorrow.", "fear"),
        ("Unfortunately the import failed and I'm really disappointed.", "sadness"),
        ("Wow, all my reports disappeared out of nowhere!", "surprise"),
        ("I don't understand, what does this error mean?", "confusion"),
        ("How do I add a field to a page layout?", NEUTRAL),
        ("Please reset the password for user jdoe.", NEUTRAL),
    ],
)
def test_labels(text: str, label: str) -> None:
    assert detect_emotion(text).label == label


def test_neutral_has_intensity_zero_and_emotions_one_to_five() -> None:
    assert detect_emotion("Where is the setting for session timeout?").intensity == 0
    for text in ("I'm a bit confused", "FURIOUS!!! This is UNACCEPTABLE and DISGUSTING!!!"):
        assert 1 <= detect_emotion(text).intensity <= 5


def test_exclamation_marks_raise_intensity() -> None:
    calm = detect_emotion("This is frustrating, the export failed again.")
    loud = detect_emotion("This is frustrating, the export failed again!!!!!")
    assert calm.label == loud.label == "frustration"
    assert loud.scores["frustration"] > calm.scores["frustration"]


def test_shouting_raises_intensity_but_acronyms_do_not_shout() -> None:
    calm = detect_emotion("why is this still broken")
    shouted = detect_emotion("WHY IS THIS STILL BROKEN")
    assert shouted.label == "frustration" and shouted.intensity > calm.intensity
    assert detect_emotion("My SOQL query on the REST API returns JSON").label == NEUTRAL


def test_repetition_builds_frustration() -> None:
    once = detect_emotion("The deployment failed.")
    repeated = detect_emotion(
        "The deployment failed again, for the third time, and it keeps failing"
    )
    assert once.label == NEUTRAL and repeated.label == "frustration"


def test_question_pile_up_is_confusion() -> None:
    result = detect_emotion("Why?? What does INVALID_FIELD mean?? Which field??")
    assert result.label == "confusion" and result.intensity >= 3


def test_politeness_is_not_joy() -> None:
    assert detect_emotion("Can you check my login? Thanks in advance.").label == NEUTRAL


def test_negated_joy_is_not_joy() -> None:
    result = detect_emotion("I'm not happy with the new release")
    assert result.label != "joy" and result.scores["joy"] == 0.0


def test_negated_fear_is_not_fear() -> None:
    assert detect_emotion("I'm not worried about it, just curious").label != "fear"


def test_emoji_count() -> None:
    assert detect_emotion("Deployed it 🎉🎉").label == "joy"
    assert detect_emotion("the import again 😡😡").label == "anger"


def test_words_in_code_and_traces_do_not_count() -> None:
    text = (
        "See below.\n```\n// angry fix for the terrible bug, never worked, frustrating\n"
        "System.assert(false);\n```"
    )
    assert detect_emotion(text).label == NEUTRAL
    assert detect_emotion(text, entities=extract_entities(text)).label == NEUTRAL


def test_scores_cover_every_emotion_in_unit_interval() -> None:
    scores = detect_emotion("I'm worried and confused and angry!").scores
    assert set(scores) == set(EMOTIONS)
    assert all(0.0 <= value < 1.0 for value in scores.values())


@pytest.mark.parametrize("text", ["", "   ", "ok"])
def test_empty_or_bare_text_is_neutral(text: str) -> None:
    result = detect_emotion(text)
    assert (result.label, result.intensity) == (NEUTRAL, 0)
