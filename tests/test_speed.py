"""Throughput and timing helpers (utils.speed, chapters 06, 20 and A1)."""

import keras
import numpy as np
import tensorflow as tf

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


def test_xla_step_is_timed_and_computes_the_same_loss():
    r = speed.training_throughput("lstm", 8, 4, num_steps=5, repeats=1, steps=1, eager_steps=1, xla=True)
    assert r["compiled, XLA"] > 0
    model = LanguageModel(11, 8, cell="lstm")
    X = tf.random.stateless_uniform((3, 5), [0, 1], 0, 11, tf.int32)
    state = model.begin_state(3)
    losses = [float(tf.function(speed.training_step(lambda X: model(X, state)[0], model.trainable_variables,
                                                    keras.optimizers.SGD(0.0)), jit_compile=jit)(X, X))
              for jit in (False, True)]
    assert np.isclose(losses[0], losses[1], rtol=1e-5)


def test_training_step_scales_the_loss_under_a_loss_scale_optimizer():
    # Without optimizer.scale_loss the float16 loss scale (32768 at first) would shrink every update.
    results = []
    for optimizer in (keras.optimizers.SGD(0.1), keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))):
        model = LanguageModel(11, 8, cell="gru")
        X = tf.random.stateless_uniform((3, 5), [0, 2], 0, 11, tf.int32)
        state = model.begin_state(3)
        speed.training_step(lambda X, m=model, s=state: m(X, s)[0], model.trainable_variables, optimizer)(X, X)
        results.append([v.numpy() for v in model.trainable_variables])
    for plain, scaled in zip(*results):
        np.testing.assert_allclose(plain, scaled, atol=1e-6)


def test_time_breakdown_times_the_whole_step_and_its_two_parts():
    parts = speed.time_breakdown(50, batch_size=4, num_steps=5, num_hiddens=8, embed_size=4, repeats=1, steps=1)
    assert set(parts) == {"whole step", "recurrence", "output layer"}
    assert all(ms > 0 for ms in parts.values())


def test_uses_cudnn_refuses_what_cudnn_cannot_run():
    x = tf.random.stateless_normal((2, 5, 3), [0, 3])
    refused = [dict(recurrent_dropout=0.2), dict(activation="relu"), dict(unroll=True)]
    for options in refused:
        assert not speed.uses_cudnn(keras.layers.GRU, x, **options)
    left_padded = tf.constant([[False, True, True, True, True]] * 2)
    assert not speed.uses_cudnn(keras.layers.LSTM, x, mask=left_padded)
    has_gpu = bool(tf.config.list_logical_devices("GPU"))
    assert speed.uses_cudnn(keras.layers.LSTM, x) == has_gpu
    assert speed.uses_cudnn(keras.layers.GRU, x, dropout=0.3) == has_gpu
