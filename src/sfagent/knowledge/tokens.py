"""Tokenisation that keeps Salesforce identifiers whole and also searchable by their parts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

# A word, optionally joined to more words by dots or hyphens: `System.LimitException`,
# `UNABLE_TO_LOCK_ROW`, `Account__c`, `governor-limits`, `101`.
# Possessive (`++`, `*+`): a word character never gives way to a separator, so backtracking
# could never find another match; skipping it makes indexing faster.
RAW_TOKEN = re.compile(r"[A-Za-z0-9_$]++(?:[.\-][A-Za-z0-9_$]++)*+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# Only the commonest function words: Salesforce vocabulary ("limit", "record") must stay.
_STOPWORD_TEXT = """a an and are as at be but by can do does for from has have how i in into
is it its my of on or our so that the their then there these this to was we were
what when where which
while who why will with you your"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
MAX_QUERY_TOKENS = 256  # a pasted 50 KB log must not turn into a 10,000-term query
# Words repeat endlessly across a corpus and within a paste; their terms are computed once.
TERM_CACHE = 1 << 17


@dataclass(frozen=True, slots=True)
class RawToken:
    """A token as written in the text, with its offsets (for highlighting)."""

    text: str
    start: int
    end: int


def raw_tokens(text: str) -> Iterator[RawToken]:
    """Surface tokens of `text` with their character offsets."""
    for found in RAW_TOKEN.finditer(text):
        word = found.group().strip("-.")
        if word:
            yield RawToken(word, found.start(), found.start() + len(word))


def expand(word: str) -> list[str]:
    """Index terms for one surface token: the whole token, its parts and camel-case pieces."""
    lowered = word.lower()
    terms = [lowered]
    parts = [part for part in re.split(r"[.\-]|_+", word) if part]
    pieces: list[str] = []
    if len(parts) > 1:
        pieces.extend(parts)
    for part in parts or [word]:
        camel = _CAMEL.findall(part)
        if len(camel) > 1:
            pieces.extend(camel)
    for piece in pieces:
        term = stem(piece.lower())
        if _useful(term) and term not in terms:
            terms.append(term)
    if lowered.isalpha():
        terms[0] = stem(lowered)
    return [term for term in terms if _useful(term)]


@lru_cache(maxsize=TERM_CACHE)
def word_terms(word: str) -> tuple[str, ...]:
    """`expand(word)` for a surface word as `RAW_TOKEN` finds it, cached per distinct word."""
    word = word.strip("-.")  # as `raw_tokens` trims a token
    return tuple(expand(word)) if word else ()


def tokenize(text: str) -> list[str]:
    """All index terms of `text`, in order, repeats kept (BM25 needs term frequencies)."""
    return [term for word in RAW_TOKEN.findall(text) for term in word_terms(word)]


def query_terms(text: str) -> list[str]:
    """Distinct terms of a query, in first-seen order, capped at `MAX_QUERY_TOKENS`.

    Stops reading at the cap, so a long paste costs no more than its head.
    """
    seen: dict[str, None] = {}
    for word in RAW_TOKEN.finditer(text):
        for term in word_terms(word.group()):
            if term not in seen:
                seen[term] = None
                if len(seen) >= MAX_QUERY_TOKENS:
                    return list(seen)
    return list(seen)


def stem(word: str) -> str:
    """A light English plural stemmer: "queries" → "query", "rows" → "row"."""
    if not word.isalpha() or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def is_code_like(word: str) -> bool:
    """True for identifiers worth an exact match: codes, exceptions, custom names, ids."""
    if "_" in word.strip("_") or "." in word:
        return True
    return word.endswith("Exception") or (word.isupper() and len(word) >= 4)


def _useful(term: str) -> bool:
    return bool(term) and term not in STOPWORDS and (len(term) > 1 or term.isdigit())
