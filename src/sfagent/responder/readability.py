"""Plain-prose helpers: Markdown stripping, sentence splitting and Flesch reading ease.

The composer only copies sentences from sources, so readability is controlled by which
sentences it picks and how it trims them; these functions measure and split the prose.
"""

from __future__ import annotations

import re

_FENCED_CODE = re.compile(r"^[ \t]*```.*?^[ \t]*```[ \t]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]+\)")
_URL = re.compile(r"https?://\S+")
_CITATION_MARKER = re.compile(r"\[\d+\]")
# Template placeholders ({{BILLING_EMAIL}}) stand for a URL, address, name or number the
# tenant fills in, so each reads as one short word.
_PLACEHOLDER = re.compile(r"\{\{[^{}\n]*\}\}")
_LINE_MARKUP = re.compile(r"^[ \t]*(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|~~)")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|\d+(?:[.,]\d+)*")
# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "etc.", "approx.", "Inc.", "Ltd.", "No.")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9`*\"'(\[{\x00])")
_MASK = "\x00"

# Flesch (1948): 206.835 - 1.015 * words per sentence - 84.6 * syllables per word.
_FLESCH_BASE = 206.835
_FLESCH_SENTENCE_WEIGHT = 1.015
_FLESCH_SYLLABLE_WEIGHT = 84.6
_VOWEL_GROUP = re.compile(r"[aeiouy]+")
# Endings that add a syllable the vowel-group count misses, or remove one it counts twice.
_EXTRA_SYLLABLE = re.compile(r"(?:ia|iet|eo)$")
# A final "e" is silent after a consonant ("use", "profile") but not in "-ble", "-tle".
_SILENT_ENDING = re.compile(r"(?:[^aeiouy]e|[^aeiouyscgzxh]es|[^aeioudt]ed)$(?<![^aeiouy]le)")


def strip_markdown(text: str) -> str:
    """Prose only: no code, URLs, markup or citation markers; each line a separate unit."""
    text = _FENCED_CODE.sub("\n", text)
    text = _INLINE_CODE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _CITATION_MARKER.sub("", text)
    text = _PLACEHOLDER.sub("X", text)
    lines = (_LINE_MARKUP.sub("", line) for line in text.split("\n"))
    return "\n".join(_EMPHASIS.sub("", line).strip() for line in lines)


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph of Markdown prose, keeping inline code and abbreviations."""
    masked, kept = _mask(text)
    pieces = _SENTENCE_END.split(masked)
    return [_unmask(piece, kept).strip() for piece in pieces if piece.strip()]


def count_syllables(word: str) -> int:
    """English syllables in one word, by vowel groups with common corrections (at least 1)."""
    letters = re.sub(r"[^a-z]", "", word.lower())
    count = len(_VOWEL_GROUP.findall(letters))
    if count > 1 and _SILENT_ENDING.search(letters):
        count -= 1
    if _EXTRA_SYLLABLE.search(letters):
        count += 1
    return max(1, count)


def flesch_reading_ease(text: str) -> float:
    """Flesch reading ease of Markdown `text` after stripping code and markup (higher = easier).

    Each line counts as at least one sentence, because list items and headings are read as
    separate units even without a full stop. Returns 0.0 for text with no words.
    """
    sentences = [
        sentence
        for line in strip_markdown(text).split("\n")
        for sentence in split_sentences(line)
        if _WORD.search(sentence)
    ]
    words = [word for sentence in sentences for word in _words(sentence)]
    if not words:
        return 0.0
    syllables = sum(count_syllables(word) for word in words)
    return (
        _FLESCH_BASE
        - _FLESCH_SENTENCE_WEIGHT * len(words) / len(sentences)
        - _FLESCH_SYLLABLE_WEIGHT * syllables / len(words)
    )


def _words(sentence: str) -> list[str]:
    """Words of a sentence; identifiers like UNABLE_TO_LOCK_ROW count as their parts."""
    return _WORD.findall(sentence.replace("_", " "))


def _mask(text: str) -> tuple[str, list[str]]:
    """Hide inline code and abbreviations so their full stops do not end a sentence."""
    kept: list[str] = []

    def hide(found: re.Match[str]) -> str:
        kept.append(found.group(0))
        return f"{_MASK}{len(kept) - 1}{_MASK}"

    masked = _INLINE_CODE.sub(hide, text)
    for abbreviation in _ABBREVIATIONS:
        masked = re.sub(rf"(?<![\w.]){re.escape(abbreviation)}", hide, masked)
    return masked, kept


def _unmask(text: str, kept: list[str]) -> str:
    return re.sub(f"{_MASK}(\\d+){_MASK}", lambda found: kept[int(found.group(1))], text)
