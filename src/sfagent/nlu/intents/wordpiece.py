"""BERT's uncased WordPiece tokenizer in plain Python, so the static encoder needs no extra.

It follows the `tokenizers` pipeline of all-MiniLM-L6-v2 (clean text, pad CJK characters,
lowercase, strip accents, split on whitespace and punctuation, greedy longest-match pieces).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

UNKNOWN = "[UNK]"
CONTINUATION = "##"
# BERT turns a word longer than this into [UNK] rather than search it piece by piece.
LONGEST_WORD = 100


class WordPieceTokenizer:
    """Maps text to vocabulary ids, as BERT's uncased WordPiece does."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.vocabulary = list(vocabulary)
        self._index = {piece: index for index, piece in enumerate(self.vocabulary)}
        self._longest = max((len(piece) for piece in self.vocabulary), default=1)

    def ids(self, text: str, *, unknown: int | None = None) -> list[int]:
        """The ids of the text's pieces, in order, without [CLS]/[SEP].

        A word that cannot be spelled from the pieces is left out, or stands as the id
        `unknown` when one is given (BERT's [UNK], which a transformer needs in its place).
        """
        result: list[int] = []
        for word in split_words(text):
            pieces = self._pieces(word)
            if pieces:
                result.extend(pieces)
            elif unknown is not None:
                result.append(unknown)
        return result

    def _pieces(self, word: str) -> list[int]:
        if len(word) > LONGEST_WORD:
            return []
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = min(len(word), start + self._longest)
            found = None
            while end > start:
                piece = word[start:end] if start == 0 else CONTINUATION + word[start:end]
                if (found := self._index.get(piece)) is not None:
                    break
                end -= 1
            if found is None:
                return []  # like BERT: one unspellable piece makes the whole word unknown
            pieces.append(found)
            start = end
        return pieces


def split_words(text: str) -> list[str]:
    """Normalised words and single punctuation marks, as BERT's pre-tokenizer splits them."""
    words: list[str] = []
    current: list[str] = []
    for char in _normalise(text):
        if char.isspace() or _is_punctuation(char) or _is_cjk(char):
            if current:
                words.append("".join(current))
                current = []
            if not char.isspace():
                words.append(char)
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(char for char in decomposed if _kept(char))


def _kept(char: str) -> bool:
    if char in "\t\n\r":
        return True
    if ord(char) in (0, 0xFFFD):
        return False
    category = unicodedata.category(char)
    return category not in ("Mn", "Cc", "Cf")


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )
