"""Cells, the scan over time and the language model: equal to the equations and to Keras."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from utils import cells, models, recurrence


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_initialisers():
    w = cells.orthogonal((6, 18), [0, 1]).numpy()
    np.testing.assert_allclose(w @ w.T, np.eye(6), atol=1e-5)  # orthonormal rows
    square = cells.orthogonal((5, 5), [0, 2]).numpy()
    np.testing.assert_allclose(np.linalg.svd(square, compute_uv=False), 1.0, atol=1e-5)
    g = cells.glorot_uniform((30, 10), [0, 3]).numpy()
    assert np.abs(g).max() <= np.sqrt(6 / 40) and g.std() > 0.1


def test_lstm_cell_matches_its_equations_and_starts_with_forget_bias_one():
    cell = cells.LSTMCell(3, 4, seed=1)
    b = cell.b.numpy()
    assert b[4:8].tolist() == [1.0] * 4 and not b[:4].any() and not b[8:].any()
    x, H, C = (np.random.default_rng(0).standard_normal(s).astype("float32") for s in [(2, 3), (2, 4), (2, 4)])
    out, (H1, C1) = cell(tf.constant(x), (tf.constant(H), tf.constant(C)))
    z = x @ cell.W_x.numpy() + H @ cell.W_h.numpy() + b
    i, f, c, o = np.split(z, 4, axis=1)
    C_ref = sigmoid(f) * C + sigmoid(i) * np.tanh(c)
    np.testing.assert_allclose(C1, C_ref, atol=1e-5)
    np.testing.assert_allclose(H1, sigmoid(o) * np.tanh(C_ref), atol=1e-5)
    np.testing.assert_allclose(out, H1)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_cell_matches_its_equations(reset_after):
    cell = cells.GRUCell(3, 4, reset_after=reset_after, seed=2)
    rng = np.random.default_rng(1)
    cell.b.assign(rng.standard_normal(cell.b.shape).astype("float32"))
    x, H = rng.standard_normal((2, 3)).astype("float32"), rng.standard_normal((2, 4)).astype("float32")
    out, _ = cell(tf.constant(x), tf.constant(H))
    Wx, Wh, b = cell.W_x.numpy(), cell.W_h.numpy(), cell.b.numpy()
    xz, xr, xh = np.split(x @ Wx + (b[0] if reset_after else b), 3, axis=1)
    if reset_after:
        hz, hr, hh = np.split(H @ Wh + b[1], 3, axis=1)
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        cand = np.tanh(xh + r * hh)
    else:
        hz, hr = np.split(H @ Wh[:, :8], 2, axis=1)
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        cand = np.tanh(xh + (r * H) @ Wh[:, 8:])
    np.testing.assert_allclose(out, z * H + (1 - z) * cand, atol=1e-5)


@pytest.mark.parametrize("kind, layer", [
    ("rnn", lambda h: keras.layers.SimpleRNN(h, return_sequences=True)),
    ("lstm", lambda h: keras.layers.LSTM(h, return_sequences=True)),
    ("gru", lambda h: keras.layers.GRU(h, return_sequences=True)),
    ("gru-before", lambda h: keras.layers.GRU(h, return_sequences=True, reset_after=False)),
])
def test_cells_compute_what_the_keras_layers_compute(kind, layer):
    options = {"reset_after": False} if kind == "gru-before" else {}
    cell = cells.make_cell(kind.split("-")[0], 5, 6, seed=3, **options)
    inputs = tf.random.stateless_normal((2, 7, 5), seed=[4, 0])
    ours, _ = recurrence.scan(cell, inputs, cell.begin_state(2))
    keras_layer = layer(6)
    keras_layer.build((None, 7, 5))
    keras_layer.set_weights(cell.keras_weights())
    np.testing.assert_allclose(ours.numpy(), keras_layer(inputs).numpy(), atol=1e-5)


def test_unknown_cell_is_refused():
    with pytest.raises(ValueError, match="unknown cell"):
        cells.make_cell("transformer", 3, 4)


def test_unrolled_and_while_loop_scans_agree_also_reversed_and_masked():
    cell = cells.LSTMCell(3, 4, seed=5)
    inputs = tf.random.stateless_normal((3, 9, 3), seed=[5, 1])
    mask = tf.sequence_mask([9, 4, 1], 9)
    for kwargs in [{}, {"reverse": True}, {"mask": mask}, {"mask": mask, "reverse": True}]:
        a, (ha, ca) = recurrence.scan(cell, inputs, cell.begin_state(3), unroll=True, **kwargs)
        b, (hb, cb) = recurrence.scan(cell, inputs, cell.begin_state(3), unroll=False, **kwargs)
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
        np.testing.assert_allclose(ca.numpy(), cb.numpy(), atol=1e-6)


def test_mask_passes_the_state_through_padding_and_zeroes_its_outputs():
    cell = cells.GRUCell(2, 3, seed=6)
    inputs = tf.random.stateless_normal((1, 5, 2), seed=[6, 1])
    short, last_short = recurrence.scan(cell, inputs[:, :3], cell.begin_state(1))
    padded, last_padded = recurrence.scan(cell, inputs, cell.begin_state(1), mask=tf.sequence_mask([3], 5))
    np.testing.assert_allclose(padded[:, :3].numpy(), short.numpy(), atol=1e-6)
    assert not padded[:, 3:].numpy().any()
    np.testing.assert_allclose(last_padded.numpy(), last_short.numpy(), atol=1e-6)


def test_reverse_with_mask_reads_each_sequence_backwards_from_its_own_end():
    cell = cells.RNNCell(2, 3, seed=7)
    inputs = tf.random.stateless_normal((2, 6, 2), seed=[7, 1])
    lengths = [6, 4]
    backward, _ = recurrence.scan(cell, inputs, cell.begin_state(2), mask=tf.sequence_mask(lengths, 6), reverse=True)
    flipped = tf.reverse_sequence(inputs, lengths, seq_axis=1, batch_axis=0)
    forward, _ = recurrence.scan(cell, flipped, cell.begin_state(2), mask=tf.sequence_mask(lengths, 6))
    np.testing.assert_allclose(backward.numpy(), tf.reverse_sequence(forward, lengths, 1, 0).numpy(), atol=1e-6)


def test_bidirectional_scan_matches_keras_bidirectional_with_a_mask():
    fwd, bwd = cells.GRUCell(3, 4, seed=8), cells.GRUCell(3, 4, seed=9)
    tokens = tf.constant([[3, 1, 2, 4, 0, 0], [2, 2, 1, 0, 0, 0]])
    embedding = tf.random.stateless_normal((5, 3), seed=[8, 1])
    ours = recurrence.bidirectional_scan(fwd, bwd, tf.gather(embedding, tokens), mask=tokens != 0)
    inputs = keras.Input((6,), dtype="int32")
    embed = keras.layers.Embedding(5, 3, mask_zero=True)
    bidi = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True))
    model = keras.Model(inputs, bidi(embed(inputs)))
    embed.set_weights([embedding.numpy()])
    bidi.forward_layer.set_weights(fwd.keras_weights())
    bidi.backward_layer.set_weights(bwd.keras_weights())
    theirs = model(tokens).numpy() * (tokens.numpy() != 0)[..., None]  # Keras leaves padded outputs as they are
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-5)


def test_stacked_scan_feeds_each_layer_the_one_below():
    layers = [cells.GRUCell(3, 4, seed=10), cells.LSTMCell(4, 5, seed=11)]
    inputs = tf.random.stateless_normal((2, 6, 3), seed=[10, 1])
    states = tuple(c.begin_state(2) for c in layers)
    outputs, (s1, s2) = recurrence.stacked_scan(layers, inputs, states)
    first, _ = recurrence.scan(layers[0], inputs, states[0])
    second, (h, c) = recurrence.scan(layers[1], first, states[1])
    np.testing.assert_allclose(outputs.numpy(), second.numpy(), atol=1e-6)
    np.testing.assert_allclose(s2[1].numpy(), c.numpy(), atol=1e-6)
    assert outputs.shape == (2, 6, 5)


def test_dropout_acts_only_while_training():
    layers = [cells.RNNCell(3, 8, seed=12)]
    inputs = tf.random.stateless_normal((2, 4, 3), seed=[12, 1])
    states = (layers[0].begin_state(2),)
    plain, _ = recurrence.stacked_scan(layers, inputs, states, dropout=0.5)
    dropped, _ = recurrence.stacked_scan(layers, inputs, states, dropout=0.5, training=True)
    assert np.isclose(plain.numpy(), recurrence.stacked_scan(layers, inputs, states)[0].numpy()).all()
    assert (dropped.numpy() == 0).mean() > 0.2


def test_language_model_matches_the_rnn_equations_and_carries_state():
    model = models.LanguageModel(vocab_size=5, num_hiddens=3, seed=1)
    X = tf.constant([[1, 4, 2, 0]])
    logits, (state,) = model(X, model.begin_state(1))
    assert logits.shape == (1, 4, 5) and state.shape == (1, 3)
    cell, h = model.cells[0], np.zeros((1, 3))
    for t in range(4):
        h = np.tanh(np.eye(5)[[int(X[0, t])]] @ cell.W_xh.numpy() + h @ cell.W_hh.numpy() + cell.b_h.numpy())
        np.testing.assert_allclose(logits[0, t], (h @ model.W_hq.numpy() + model.b_q.numpy())[0], atol=1e-5)
    first, mid = model(X[:, :2], model.begin_state(1))
    second, _ = model(X[:, 2:], mid)
    np.testing.assert_allclose(tf.concat([first, second], 1).numpy(), logits.numpy(), atol=1e-6)
    assert model.num_parameters == 5 * 3 + 3 * 3 + 3 + 3 * 5 + 5


def test_deep_language_model_and_seeds():
    a = models.LanguageModel(7, 6, cell="lstm", num_layers=2, seed=3)
    b = models.LanguageModel(7, 6, cell="lstm", num_layers=2, seed=3)
    assert len(a.cells) == 2 and a.cells[1].W_x.shape == (6, 24)
    assert all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a.trainable_variables, b.trainable_variables))
    logits, state = a(tf.constant([[1, 2, 3]]), a.begin_state(1))
    assert logits.shape == (1, 3, 7) and len(state) == 2 and len(state[0]) == 2
