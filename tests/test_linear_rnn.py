"""Linear recurrences, their scans and minGRU (utils.linear_rnn, chapter 20)."""

import numpy as np
import pytest
import tensorflow as tf

from utils import linear_rnn
from utils.linear_rnn import MinGRU, MinGRULanguageModel


def reference(a, b, h0=None):
    """h_t = a_t h_{t-1} + b_t, one step at a time in NumPy (float64)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    h = np.zeros(a[:, 0].shape) if h0 is None else np.asarray(h0, np.float64)
    out = []
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return np.stack(out, axis=1)


def coefficients(steps, seed=0, batch=3, units=5):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.2, 1.0, (batch, steps, units)).astype(np.float32)
    b = rng.normal(size=(batch, steps, units)).astype(np.float32)
    h0 = rng.normal(size=(batch, units)).astype(np.float32)
    return tf.constant(a), tf.constant(b), tf.constant(h0)


def test_combine_is_associative_and_composes_steps():
    (a1, b1, _), (a2, b2, _), (a3, b3, _) = (coefficients(1, seed) for seed in (1, 2, 3))
    left = linear_rnn.combine(linear_rnn.combine((a1, b1), (a2, b2)), (a3, b3))
    right = linear_rnn.combine((a1, b1), linear_rnn.combine((a2, b2), (a3, b3)))
    np.testing.assert_allclose(left[0], right[0], rtol=1e-6)
    np.testing.assert_allclose(left[1], right[1], rtol=1e-5, atol=1e-6)
    h = np.ones(a1.shape)
    two_steps = a2 * (a1 * h + b1) + b2
    composed = linear_rnn.combine((a1, b1), (a2, b2))
    np.testing.assert_allclose(composed[0] * h + composed[1], two_steps, rtol=1e-6)


@pytest.mark.parametrize("method", linear_rnn.SCANS)
@pytest.mark.parametrize("steps", [1, 2, 7, 8, 33, 100])
def test_every_scan_equals_the_step_by_step_loop(method, steps):
    a, b, h0 = coefficients(steps)
    np.testing.assert_allclose(linear_rnn.linear_scan(a, b, method=method), reference(a, b), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(linear_rnn.linear_scan(a, b, h0, method=method), reference(a, b, h0),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("method", ["doubling", "parallel"])
def test_a_combine_in_the_wrong_order_is_caught(method, monkeypatch):
    # composing the steps the other way round is the classic bug; the comparison must see it
    a, b, _ = coefficients(8)
    monkeypatch.setattr(linear_rnn, "combine", lambda earlier, later: (earlier[0] * later[0],
                                                                       earlier[0] * later[1] + earlier[1]))
    assert np.abs(linear_rnn.linear_scan(a, b, method=method) - reference(a, b)).max() > 1e-2


def test_doubling_scan_needs_a_known_length():
    spec = tf.TensorSpec((None, None, 3))
    with pytest.raises(ValueError, match="known when tracing"):
        tf.function(linear_rnn.doubling_scan).get_concrete_function(spec, spec)


def test_log_space_scan_is_exact_and_stays_finite_where_the_closed_form_does_not():
    a, b, h0 = coefficients(16)
    b, h0 = tf.abs(b) + 0.1, tf.abs(h0) + 0.1
    h = linear_rnn.log_space_scan(tf.math.log(a), tf.math.log(b), tf.math.log(h0))
    np.testing.assert_allclose(h, reference(a, b, h0), rtol=1e-4)
    a_long = tf.fill((1, 3000, 1), 0.9)
    b_long = tf.fill((1, 3000, 1), 0.1)
    A = tf.math.cumprod(a_long, axis=1)
    closed_form = A * tf.cumsum(b_long / A, axis=1)
    assert not np.isfinite(closed_form.numpy()).all()  # 0.9 ** 3000 underflows to zero
    stable = linear_rnn.log_space_scan(tf.math.log(a_long), tf.math.log(b_long)).numpy()
    np.testing.assert_allclose(stable[0, -1, 0], 1.0, rtol=1e-4)  # the fixed point b / (1 - a)


def test_unknown_scan_is_refused_with_the_choices():
    a, b, _ = coefficients(4)
    with pytest.raises(ValueError, match="sequential"):
        linear_rnn.linear_scan(a, b, method="fast")
    with pytest.raises(ValueError, match="parallel"):
        MinGRU(4, scan="fast")


def test_min_gru_is_its_equations_and_its_steps_equal_its_scan():
    layer = MinGRU(6, scan="parallel", seed=1)
    x = tf.random.stateless_normal((2, 9, 4), [0, 1])
    h0 = tf.random.stateless_normal((2, 6), [0, 2])
    outputs, last = layer(x, h0)
    W, bias = (v.numpy() for v in layer.projection.weights)
    projected = x.numpy() @ W + bias
    z, candidate = 1 / (1 + np.exp(-projected[..., :6])), projected[..., 6:]
    np.testing.assert_allclose(outputs, reference(1 - z, z * candidate, h0), rtol=1e-5, atol=1e-5)
    h = h0
    for t in range(9):
        h = layer.step(x[:, t], h)
    np.testing.assert_allclose(h, last, rtol=1e-5, atol=1e-5)


def test_language_model_carries_its_state_across_calls_and_scans_agree():
    models = {scan: MinGRULanguageModel(11, 8, num_layers=2, scan=scan, seed=3) for scan in linear_rnn.SCANS}
    X = tf.random.stateless_uniform((2, 12), [1, 1], 0, 11, tf.int32)
    whole, state = models["sequential"](X, models["sequential"].begin_state(2))
    first, mid = models["sequential"](X[:, :5], models["sequential"].begin_state(2))
    rest, end = models["sequential"](X[:, 5:], mid)
    np.testing.assert_allclose(tf.concat([first, rest], axis=1), whole, atol=1e-5)
    for layer_end, layer_state in zip(end, state):
        np.testing.assert_allclose(layer_end, layer_state, atol=1e-5)
    for scan in ("doubling", "parallel"):
        np.testing.assert_allclose(models[scan](X, models[scan].begin_state(2))[0], whole, atol=1e-5)
        # compiled, where the scans must keep the static shapes that LayerNormalization needs
        np.testing.assert_allclose(tf.function(models[scan])(X, models[scan].begin_state(2))[0], whole, atol=1e-5)
    assert whole.shape == (2, 12, 11) and [s.shape for s in state] == [(2, 8), (2, 8)]


def test_dropout_acts_only_while_training():
    model = MinGRULanguageModel(11, 8, num_layers=1, dropout=0.5, seed=2)
    X = tf.random.stateless_uniform((2, 6), [1, 3], 0, 11, tf.int32)
    state = model.begin_state(2)
    np.testing.assert_array_equal(model(X, state)[0], model(X, state)[0])
    assert np.abs(model(X, state, training=True)[0] - model(X, state)[0]).max() > 1e-3


def test_same_seed_same_model_other_seed_other_model_and_parameter_count():
    one, two = (MinGRULanguageModel(11, 8, num_layers=2, ffn_units=16, seed=5) for _ in range(2))
    for v, w in zip(one.trainable_variables, two.trainable_variables):
        np.testing.assert_array_equal(v, w)
    other = MinGRULanguageModel(11, 8, num_layers=2, ffn_units=16, seed=6)
    kernels = [v.numpy() for v in other.trainable_variables if v.shape.rank == 2]
    for v, w in zip([v.numpy() for v in one.trainable_variables if v.shape.rank == 2], kernels):
        assert not np.allclose(v, w)
    # no two kernels of one model, or of seeds 5 and 6, start from the same random stream
    firsts = [k.ravel()[:4] for k in kernels] + [v.numpy().ravel()[:4] for v in one.trainable_variables
                                                 if v.shape.rank == 2]
    assert len({tuple(np.round(f, 6)) for f in firsts}) == len(firsts)
    # embedding 11*8; per block: minGRU 8*16+16, two norms 4*8, FFN 8*16+16+16*8+8; output norm 2*8, output 8*11+11
    block = 8 * 16 + 16 + 4 * 8 + 8 * 16 + 16 + 16 * 8 + 8
    assert one.num_parameters == 11 * 8 + 2 * block + 2 * 8 + 8 * 11 + 11
