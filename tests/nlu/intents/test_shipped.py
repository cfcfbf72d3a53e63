"""The shipped model: trained from the packaged data on first use, then read from the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfagent.nlu.intents import IntentConfig, IntentModel, shipped_data_path, shipped_model
from sfagent.nlu.intents.shipped import cache_key


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not shipped_data_path().is_file():
        pytest.skip("shipped intent data not present")
    return tmp_path_factory.mktemp("nlu-cache")


def test_first_use_trains_and_caches_then_reuses(cache: Path) -> None:
    model = shipped_model(cache)
    (cached,) = cache.glob("v1-*")
    assert (
        IntentModel.load(cached).info["training_data_sha256"] == model.info["training_data_sha256"]
    )
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


def test_the_cache_key_changes_with_the_training_settings() -> None:
    base = cache_key("data", IntentConfig())
    assert cache_key("data", IntentConfig()) == base
    assert cache_key("data", IntentConfig(oos_target_recall=0.8)) != base
    assert cache_key("other data", IntentConfig()) != base


def test_an_unwritable_cache_still_gives_a_model(tmp_path: Path) -> None:
    if not shipped_data_path().is_file():
        pytest.skip("shipped intent data not present")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    with pytest.warns(UserWarning, match="could not cache"):
        model = shipped_model(blocker)
    assert model.predict("I forgot my password").intent == "password_reset"


def test_the_cache_key_changes_with_the_encoder() -> None:
    lexical = cache_key("data", IntentConfig())
    assert cache_key("data", IntentConfig(), "0.1.0-r1") != lexical
    assert cache_key("data", IntentConfig(), "0.1.0-r2") != cache_key(
        "data", IntentConfig(), "0.1.0-r1"
    )
