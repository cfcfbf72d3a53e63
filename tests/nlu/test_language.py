"""Language detection: accuracy on our multilingual fixture, short and code-heavy messages."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from sfagent.nlu.language import SUPPORTED_LANGUAGES, detect_language, language_prose

FIXTURE = Path(__file__).parent / "fixtures" / "languages.jsonl"
ROWS = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]


def test_fixture_covers_at_least_twenty_languages() -> None:
    counts = Counter(row["lang"] for row in ROWS)
    assert len(counts) >= 20 and min(counts.values()) >= 3
    assert set(counts) <= set(SUPPORTED_LANGUAGES)


def test_accuracy_on_the_fixture() -> None:
    wrong = [(row["lang"], detect_language(row["text"]).code, row["text"]) for row in ROWS]
    wrong = [item for item in wrong if item[0] != item[1]]
    assert len(wrong) <= len(ROWS) * 0.03, wrong


def test_full_sentences_are_mostly_reliable() -> None:
    sentences = [row for row in ROWS if row["kind"] == "sentence"]
    reliable = [row for row in sentences if detect_language(row["text"]).reliable]
    assert len(reliable) >= 0.9 * len(sentences)


@pytest.mark.parametrize("text", ["help", "ok thanks", "merci", "Danke!", "", "   ", "???"])
def test_too_little_prose_gives_the_default(text: str) -> None:
    guess = detect_language(text, default="de")
    assert (guess.code, guess.reliable) == ("de", False)


def test_a_stack_trace_is_not_language() -> None:
    trace = (
        "System.NullPointerException: Attempt to de-reference a null object\n"
        "Class.InvoiceService.total: line 42, column 1\nTrigger.InvoiceTrigger: line 3, column 1"
    )
    assert detect_language(trace, default="fr").code == "fr"
    assert detect_language(trace + "\nAide svp", default="fr").code == "fr"


def test_prose_around_code_decides() -> None:
    text = (
        "```apex\npublic class Foo { void bar() { insert accounts; } }\n```\n"
        "Hallo, seit gestern funktioniert das Speichern nicht mehr, könnt ihr helfen?"
    )
    guess = detect_language(text)
    assert guess.code == "de" and guess.reliable


def test_identifiers_ids_and_urls_are_not_prose() -> None:
    text = (
        "ERROR INVALID_SESSION_ID 001xx000003DGb2AAG https://acme.my.salesforce.com/ Account.Name"
    )
    assert language_prose(text) == ""
    assert detect_language(text, default="es").code == "es"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("こんにちは", "ja"),
        ("안녕하세요", "ko"),
        ("สวัสดีครับ", "th"),
        ("Γεια σας", "el"),
        ("谢谢你们", "zh"),
    ],
)
def test_distinctive_scripts_decide_short_texts(text: str, code: str) -> None:
    assert detect_language(text).code == code


def test_japanese_with_many_kanji_is_japanese() -> None:
    assert detect_language("共有設定を確認してください").code == "ja"


def test_unsure_guess_yields_to_the_default_when_the_default_is_plausible() -> None:
    text = (
        "Bisakah Anda menjelaskan bagaimana aturan berbagi menentukan siapa yang boleh "
        "melihat catatan ini?"
    )
    assert detect_language(text, default="ms").code == "ms"
    assert detect_language(text, default="en").code == "id"


def test_clear_english_with_jargon() -> None:
    guess = detect_language(
        "Our Apex trigger on Opportunity fails whenever a user updates the stage"
    )
    assert guess.code == "en" and guess.reliable and 0.0 < guess.confidence <= 1.0
