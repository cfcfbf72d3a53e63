"""Language of a message (ISO 639-1), offline, ignoring code and technical tokens."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

from sfagent.nlu.entities import Entity, EntityType
from sfagent.nlu.entities.prose import prose_view

# Languages the classifier may answer. A closed set of widely used languages keeps short texts
# from landing on rare look-alikes (py3langid knows more than a hundred).
SUPPORTED_LANGUAGES = [
    "af",
    "ar",
    "bg",
    "bn",
    "ca",
    "cs",
    "cy",
    "da",
    "de",
    "el",
    "en",
    "es",
    "et",
    "eu",
    "fa",
    "fi",
    "fr",
    "ga",
    "gl",
    "he",
    "hi",
    "hr",
    "hu",
    "hy",
    "id",
    "is",
    "it",
    "ja",
    "ka",
    "kk",
    "ko",
    "lt",
    "lv",
    "mk",
    "ml",
    "mr",
    "ms",
    "nl",
    "no",
    "pa",
    "pl",
    "pt",
    "ro",
    "ru",
    "sk",
    "sl",
    "sq",
    "sr",
    "sv",
    "sw",
    "ta",
    "te",
    "th",
    "tl",
    "tr",
    "uk",
    "ur",
    "vi",
    "zh",
]

# Fewer letters of prose than this and the text says too little: answer the default.
MIN_LETTERS = 12
# Below this many letters a guess is never called reliable, whatever its probability.
RELIABLE_LETTERS = 25
RELIABLE_PROBABILITY = 0.8
# An unreliable guess yields to the default language when the default is this probable too.
DEFAULT_PRIOR_PROBABILITY = 0.3
# A guess under this probability on a short text falls back to the default.
SHORT_TEXT_LETTERS = 40
SHORT_TEXT_MIN_PROBABILITY = 0.5

# Scripts that name one language outright (Unicode character-name prefixes).
_SCRIPT_LANGUAGES = {
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HANGUL": "ko",
    "THAI": "th",
    "GREEK": "el",
    "HEBREW": "he",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
    "CJK": "zh",  # Han ideographs without kana
}
_SCRIPT_CONFIDENCE = {"zh": 0.95}
_TRIM = ".,;:!?()[]{}\"'«»¿¡“”‘’…-–—*"  # noqa: RUF001 - typographic quotes are trimmed on purpose
_TECHNICAL_CHARS = frozenset("0123456789_/\\@=<>{}[]|.#$%^&*~`+")
_INNER_CAPITAL = re.compile(r"[a-z][A-Z]")
_FIRST_NON_LATIN = "\u0370"  # letters below this are Latin, which names no single language
# The opening of a long message is enough to tell its language and keeps the cost bounded.
MAX_CLASSIFIED_CHARS = 2000


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """ISO 639-1 code, the classifier's probability, and whether the guess can be trusted."""

    code: str
    confidence: float
    reliable: bool


@cache
def load_language_model() -> LanguageIdentifier:
    """The classifier, built once (about a second); call at start-up to keep first requests fast."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(SUPPORTED_LANGUAGES)
    return identifier


def detect_language(
    text: str, *, default: str = "en", entities: Sequence[Entity] | None = None
) -> LanguageGuess:
    """Guess the language of the prose; too little prose (or only code) gives `default`."""
    prose = language_prose(text, entities)[:MAX_CLASSIFIED_CHARS]
    letters = sum(map(str.isalpha, prose))
    by_script = _single_script_language(prose)
    if by_script is not None and letters >= 2:
        return LanguageGuess(by_script, _SCRIPT_CONFIDENCE.get(by_script, 1.0), letters >= 4)
    if letters < MIN_LETTERS:
        return LanguageGuess(default, 0.0, False)
    ranked = load_language_model().rank(prose)
    code, probability = str(ranked[0][0]), round(float(ranked[0][1]), 4)
    reliable = letters >= RELIABLE_LETTERS and probability >= RELIABLE_PROBABILITY
    if reliable or code == default:
        return LanguageGuess(code, probability, reliable)
    default_probability = next((float(p) for lang, p in ranked if lang == default), 0.0)
    too_unsure = letters < SHORT_TEXT_LETTERS and probability < SHORT_TEXT_MIN_PROBABILITY
    if too_unsure or default_probability >= DEFAULT_PRIOR_PROBABILITY:
        return LanguageGuess(default, round(default_probability, 4), False)
    return LanguageGuess(code, probability, False)


def language_prose(text: str, entities: Sequence[Entity] | None = None) -> str:
    """The words of the message that carry its language: no code, ids, URLs or identifiers."""
    code_spans = None
    if entities is not None:
        code_spans = [(e.start, e.end) for e in entities if e.type is EntityType.CODE]
    words = [_natural_word(token) for token in prose_view(text, code_spans).split()]
    return " ".join(word for word in words if word)


def _natural_word(token: str) -> str:
    word = token.strip(_TRIM)
    if not word or _TECHNICAL_CHARS.intersection(word) or _INNER_CAPITAL.search(word):
        return ""
    # An all-capitals word of Latin letters is an acronym or a constant (SOQL, DML, API).
    if len(word) > 1 and word.isupper() and word.isascii():
        return ""
    return word


def _single_script_language(prose: str) -> str | None:
    """The language a distinctive script gives away, if such letters dominate the prose."""
    if prose.isascii():
        return None
    counts: dict[str, int] = {}
    letters = 0
    for char in prose:
        if not char.isalpha():
            continue
        letters += 1
        if char < _FIRST_NON_LATIN:
            continue
        script = unicodedata.name(char, "").split(" ", 1)[0]
        if script in _SCRIPT_LANGUAGES:
            language = _SCRIPT_LANGUAGES[script]
            counts[language] = counts.get(language, 0) + 1
    if not counts:
        return None
    # Japanese mixes kana with Han characters: a little kana is enough to tell it from Chinese.
    if counts.get("ja", 0) >= 0.1 * letters:
        return "ja"
    language, count = max(counts.items(), key=lambda item: item[1])
    return language if language != "ja" and count >= 0.5 * letters else None
