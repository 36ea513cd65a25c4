"""Recurrent cells from scratch: the plain RNN (chapter 05), LSTM (chapter 09) and GRU (chapter 10).

A *cell* computes one time step of a recurrent layer::

    output, state = cell(x_t, state)

with ``x_t`` of shape ``(batch, input_size)``. ``cell.begin_state(batch_size)`` gives the
zero state: one tensor for the RNN and GRU, the pair ``(H, C)`` for the LSTM. Any code that
treats the state with ``tf.nest`` works for all three. ``utils.recurrence.scan`` runs a
cell over a whole sequence.

The weights are stored as Keras stores them: one input kernel and one recurrent kernel, with
the gates side by side (the concatenation trick of chapter 04: one matrix product per step
instead of one per gate), in Keras' gate order, and initialised as Keras initialises them
(Glorot-uniform input kernel, orthogonal recurrent kernel, zero bias; the LSTM's forget-gate
bias starts at 1). ``keras_weights()`` returns them in the layout of the matching Keras layer,
so chapters can copy them across and check that both compute the same function.
"""

from __future__ import annotations

import math

import tensorflow as tf


def glorot_uniform(shape, seed) -> tf.Tensor:
    """Uniform on ``[-a, a]`` with ``a = sqrt(6 / (fan_in + fan_out))`` (Glorot and Bengio, 2010)."""
    limit = math.sqrt(6.0 / (shape[0] + shape[1]))
    return tf.random.stateless_uniform(shape, seed=seed, minval=-limit, maxval=limit)


def orthogonal(shape, seed) -> tf.Tensor:
    """A matrix with orthonormal rows or columns (Saxe et al., 2014): every singular value is 1.

    For the recurrent kernel this means ``H @ W`` neither shrinks nor stretches the state at
    the start of training (chapter 07 shows why that matters).
    """
    rows, cols = shape
    q, r = tf.linalg.qr(tf.random.stateless_normal((max(rows, cols), min(rows, cols)), seed=seed))
    q *= tf.sign(tf.linalg.diag_part(r))  # a unique, uniformly distributed orthogonal matrix
    return q if rows >= cols else tf.transpose(q)


class Cell(tf.Module):
    """What every cell offers: ``num_hiddens``, ``begin_state`` and ``__call__(x, state)``."""

    num_hiddens: int

    def begin_state(self, batch_size):
        return tf.zeros((batch_size, self.num_hiddens))

    def __call__(self, x, state):
        raise NotImplementedError

    def keras_weights(self) -> list:
        """The weights in the order and layout of the matching Keras layer's ``get_weights()``."""
        raise NotImplementedError


class RNNCell(Cell):
    """The tanh RNN of chapters 04 and 05: ``H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)``.

    Its output is its new state. Matches ``keras.layers.SimpleRNN``.
    """

    def __init__(self, input_size: int, num_hiddens: int, seed: int = 0):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.W_xh = tf.Variable(glorot_uniform((input_size, num_hiddens), [seed, 1]), name="W_xh")
        self.W_hh = tf.Variable(orthogonal((num_hiddens, num_hiddens), [seed, 2]), name="W_hh")
        self.b_h = tf.Variable(tf.zeros(num_hiddens), name="b_h")

    def __call__(self, x, state):
        H = tf.tanh(x @ self.W_xh + state @ self.W_hh + self.b_h)
        return H, H

    def keras_weights(self):
        return [self.W_xh.numpy(), self.W_hh.numpy(), self.b_h.numpy()]


class LSTMCell(Cell):
    """Long short-term memory (Hochreiter and Schmidhuber, 1997), taught in chapter 09.

    .. math::
        I, F, \\tilde C, O = X_t W_x + H_{t-1} W_h + b \\quad\\text{(four blocks of width h)}

        C_t = \\sigma(F) \\odot C_{t-1} + \\sigma(I) \\odot \\tanh(\\tilde C), \\qquad
        H_t = \\sigma(O) \\odot \\tanh(C_t)

    The state is the pair ``(H, C)``; the output is ``H``. The blocks are in Keras' order
    (input, forget, candidate, output), so the weights match ``keras.layers.LSTM``.
    ``forget_bias`` is the initial bias of the forget gate (Keras: 1).
    """

    def __init__(self, input_size: int, num_hiddens: int, forget_bias: float = 1.0, seed: int = 0):
        super().__init__()
        h = self.num_hiddens = num_hiddens
        self.W_x = tf.Variable(glorot_uniform((input_size, 4 * h), [seed, 1]), name="W_x")
        self.W_h = tf.Variable(orthogonal((h, 4 * h), [seed, 2]), name="W_h")
        self.b = tf.Variable(tf.concat([tf.zeros(h), tf.fill([h], float(forget_bias)), tf.zeros(2 * h)], 0), name="b")

    def begin_state(self, batch_size):
        return (tf.zeros((batch_size, self.num_hiddens)), tf.zeros((batch_size, self.num_hiddens)))

    def __call__(self, x, state):
        H, C = state
        i, f, c, o = tf.split(x @ self.W_x + H @ self.W_h + self.b, 4, axis=-1)
        C = tf.sigmoid(f) * C + tf.sigmoid(i) * tf.tanh(c)
        H = tf.sigmoid(o) * tf.tanh(C)
        return H, (H, C)

    def keras_weights(self):
        return [self.W_x.numpy(), self.W_h.numpy(), self.b.numpy()]


class GRUCell(Cell):
    """Gated recurrent unit (Cho et al., 2014), taught in chapter 10.

    .. math::
        Z = \\sigma(X_t W_{xz} + H_{t-1} W_{hz} + b_z), \\qquad
        R = \\sigma(X_t W_{xr} + H_{t-1} W_{hr} + b_r)

        \\tilde H = \\tanh(X_t W_{xh} + (R \\odot H_{t-1}) W_{hh} + b_h), \\qquad
        H_t = Z \\odot H_{t-1} + (1 - Z) \\odot \\tilde H

    With ``reset_after=True`` (Keras' default, and cuDNN's form) the reset gate multiplies
    the recurrent product instead of the state: ``R ⊙ (H_{t-1} W_hh + b_hh)``, with a second,
    recurrent bias. Blocks in Keras' order (update, reset, candidate).
    """

    def __init__(self, input_size: int, num_hiddens: int, reset_after: bool = True, seed: int = 0):
        super().__init__()
        h = self.num_hiddens = num_hiddens
        self.reset_after = reset_after
        self.W_x = tf.Variable(glorot_uniform((input_size, 3 * h), [seed, 1]), name="W_x")
        self.W_h = tf.Variable(orthogonal((h, 3 * h), [seed, 2]), name="W_h")
        self.b = tf.Variable(tf.zeros((2, 3 * h) if reset_after else (3 * h,)), name="b")

    def __call__(self, x, state):
        h = self.num_hiddens
        if self.reset_after:
            x_z, x_r, x_h = tf.split(x @ self.W_x + self.b[0], 3, axis=-1)
            h_z, h_r, h_h = tf.split(state @ self.W_h + self.b[1], 3, axis=-1)
            z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
            candidate = tf.tanh(x_h + r * h_h)
        else:
            x_z, x_r, x_h = tf.split(x @ self.W_x + self.b, 3, axis=-1)
            h_z, h_r = tf.split(state @ self.W_h[:, : 2 * h], 2, axis=-1)
            z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
            candidate = tf.tanh(x_h + (r * state) @ self.W_h[:, 2 * h :])
        H = z * state + (1 - z) * candidate
        return H, H

    def keras_weights(self):
        return [self.W_x.numpy(), self.W_h.numpy(), self.b.numpy()]


CELLS = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}


def make_cell(kind: str, input_size: int, num_hiddens: int, seed: int = 0, **options) -> Cell:
    """``make_cell("gru", 28, 256)``: a cell by name (``"rnn"``, ``"lstm"`` or ``"gru"``)."""
    if kind not in CELLS:
        raise ValueError(f"unknown cell {kind!r}; choose one of {sorted(CELLS)}")
    return CELLS[kind](input_size, num_hiddens, seed=seed, **options)
