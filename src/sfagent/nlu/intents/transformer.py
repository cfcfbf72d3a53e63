"""A BERT encoder's forward pass in numpy: MiniLM sentence embeddings without PyTorch.

It reads a Hugging Face BERT directory (`config.json`, `model.safetensors`, `vocab.txt`),
runs the encoder for inference only and mean-pools the last layer, as sentence-transformers
does for all-MiniLM-L6-v2 (the outputs agree to about 1e-7). PyTorch is neither imported nor
needed, and a message costs less than half of what it costs through PyTorch here, because
for one short sentence the framework's own overhead outweighs the arithmetic.

`layers` keeps only the first N transformer layers: each one costs the same, and for intent
classification the first two keep most of what the six know (see the README's NLU figures).
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf  # type: ignore[import-untyped]

from sfagent.nlu.intents.errors import IntentModelError
from sfagent.nlu.intents.wordpiece import UNKNOWN, WordPieceTokenizer

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
VOCABULARY = "vocab.txt"
CLS, SEP = "[CLS]", "[SEP]"
# sentence-transformers' max_seq_length for all-MiniLM-L6-v2, [CLS] and [SEP] included.
DEFAULT_MAX_TOKENS = 256
BATCH = 64
Matrix = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class _Norm:
    gain: Matrix
    bias: Matrix
    epsilon: float

    def __call__(self, values: Matrix) -> Matrix:
        centred = values - values.mean(axis=-1, keepdims=True)
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        normalised: Matrix = centred / np.sqrt(variance + self.epsilon)
        return normalised * self.gain + self.bias


@dataclass(frozen=True, slots=True)
class _Layer:
    """One transformer layer, weights transposed for `x @ w` and query/key/value fused."""

    qkv: Matrix
    qkv_bias: Matrix
    attention_out: Matrix
    attention_out_bias: Matrix
    attention_norm: _Norm
    up: Matrix
    up_bias: Matrix
    down: Matrix
    down_bias: Matrix
    output_norm: _Norm


@dataclass(frozen=True, slots=True)
class BertShape:
    """The sizes the forward pass needs from `config.json`."""

    hidden: int
    heads: int
    layers: int
    positions: int
    epsilon: float

    @classmethod
    def read(cls, path: Path) -> BertShape:
        config = json.loads(path.read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("hidden_act", "gelu") != "gelu":
            raise IntentModelError(f"{path}: not a BERT model with GELU activations")
        return cls(
            hidden=int(config["hidden_size"]),
            heads=int(config["num_attention_heads"]),
            layers=int(config["num_hidden_layers"]),
            positions=int(config["max_position_embeddings"]),
            epsilon=float(config.get("layer_norm_eps", 1e-12)),
        )


class BertEncoder:
    """Mean-pooled, L2-normalised sentence vectors from a BERT directory; a `SentenceEncoder`."""

    def __init__(
        self,
        directory: Path,
        *,
        name: str,
        version: str,
        layers: int | None = None,
        max_tokens: int | None = None,
    ) -> None:
        shape = BertShape.read(directory / CONFIG)
        if max_tokens is None:
            max_tokens = min(DEFAULT_MAX_TOKENS, shape.positions)
        kept = shape.layers if layers is None else layers
        if not 1 <= kept <= shape.layers:
            raise IntentModelError(f"layers must be between 1 and {shape.layers}, not {kept}")
        if not 3 <= max_tokens <= shape.positions:
            raise IntentModelError(f"max_tokens must be between 3 and {shape.positions}")
        pieces = (directory / VOCABULARY).read_text(encoding="utf-8").split("\n")
        self.tokenizer = WordPieceTokenizer(pieces[:-1] if pieces[-1:] == [""] else pieces)
        index = {piece: number for number, piece in enumerate(self.tokenizer.vocabulary)}
        if missing := [piece for piece in (CLS, SEP, UNKNOWN) if piece not in index]:
            raise IntentModelError(f"{directory / VOCABULARY}: no {', '.join(missing)} piece")
        self._cls, self._sep, self._unknown = index[CLS], index[SEP], index[UNKNOWN]
        weights = _read_safetensors(directory / WEIGHTS)
        self._shape = shape
        self._max_tokens = max_tokens
        try:
            self._words = weights["embeddings.word_embeddings.weight"]
            self._positions = weights["embeddings.position_embeddings.weight"]
            # Every input is one segment, so the token-type embedding is a constant row.
            self._segment = weights["embeddings.token_type_embeddings.weight"][0]
            self._embedding_norm = _norm(weights, "embeddings.LayerNorm", shape.epsilon)
            self._layers = [_layer(weights, number, shape.epsilon) for number in range(kept)]
        except KeyError as missing:
            raise IntentModelError(f"{directory / WEIGHTS}: no tensor {missing}") from None
        self.name = name
        self.version = version
        self.dimension = shape.hidden

    @property
    def layers(self) -> int:
        """How many transformer layers run."""
        return len(self._layers)

    def token_ids(self, text: str) -> list[int]:
        """[CLS], the text's pieces (unknown words as [UNK]), [SEP]; cut to max_tokens."""
        pieces = self.tokenizer.ids(text, unknown=self._unknown)[: self._max_tokens - 2]
        return [self._cls, *pieces, self._sep]

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One row per text; texts of similar length share a batch, so padding stays small."""
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        ids = [self.token_ids(text) for text in texts]
        order = sorted(range(len(ids)), key=lambda row: len(ids[row]))
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            states, mask = self.hidden_states([ids[row] for row in batch])
            pooled = (states * mask[:, :, np.newaxis]).sum(axis=1) / mask.sum(axis=1)[:, None]
            rows[batch] = pooled
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows /= np.where(norms > 0, norms, 1.0)
        return rows

    def hidden_states(self, batch: Sequence[Sequence[int]]) -> tuple[Matrix, Matrix]:
        """The last kept layer's output for each token, and the mask of real (unpadded) ones."""
        length = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), length), dtype=np.intp)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, sequence in enumerate(batch):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1.0
        states = self._embedding_norm(self._words[ids] + self._positions[:length] + self._segment)
        # Padded keys get a large negative score, so attention gives them no weight.
        padding = ((1.0 - mask) * -1e9)[:, np.newaxis, np.newaxis, :]
        for layer in self._layers:
            states = self._layer(layer, states, padding)
        return states, mask

    def _layer(self, layer: _Layer, states: Matrix, padding: Matrix) -> Matrix:
        batch, length, hidden = states.shape
        heads = self._shape.heads
        width = hidden // heads
        fused = (states @ layer.qkv + layer.qkv_bias).reshape(batch, length, 3, heads, width)
        query, key, value = fused.transpose(2, 0, 3, 1, 4)  # each: batch, heads, tokens, width
        scores = query @ key.transpose(0, 1, 3, 2) / math.sqrt(width) + padding
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        attended = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
        attended = attended @ layer.attention_out + layer.attention_out_bias
        states = layer.attention_norm(attended + states)
        inner = states @ layer.up + layer.up_bias
        inner = 0.5 * inner * (1.0 + erf(inner / math.sqrt(2.0)))  # exact GELU, as BERT uses
        return layer.output_norm(inner @ layer.down + layer.down_bias + states)


def _read_safetensors(path: Path) -> dict[str, Matrix]:
    # Imported here: only the semantic extra installs safetensors.
    library: Any = importlib.import_module("safetensors")
    readers: Any = importlib.import_module("safetensors.numpy")
    try:
        tensors: dict[str, NDArray[Any]] = readers.load_file(str(path))
    except (OSError, ValueError, library.SafetensorError) as error:
        raise IntentModelError(f"{path}: cannot read the model weights: {error}") from error
    return {name: np.asarray(tensor, dtype=np.float32) for name, tensor in tensors.items()}


def _norm(weights: dict[str, Matrix], prefix: str, epsilon: float) -> _Norm:
    return _Norm(weights[f"{prefix}.weight"], weights[f"{prefix}.bias"], epsilon)


def _layer(weights: dict[str, Matrix], number: int, epsilon: float) -> _Layer:
    prefix = f"encoder.layer.{number}."

    def dense(name: str) -> tuple[Matrix, Matrix]:
        matrix = np.ascontiguousarray(weights[f"{prefix}{name}.weight"].T)
        return matrix, weights[f"{prefix}{name}.bias"]

    parts = [dense(f"attention.self.{part}") for part in ("query", "key", "value")]
    attention_out, attention_out_bias = dense("attention.output.dense")
    up, up_bias = dense("intermediate.dense")
    down, down_bias = dense("output.dense")
    return _Layer(
        qkv=np.ascontiguousarray(np.concatenate([matrix for matrix, _ in parts], axis=1)),
        qkv_bias=np.concatenate([bias for _, bias in parts]),
        attention_out=attention_out,
        attention_out_bias=attention_out_bias,
        attention_norm=_norm(weights, f"{prefix}attention.output.LayerNorm", epsilon),
        up=up,
        up_bias=up_bias,
        down=down,
        down_bias=down_bias,
        output_norm=_norm(weights, f"{prefix}output.LayerNorm", epsilon),
    )
