"""Linear recurrences, the scans that compute them, and minGRU (chapter 20).

A *linear recurrence* ``h_t = a_t * h_{t-1} + b_t`` (element by element, ``a`` and ``b`` of
shape ``(batch, steps, units)``) composes like affine maps: doing step ``(a1, b1)`` and
then ``(a2, b2)`` is one step ``(a1 * a2, a2 * b1 + b2)`` (``combine``). That operation is
associative, so all ``h_t`` can be computed by a parallel prefix scan. Four ways to compute
the same outputs:

* ``sequential_scan``: one step after another, ``steps`` in a row;
* ``doubling_scan``: the scan by doubling (Hillis and Steele), written out in ``log2(steps)``
  rounds of whole-sequence operations;
* ``parallel_scan``: ``keras.ops.associative_scan``, a work-efficient parallel scan;
* ``log_space_scan``: the closed form ``h_t = A_t (h_0 + sum_k b_k / A_k)`` with
  ``A_t = a_1 ... a_t``, computed with cumulative sums in log space so that the products
  neither underflow nor overflow (it needs positive ``b``; Heinsen, 2023).

``MinGRU`` is Feng et al.'s (2024) minimal GRU: its gate and candidate read only the input,
so its recurrence is linear. ``MinGRULanguageModel`` stacks it, with pre-normalisation,
residual connections and a feed-forward layer in each block, under the course's
language-model interface ``model(X, state, training) -> (logits, state)``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from utils.recurrence import UNROLL_LIMIT

SCANS = ("sequential", "doubling", "parallel")


def combine(earlier, later):
    """The composition of two steps ``(a, b)`` of a linear recurrence: ``earlier``, then ``later``."""
    (a1, b1), (a2, b2) = earlier, later
    return a1 * a2, a2 * b1 + b2


def _fold_initial_state(a, b, h0):
    # h_1 = a_1 h_0 + b_1: the initial state moves into the first step's b
    if h0 is None:
        return b
    return tf.concat([b[:, :1] + a[:, :1] * h0[:, None], b[:, 1:]], axis=1)


def sequential_scan(a, b, h0=None):
    """All ``h_t`` of ``h_t = a_t * h_{t-1} + b_t`` (``h_0`` zero by default), one step after another.

    Up to ``UNROLL_LIMIT`` steps known when tracing, the loop is written out step by step (as
    ``recurrence.scan`` does, chapter 05); longer or unknown lengths run ``keras.ops.scan``.
    """
    b = _fold_initial_state(a, b, h0)
    a_steps, b_steps = (tf.transpose(x, (1, 0, 2)) for x in (a, b))  # time-major: contiguous steps
    if a.shape[1] is not None and a.shape[1] <= UNROLL_LIMIT:
        h, outputs = tf.zeros_like(b_steps[0]), []
        for a_t, b_t in zip(tf.unstack(a_steps), tf.unstack(b_steps)):
            h = a_t * h + b_t
            outputs.append(h)
        return tf.transpose(tf.stack(outputs), (1, 0, 2))

    def step(h, inputs):
        a_t, b_t = inputs
        h = a_t * h + b_t
        return h, h

    _, outputs = keras.ops.scan(step, tf.zeros_like(b_steps[0]), (a_steps, b_steps))
    return tf.transpose(outputs, (1, 0, 2))


def doubling_scan(a, b, h0=None):
    """The same outputs by doubling: after round ``k`` each step holds the composition of ``2**k`` steps.

    Every round updates all ``steps`` positions at once: the first ``shift`` combine with the
    identity and do not change, so ``steps * rounds`` combinations run, of which
    ``steps - shift`` per round are useful (the count of chapter 20's exercise 3).
    """
    b = _fold_initial_state(a, b, h0)
    steps, shift = a.shape[1], 1
    if steps is None:
        raise ValueError("doubling_scan needs a number of steps known when tracing")
    while shift < steps:
        # step t combines with the composition ending at step t - shift (the identity (1, 0) before the start)
        a_before = tf.concat([tf.ones_like(a[:, :shift]), a[:, :-shift]], axis=1)
        b_before = tf.concat([tf.zeros_like(b[:, :shift]), b[:, :-shift]], axis=1)
        a, b = combine((a_before, b_before), (a, b))
        shift *= 2
    return b


def parallel_scan(a, b, h0=None):
    """The same outputs with ``keras.ops.associative_scan`` (a work-efficient parallel scan)."""
    b = _fold_initial_state(a, b, h0)
    # the scan loses the static shape, which layers after it (LayerNormalization) need
    return tf.ensure_shape(keras.ops.associative_scan(combine, (a, b), axis=1)[1], b.shape)


def log_space_scan(log_a, log_b, log_h0=None):
    """``h_t`` from ``log a_t`` and ``log b_t`` (so ``b_t > 0``), by cumulative sums in log space.

    ``log h_t = log A_t + logsumexp(log h_0, log b_1 - log A_1, ..., log b_t - log A_t)`` with
    ``log A_t = log a_1 + ... + log a_t``: no product of many ``a`` is ever formed.
    """
    log_A = tf.cumsum(log_a, axis=1)
    log_h = log_A + tf.math.cumulative_logsumexp(log_b - log_A, axis=1)
    if log_h0 is not None:
        log_h = tf.math.reduce_logsumexp(tf.stack([log_h, log_A + log_h0[:, None]]), axis=0)
    return tf.exp(log_h)


def linear_scan(a, b, h0=None, method: str = "sequential"):
    """``h_t = a_t * h_{t-1} + b_t`` for every step, by ``method`` (one of ``SCANS``)."""
    scans = {"sequential": sequential_scan, "doubling": doubling_scan, "parallel": parallel_scan}
    if method not in scans:
        raise ValueError(f"method must be one of {SCANS}, not {method!r}")
    return scans[method](a, b, h0)


class MinGRU(keras.layers.Layer):
    """Feng et al.'s minGRU: ``z_t = sigmoid(x_t W_z + b_z)``, ``h~_t = x_t W_h + b_h``,
    ``h_t = (1 - z_t) * h_{t-1} + z_t * h~_t``.

    ``call(inputs, initial_state=None)`` reads ``(batch, steps, features)`` and returns all
    outputs and the last state; both projections of every step are one matrix product,
    and only the element-wise recurrence runs over time, by ``scan`` (see ``SCANS``).
    ``step(x_t, h)`` is one step, for generation.
    """

    def __init__(self, units: int, scan: str = "sequential", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if scan not in SCANS:
            raise ValueError(f"scan must be one of {SCANS}, not {scan!r}")
        self.units, self.scan = units, scan
        # one kernel for gate and candidate: one matrix product per call
        self.projection = keras.layers.Dense(2 * units, kernel_initializer=keras.initializers.GlorotUniform(seed))

    def build(self, input_shape):
        self.projection.build(input_shape)

    def coefficients(self, inputs):
        """``(a, b)`` of the linear recurrence: ``a = 1 - z``, ``b = z * h~``."""
        gate, candidate = tf.split(self.projection(inputs), 2, axis=-1)
        z = tf.sigmoid(gate)
        return 1.0 - z, z * candidate

    def call(self, inputs, initial_state=None):
        a, b = self.coefficients(inputs)
        outputs = linear_scan(a, b, initial_state, self.scan)
        return outputs, outputs[:, -1]

    def step(self, x_t, h):
        a, b = self.coefficients(x_t)
        return a * h + b


class MinGRULanguageModel(keras.Model):
    """Tokens → embedding → ``num_layers`` blocks → normalisation → logits.

    Each block is ``x + MinGRU(norm(x))`` then ``x + FFN(norm(x))`` (pre-normalisation with
    ``LayerNormalization``, residual connections, a feed-forward layer of ``ffn_units`` with
    GELU); ``dropout`` applies to each branch's output while training. The state is one
    ``(batch, num_hiddens)`` vector per layer, from ``begin_state(batch_size)``.
    """

    def __init__(self, vocab_size: int, num_hiddens: int, num_layers: int = 2, ffn_units: int | None = None,
                 dropout: float = 0.0, scan: str = "sequential", seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.num_hiddens, self.dropout_rate = vocab_size, num_hiddens, dropout
        ffn_units = ffn_units or 2 * num_hiddens

        def init(offset):
            # one random stream per weight and per model seed: seeds s and s + 1 share no stream
            return keras.initializers.GlorotUniform(1000 * seed + offset)

        embedding_init = keras.initializers.RandomNormal(0, 1, 1000 * seed)
        self.embedding = keras.layers.Embedding(vocab_size, num_hiddens, embeddings_initializer=embedding_init)
        self.blocks = [
            {"norm_rnn": keras.layers.LayerNormalization(),
             "rnn": MinGRU(num_hiddens, scan, 1000 * seed + 10 * i + 1),
             "norm_ffn": keras.layers.LayerNormalization(),
             "ffn_in": keras.layers.Dense(ffn_units, activation="gelu", kernel_initializer=init(10 * i + 2)),
             "ffn_out": keras.layers.Dense(num_hiddens, kernel_initializer=init(10 * i + 3))}
            for i in range(num_layers)]
        self.norm = keras.layers.LayerNormalization()
        self.dropout = keras.layers.Dropout(dropout, seed=1000 * seed + 999)
        self.output_layer = keras.layers.Dense(vocab_size, kernel_initializer=init(9))
        # create every weight now, so that the parameters can be counted before any training
        self(tf.zeros((1, 1), tf.int32), self.begin_state(1))

    def begin_state(self, batch_size):
        return tuple(tf.zeros((batch_size, self.num_hiddens)) for _ in self.blocks)

    def call(self, X, state, training=False):
        x, new_state = self.embedding(X), []
        for block, h0 in zip(self.blocks, state):
            y, h = block["rnn"](block["norm_rnn"](x), h0)
            new_state.append(h)
            x = x + self.dropout(y, training=training)
            y = block["ffn_out"](block["ffn_in"](block["norm_ffn"](x)))
            x = x + self.dropout(y, training=training)
        return self.output_layer(self.norm(x)), tuple(new_state)

    @property
    def num_parameters(self) -> int:
        return sum(int(tf.size(v)) for v in self.trainable_variables)
