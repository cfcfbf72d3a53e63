"""The shipped model: trained from the packaged data on first use, then read from the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfagent.nlu.intents import IntentModel, shipped_data_path, shipped_model


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not shipped_data_path().is_file():
        pytest.skip("shipped intent data not present")
    return tmp_path_factory.mktemp("nlu-cache")


def test_first_use_trains_and_caches_then_reuses(cache: Path) -> None:
    model = shipped_model(cache)
    (cached,) = cache.glob("v1-*")
    assert cached.name == f"v1-{model.info['training_data_sha256']}"
    stamp = (cached / "manifest.json").stat().st_mtime_ns
    again = shipped_model(cache)
    assert (cached / "manifest.json").stat().st_mtime_ns == stamp
    assert again.labels == model.labels


def test_damaged_cache_is_trained_again(cache: Path) -> None:
    shipped_model(cache)
    (cached,) = cache.glob("v1-*")
    (cached / "parameters.npz").write_bytes(b"damaged")
    model = shipped_model(cache)
    assert IntentModel.load(cached).labels == model.labels


def test_held_out_test_rows_are_not_trained_on(cache: Path) -> None:
    model = shipped_model(cache)
    assert model.info["training_examples"] < sum(1 for _ in shipped_data_path().open())
