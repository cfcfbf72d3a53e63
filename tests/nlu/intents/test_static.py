"""Static (MiniLM-distilled) embeddings: tokenizer, encoder, caching and model round trips."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from sfagent.nlu.intents import (
    Example,
    IntentModel,
    IntentModelError,
    SemanticUnavailable,
    StaticEncoder,
    static_encoder,
)
from sfagent.nlu.intents import semantic as semantic_module
from sfagent.nlu.intents import static as static_module
from sfagent.nlu.intents.wordpiece import WordPieceTokenizer, split_words

PIECES = ["[PAD]", "[UNK]", "reset", "my", "pass", "##word", "export", "data", "!", "cafe", ","]
PROBES = ["reset my password", "export the data!", "zzzz", "", "Café, password"]


def hashed_table(pieces: list[str], dimension: int = 16) -> NDArray[np.float32]:
    """A deterministic table: each piece's row seeded from its text."""
    rows = [
        np.random.default_rng(int(hashlib.sha256(piece.encode()).hexdigest()[:8], 16)).normal(
            size=dimension
        )
        for piece in pieces
    ]
    return np.array(rows, dtype=np.float32)


@pytest.fixture(scope="module")
def encoder(examples: list[Example]) -> StaticEncoder:
    words = sorted({w for e in examples for w in split_words(e.text)} | set(PIECES))
    return StaticEncoder(words, hashed_table(words), version="test")


def test_words_are_split_on_punctuation_and_lowercased_without_accents() -> None:
    assert split_words("Café, naïve—OK?") == ["cafe", ",", "naive", "—", "ok", "?"]


def test_pieces_are_matched_longest_first_and_unknown_words_dropped() -> None:
    tokenizer = WordPieceTokenizer(PIECES)
    ids = tokenizer.ids("Reset my PASSWORD, qqq!")
    assert [PIECES[i] for i in ids] == ["reset", "my", "pass", "##word", ",", "!"]


PARITY_TEXTS = [
    "My Apex trigger throws System.NullPointerException: de-reference a null object",
    "Café naïve résumé — “quotes” 你好 x\u200by can't won't $100.50",
    "reset my password, export the data!! qqq unknownish words",
    "a" * 150 + " ok",
]


def reference_tokenizer(vocabulary: list[str]) -> Any:
    """BERT-uncased WordPiece as the `tokenizers` library runs it (MiniLM's configuration)."""
    tokenizers = importlib.import_module("tokenizers")
    reference = tokenizers.Tokenizer(
        tokenizers.models.WordPiece(
            {piece: index for index, piece in enumerate(vocabulary)},
            unk_token="[UNK]",
            max_input_chars_per_word=100,
        )
    )
    reference.normalizer = tokenizers.normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    reference.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    return reference


def parity_vocabulary() -> list[str]:
    """MiniLM's own vocabulary when the semantic extra is installed, else a small one."""
    if importlib.util.find_spec(semantic_module.MINILM_MODULE) is not None:
        weights = importlib.import_module(semantic_module.MINILM_MODULE)
        path = Path(weights.get_model_path()) / "vocab.txt"
        return path.read_text(encoding="utf-8").splitlines()
    words = {w for text in PARITY_TEXTS for w in split_words(text)}
    pieces = {"[PAD]", "[UNK]", "##s", "##ed", "##ing", "un", "##known", "##ish", "de", "re"}
    return sorted(words | pieces | set(PIECES) | {"##" + w for w in words})


def test_tokenizer_matches_the_reference_wordpiece_tokenizer() -> None:
    vocabulary = parity_vocabulary()
    reference = reference_tokenizer(vocabulary)
    ours = WordPieceTokenizer(vocabulary)
    unknown = reference.token_to_id("[UNK]")
    for text in PARITY_TEXTS:
        expected = reference.encode(text, add_special_tokens=False).ids
        assert ours.ids(text, unknown=unknown) == expected, text
        assert ours.ids(text) == [i for i in expected if i != unknown], text


def test_vectors_are_unit_length_and_unknown_text_is_zero(encoder: StaticEncoder) -> None:
    vectors = encoder.encode(["reset my password", "qqqq zzzz", "export data"])
    assert vectors.shape == (3, encoder.dimension)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1].any()


def test_vector_is_the_mean_of_its_pieces() -> None:
    table = np.array([[1, 0], [0, 1], [1, 1]], dtype=np.float32)
    encoder = StaticEncoder(["a", "b", "c"], table, version="test")
    assert np.allclose(encoder.encode(["a b"])[0], [2**-0.5, 2**-0.5])


def test_model_with_static_embeddings_loads_without_being_given_an_encoder(
    examples: list[Example], encoder: StaticEncoder, tmp_path: Path
) -> None:
    model = IntentModel.train(examples, encoder=encoder)
    loaded = IntentModel.load(model.save(tmp_path / "model"))
    assert loaded.semantic
    assert np.array_equal(model.probabilities(PROBES[:3]), loaded.probabilities(PROBES[:3]))
    assert [model.predict(t, k=5) for t in PROBES] == [loaded.predict(t, k=5) for t in PROBES]


def test_manifest_records_the_stored_static_encoder(
    examples: list[Example], encoder: StaticEncoder, tmp_path: Path
) -> None:
    directory = IntentModel.train(examples, encoder=encoder).save(tmp_path / "model")
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["encoder"] == {
        "name": "minilm-static",
        "version": "test",
        "dimension": encoder.dimension,
        "stored": True,
    }
    assert {"table.npy", "pieces.txt"} <= set(manifest["files"])


def test_altered_embedding_table_is_refused(
    examples: list[Example], encoder: StaticEncoder, tmp_path: Path
) -> None:
    directory = IntentModel.train(examples, encoder=encoder).save(tmp_path / "model")
    with (directory / "table.npy").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(IntentModelError, match=r"table\.npy does not match its checksum"):
        IntentModel.load(directory)


def test_cached_table_is_used_without_the_extra(
    encoder: StaticEncoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / f"minilm-static-r{static_module.RECIPE_VERSION}"
    static_module._save_atomically(encoder, target)
    monkeypatch.setattr(static_module, "semantic_available", lambda: False)
    cached = static_encoder(tmp_path)
    assert cached.version == "test"
    assert np.array_equal(cached.encode(PROBES), encoder.encode(PROBES))


def test_building_without_the_extra_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(static_module, "semantic_available", lambda: False)
    monkeypatch.setenv("SFAGENT_NLU_CACHE", str(tmp_path))
    with pytest.raises(SemanticUnavailable, match=r"pip install 'sfagent\[semantic\]'"):
        static_encoder(tmp_path)
    with pytest.raises(SemanticUnavailable):
        IntentModel.train([Example("a", "x")] * 4, semantic=True)
