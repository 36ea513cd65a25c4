"""Throughput and timing helpers (utils.speed, chapters 06 and 20)."""

import numpy as np

from utils import speed
from utils.linear_rnn import MinGRULanguageModel
from utils.models import LanguageModel


def test_training_throughput_reports_every_form_and_consistent_ratios():
    r = speed.training_throughput("gru", 8, 4, num_steps=5, repeats=1, steps=1, eager_steps=1)
    assert all(r[k] > 0 for k in ("compiled", "eager", "keras", "keras unrolled"))
    assert np.isclose(r["compiled / keras"], r["compiled"] / r["keras"])


def test_model_throughput_times_any_course_language_model_and_trains_it():
    for model in (LanguageModel(11, 8, cell="gru"), MinGRULanguageModel(11, 8, num_layers=1)):
        before = [v.numpy().copy() for v in model.trainable_variables]
        assert speed.model_throughput(model, batch_size=2, num_steps=5, repeats=1, steps=1) > 0
        assert any(not np.array_equal(b, v.numpy()) for b, v in zip(before, model.trainable_variables))


def test_scan_layer_times_has_every_layer_at_every_length():
    times = speed.scan_layer_times([4, 8], batch_size=2, width=4, repeats=1)
    assert list(times) == [4, 8]
    assert set(times[4]) == {"minGRU, sequential scan", "minGRU, doubling scan", "minGRU, parallel scan",
                             "GRU layer (Keras)"}
    assert all(ms > 0 for row in times.values() for ms in row.values())
