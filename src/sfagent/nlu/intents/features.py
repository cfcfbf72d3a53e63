"""Sparse lexical features: word 1-2-gram and character 2-5-gram TF-IDF, stored without pickle."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

WORD_TOKENS = r"(?u)\b\w+\b"


@dataclass(frozen=True, slots=True)
class LexicalSpec:
    """Which n-grams the lexical features use."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)


def _word_vectorizer(spec: LexicalSpec, vocabulary: dict[str, int] | None) -> TfidfVectorizer:
    return TfidfVectorizer(
        ngram_range=spec.word_ngrams,
        token_pattern=WORD_TOKENS,
        strip_accents="unicode",
        sublinear_tf=True,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


def _char_vectorizer(spec: LexicalSpec, vocabulary: dict[str, int] | None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=spec.char_ngrams,
        strip_accents="unicode",
        sublinear_tf=True,
        vocabulary=vocabulary,
        dtype=np.float32,
    )


class LexicalFeaturizer:
    """Turns texts into one L2-normalised word block and one character block, side by side."""

    def __init__(self, spec: LexicalSpec, word: TfidfVectorizer, char: TfidfVectorizer) -> None:
        self.spec = spec
        self._word = word
        self._char = char
        self._blocks = [_Block.of(word), _Block.of(char)]

    @classmethod
    def fit(cls, texts: Sequence[str], spec: LexicalSpec) -> LexicalFeaturizer:
        """Learn vocabularies and IDF weights from training texts."""
        word = _word_vectorizer(spec, None).fit(texts)
        char = _char_vectorizer(spec, None).fit(texts)
        return cls(spec, word, char)

    @property
    def n_features(self) -> int:
        """Width of the feature vectors this featurizer produces."""
        return len(self._word.vocabulary_) + len(self._char.vocabulary_)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Feature rows for texts (sparse, float32), the same values sklearn's transform gives.

        Computed here from the vectorizers' analyzers: sklearn's own transform spends about
        a millisecond per call on input validation, most of a single message's latency.
        """
        indices: list[NDArray[np.int64]] = []
        values: list[NDArray[np.float64]] = []
        pointers = [0]
        for text in texts:
            offset = 0
            for block in self._blocks:
                columns, weights = block.row(text)
                indices.append(columns + offset)
                values.append(weights)
                pointers.append(pointers[-1] + len(columns))
                offset += block.width
            pointers.pop(-2)
        data = np.concatenate(values).astype(np.float32) if values else np.zeros(0, np.float32)
        columns = np.concatenate(indices) if indices else np.zeros(0, np.int64)
        shape = (len(texts), self.n_features)
        return sp.csr_matrix((data, columns, np.array(pointers)), shape=shape)

    def state(self) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
        """JSON-safe vocabularies and the IDF arrays, enough to rebuild this featurizer."""
        vocabularies = {
            "word": _terms_by_index(self._word.vocabulary_),
            "char": _terms_by_index(self._char.vocabulary_),
            "word_ngrams": list(self.spec.word_ngrams),
            "char_ngrams": list(self.spec.char_ngrams),
        }
        arrays = {
            "word_idf": np.asarray(self._word.idf_, dtype=np.float64),
            "char_idf": np.asarray(self._char.idf_, dtype=np.float64),
        }
        return vocabularies, arrays

    @classmethod
    def from_state(
        cls, vocabularies: dict[str, Any], arrays: dict[str, NDArray[Any]]
    ) -> LexicalFeaturizer:
        """Rebuild a fitted featurizer from `state()` output."""
        spec = LexicalSpec(
            word_ngrams=_pair(vocabularies["word_ngrams"]),
            char_ngrams=_pair(vocabularies["char_ngrams"]),
        )
        word = _word_vectorizer(spec, _index_of(vocabularies["word"]))
        char = _char_vectorizer(spec, _index_of(vocabularies["char"]))
        # Assigning idf_ marks a vocabulary-fixed vectorizer as fitted without refitting.
        word.idf_ = np.asarray(arrays["word_idf"], dtype=np.float64)
        char.idf_ = np.asarray(arrays["char_idf"], dtype=np.float64)
        return cls(spec, word, char)


@dataclass(frozen=True, slots=True)
class _Block:
    """One vectorizer's analyzer, vocabulary and IDF: sublinear TF x IDF, L2-normalised."""

    analyze: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: NDArray[np.float64]

    @classmethod
    def of(cls, vectorizer: TfidfVectorizer) -> _Block:
        return cls(
            vectorizer.build_analyzer(),
            vectorizer.vocabulary_,
            np.asarray(vectorizer.idf_, dtype=np.float64),
        )

    @property
    def width(self) -> int:
        return len(self.vocabulary)

    def row(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        counts = Counter(
            index for term in self.analyze(text) if (index := self.vocabulary.get(term)) is not None
        )
        columns = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
        tf = np.array([counts[column] for column in columns.tolist()], dtype=np.float64)
        weights = (1.0 + np.log(tf)) * self.idf[columns]
        norm = float(np.sqrt(np.dot(weights, weights)))
        return columns, (weights / norm if norm > 0 else weights)


def _terms_by_index(vocabulary: dict[str, int]) -> list[str]:
    terms = [""] * len(vocabulary)
    for term, index in vocabulary.items():
        terms[index] = term
    return terms


def _index_of(terms: list[str]) -> dict[str, int]:
    if not isinstance(terms, list) or not all(isinstance(term, str) for term in terms):
        raise ValueError("vocabulary must be a list of strings")
    return {term: index for index, term in enumerate(terms)}


def _pair(value: Any) -> tuple[int, int]:
    low, high = (int(part) for part in value)
    return low, high
