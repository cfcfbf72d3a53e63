"""Dense chunk ranking: a paraphrase with no shared word, and incremental re-embedding."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from sfagent.knowledge import Article, KnowledgeIndex
from sfagent.knowledge.dense import (
    ChunkEmbeddings,
    DenseRetrievers,
    SharedChunkVectors,
    WeightedStaticEncoder,
    idf_weights,
)
from sfagent.nlu.intents.static import StaticEncoder

# A toy static table: each word points at one concept axis (billing, login, locking), so
# "money" is close to "reimbursement" without sharing a letter-for-letter word with it.
CONCEPTS = {
    "billing": ["money", "reimbursement", "charge", "paid", "invoice"],
    "login": ["password", "sign", "credentials", "login"],
    "locking": ["lock", "row", "contention", "record"],
}
FILLER = ["the", "a", "my", "for", "is", "how", "works", "want", "i", "back", "policy"]


def toy_encoder() -> StaticEncoder:
    pieces = ["[PAD]", *FILLER, *(word for words in CONCEPTS.values() for word in words)]
    table = np.zeros((len(pieces), len(CONCEPTS) + 1), dtype=np.float32)
    for index, piece in enumerate(pieces):
        axis = next((n for n, words in enumerate(CONCEPTS.values()) if piece in words), None)
        table[index, len(CONCEPTS) if axis is None else axis] = 1.0
    table[1 : 1 + len(FILLER), len(CONCEPTS)] = 0.3  # function words: a weak shared axis
    return StaticEncoder(pieces, table, version="toy")


class CountingEncoder:
    """Wraps an encoder and records every text it embeds."""

    name = "counting"
    version = "1"

    def __init__(self, inner: StaticEncoder) -> None:
        self.inner = inner
        self.dimension = inner.dimension
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.seen.extend(texts)
        return self.inner.encode(texts)


class BatchCountingEncoder(CountingEncoder):
    """Records how many texts each call to `encode` carried."""

    def __init__(self, inner: StaticEncoder) -> None:
        super().__init__(inner)
        self.batches: list[int] = []

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.batches.append(len(texts))
        return super().encode(texts)


def article(article_id: str, title: str, text: str) -> Article:
    return Article(id=article_id, title=title, body=f"## Answer\n\n{text}", category="other")


CORPUS = [
    article("refunds", "Reimbursement policy", "How reimbursement works for a charge paid."),
    article("logins", "Password resets", "Sign in again with new credentials."),
    article("locks", "Record lock contention", "Row lock contention on a record."),
]


def dense_only(retriever: Any, articles: Sequence[Article] = CORPUS) -> KnowledgeIndex:
    return KnowledgeIndex(articles, dense=retriever, use_lexical=False, use_exact=False)


def test_paraphrase_without_shared_words_ranks_first() -> None:
    index = dense_only(ChunkEmbeddings(toy_encoder()))
    assert next(hit.article_id for hit in index.search("I want my money back", k=3)) == "refunds"


def test_lexical_search_alone_misses_the_paraphrase() -> None:
    assert KnowledgeIndex(CORPUS).search("I want my money back", k=3) == []


def test_rank_returns_chunk_ids_best_first() -> None:
    retriever = ChunkEmbeddings(toy_encoder())
    dense_only(retriever)
    ranked = retriever.rank("password credentials", 2)
    assert next(chunk_id for chunk_id, _ in ranked) == "logins#0"
    assert ranked[0][1] >= ranked[1][1]
    assert len(retriever) == 3


def test_chunks_are_embedded_at_the_first_search_in_one_batch() -> None:
    encoder = BatchCountingEncoder(toy_encoder())
    index = dense_only(ChunkEmbeddings(encoder))
    assert encoder.batches == []  # building the index embeds nothing yet
    index.search("money", k=1)
    assert encoder.batches[0] == len(CORPUS)  # every chunk at once, then the query
    assert encoder.batches[1:] == [1]


def test_unchanged_upsert_embeds_nothing_again() -> None:
    encoder = CountingEncoder(toy_encoder())
    index = dense_only(ChunkEmbeddings(encoder))
    index.search("money", k=1)
    before = len(encoder.seen)
    index.upsert(CORPUS[0])
    index.search("money", k=1)
    assert encoder.seen[before:] == ["money"]


def test_changed_article_alone_is_embedded_again() -> None:
    encoder = CountingEncoder(toy_encoder())
    index = dense_only(ChunkEmbeddings(encoder))
    index.search("warm", k=1)
    encoder.seen.clear()
    index.upsert(article("locks", "Record lock contention", "An invoice was paid twice."))
    found = [hit.article_id for hit in index.search("money charge", k=3)]
    assert len(encoder.seen) == 2 and "invoice" in encoder.seen[0]  # the article, the query
    assert set(found[:2]) == {"refunds", "locks"}


def test_indexes_sharing_vectors_embed_a_common_article_once() -> None:
    encoder = CountingEncoder(toy_encoder())
    shared = SharedChunkVectors(encoder)
    first = dense_only(ChunkEmbeddings(encoder, shared))
    first.search("money", k=1)
    extra = article("invoices", "Invoices", "Where each invoice is.")
    second = dense_only(ChunkEmbeddings(encoder, shared), [*CORPUS, extra])
    encoder.seen.clear()
    found = [hit.article_id for hit in second.search("money charge", k=4)]
    assert len(encoder.seen) == 2 and "invoice" in encoder.seen[0]  # the new article, the query
    assert set(found[:2]) == {"refunds", "invoices"}
    assert len(shared) == len(CORPUS) + 1


def test_shared_vectors_keep_at_most_their_limit_and_stay_correct() -> None:
    encoder = CountingEncoder(toy_encoder())
    shared = SharedChunkVectors(encoder, max_entries=2)
    texts = ["money back", "password", "row lock"]
    first = shared.encode(texts)
    assert len(shared) == 2
    again = shared.encode(texts)
    np.testing.assert_allclose(first, again)
    np.testing.assert_allclose(first, encoder.inner.encode(texts))
    with pytest.raises(ValueError, match="at least 1"):
        SharedChunkVectors(encoder, max_entries=0)


def test_removed_article_is_no_longer_ranked() -> None:
    retriever = ChunkEmbeddings(toy_encoder())
    index = dense_only(retriever)
    assert index.remove("refunds")
    assert all(not chunk_id.startswith("refunds") for chunk_id, _ in retriever.rank("money", 5))
    assert "refunds" not in [hit.article_id for hit in index.search("money back", k=3)]
    assert len(retriever) == 2


def test_added_article_is_ranked() -> None:
    index = dense_only(ChunkEmbeddings(toy_encoder()))
    index.upsert(article("invoices", "Invoices", "Where each invoice is."))
    assert "invoices" in [hit.article_id for hit in index.search("invoice", k=3)]


def test_weighted_encoder_splits_text_as_wordpiece_does() -> None:
    static = toy_encoder()
    weighted = WeightedStaticEncoder(static, np.ones(static.table.shape[0], dtype=np.float32))
    for text in ("Row-lock, on my RECORD!", "password\tcredentials\x00 sign", "Ré invoice"):
        assert weighted.piece_ids(text) == static.tokenizer.ids(text)


def test_idf_weights_favour_rare_pieces() -> None:
    static = toy_encoder()
    weights = idf_weights(static, ["the record", "the row", "the lock"])
    vocabulary = static.tokenizer.vocabulary
    assert weights[vocabulary.index("the")] < weights[vocabulary.index("row")]
    assert weights[vocabulary.index("row")] < weights[vocabulary.index("money")]


def test_weighted_encoder_rows_are_unit_length() -> None:
    static = toy_encoder()
    weighted = WeightedStaticEncoder(static, idf_weights(static, ["the record"]))
    rows = weighted.encode(["the money", "unknownword"])
    assert np.isclose(np.linalg.norm(rows[0]), 1.0)
    assert not rows[1].any()


def test_saved_vectors_spare_the_next_process_the_encoder(tmp_path: Path) -> None:
    texts = ["money back", "password", "row lock"]
    first = SharedChunkVectors(CountingEncoder(toy_encoder()))
    expected = first.encode(texts)
    first.save(tmp_path / "dense" / "vectors.npz")
    encoder = CountingEncoder(toy_encoder())
    retrievers = DenseRetrievers(SharedChunkVectors(encoder), tmp_path / "dense" / "vectors.npz")
    assert len(retrievers.shared) == 3
    np.testing.assert_allclose(retrievers.shared.encode(texts), expected)
    assert encoder.seen == []


def test_a_damaged_or_foreign_vectors_file_adds_nothing(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    shared = SharedChunkVectors(toy_encoder())
    assert shared.load(damaged) == 0
    assert shared.load(tmp_path / "missing.npz") == 0
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, keys=np.zeros((2, 16), np.uint8), vectors=np.zeros((2, 99), np.float32))
    assert shared.load(foreign) == 0
    assert len(shared) == 0
    assert shared.encode(["money"]).shape == (1, toy_encoder().dimension)


def test_persist_without_a_file_writes_nothing(tmp_path: Path) -> None:
    retrievers = DenseRetrievers(SharedChunkVectors(toy_encoder()))
    retrievers().set_chunks("a", [])
    retrievers.persist()
    assert list(tmp_path.iterdir()) == []
