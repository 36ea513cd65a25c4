"""The model cache: save, load, fingerprints that change with settings, and train-once semantics."""

import keras
import numpy as np
import pytest

from utils import cache, data
from utils.models import LanguageModel


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    return tmp_path


def test_load_or_train_trains_once_then_loads_the_same_weights(tmp_cache):
    calls = []

    def train(model):
        calls.append(1)
        model.W_hq.assign(model.W_hq + 1.0)
        return {"valid_ppl": [5.0, 4.0]}

    first = LanguageModel(5, 3, seed=1)
    extras, loaded = cache.load_or_train("tiny", {"h": 3}, first, train)
    assert not loaded and extras == {"valid_ppl": [5.0, 4.0]}
    second = LanguageModel(5, 3, seed=2)  # different initial weights, then loaded
    extras, loaded = cache.load_or_train("tiny", {"h": 3}, second, train)
    assert loaded and calls == [1] and extras["valid_ppl"] == [5.0, 4.0]
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(first.variables, second.variables))


def test_changed_settings_change_the_fingerprint(tmp_cache):
    assert cache.fingerprint("m", {"lr": 1.0}) != cache.fingerprint("m", {"lr": 2.0})
    assert cache.fingerprint("m", {"a": 1, "b": 2}) == cache.fingerprint("m", {"b": 2, "a": 1})
    assert cache.load("m", {"lr": 1.0}, LanguageModel(5, 3)) is None


def test_keras_models_round_trip(tmp_cache):
    def make():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        return model

    saved = make()
    cache.save("dense", {}, saved, {"note": "x"})
    loaded = make()
    assert cache.load("dense", {}, loaded) == {"note": "x"}
    assert np.array_equal(saved.get_weights()[0], loaded.get_weights()[0])


def test_a_cached_model_of_another_shape_is_refused(tmp_cache):
    cache.save("shape", {}, LanguageModel(5, 3, num_layers=2))
    with pytest.raises(ValueError, match="variables"):
        cache.load("shape", {}, LanguageModel(5, 3))
