"""Measuring how fast models train (chapters 06, 20 and A1; ``make benchmark`` prints the same numbers for every model).

``training_throughput`` times the training step of a character language model in four
forms on one random batch: the course's from-scratch model under ``tf.function``, the same
step run eagerly, and the same architecture built from Keras' layers, as Keras runs them by
default (a loop over time) and unrolled, trained by an identical compiled step (so only the
model differs). The from-scratch scan unrolls windows of up to ``UNROLL_LIMIT`` steps, so the
unrolled Keras layer is its like-for-like rival; the default layer is what most code uses.
Tokens per second are the best of a few repeats, which is the least disturbed by other work
on a busy machine (the slow eager step runs once).

Appendix A1 adds the same step compiled by XLA (``training_throughput(..., xla=True)``), the
split of one step into its recurrence and its output layer (``time_breakdown``) and a test of
whether Keras runs a recurrent layer with the fused cuDNN kernel (``uses_cudnn``).
"""

from __future__ import annotations

import time

import keras
import tensorflow as tf

from utils.models import LanguageModel
from utils.training import masked_loss

KERAS_LAYERS = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def keras_language_model(vocab_size: int, num_hiddens: int, cell: str = "rnn", num_layers: int = 1,
                         steps: int | None = None, unroll: bool = False) -> keras.Model:
    """One-hot tokens → ``num_layers`` Keras recurrent layers → ``Dense``: ``LanguageModel``'s twin.

    ``unroll=True`` needs a fixed number of ``steps``.
    """
    tokens = keras.Input((steps,), dtype="int32")
    x = keras.layers.Lambda(lambda t: keras.ops.one_hot(t, vocab_size))(tokens)
    for _ in range(num_layers):
        x = KERAS_LAYERS[cell](num_hiddens, return_sequences=True, unroll=unroll)(x)
    return keras.Model(tokens, keras.layers.Dense(vocab_size)(x))


def training_step(forward, variables, optimizer):
    """``step(X, Y) -> loss``: cross-entropy of ``forward(X)``'s logits, its gradient, one ``optimizer`` update.

    Plain Python: wrap it in ``tf.function`` (with ``jit_compile=True`` for XLA) or run it eagerly.
    The loss goes through ``optimizer.scale_loss``, which leaves it unchanged except under a
    ``keras.optimizers.LossScaleOptimizer`` (mixed precision with float16, appendix A1); the
    optimizer divides the scale out of the gradients again.
    """
    def step(X, Y):
        with tf.GradientTape() as tape:
            total, count = masked_loss(forward(X), Y)
            loss = total / count
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, variables)
        optimizer.apply_gradients(zip(grads, variables))
        return loss

    return step


def time_steps(step, X, Y, repeats: int = 3, steps: int = 10) -> float:
    """Tokens per second of ``step(X, Y)``: the best of ``repeats`` runs of ``steps`` calls."""
    float(step(X, Y))  # trace and warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            loss = step(X, Y)
        float(loss)  # wait for the last step to finish
        best = min(best, time.perf_counter() - start)
    return int(tf.size(X)) * steps / best


def training_throughput(cell: str, num_hiddens: int, batch_size: int, num_steps: int = 32,
                        vocab_size: int = 28, repeats: int = 3, steps: int = 10,
                        eager_steps: int | None = None, xla: bool = False) -> dict:
    """Tokens per second for ``{"compiled", "eager", "keras", "keras unrolled"}`` and the ratios the course quotes.

    With ``xla``, also ``"compiled, XLA"``: the from-scratch step under ``tf.function(jit_compile=True)``.
    """
    X = tf.random.stateless_uniform((batch_size, num_steps), [0, 1], 0, vocab_size, tf.int32)
    Y = tf.random.stateless_uniform((batch_size, num_steps), [0, 2], 0, vocab_size, tf.int32)
    scratch = LanguageModel(vocab_size, num_hiddens, cell=cell)
    state = scratch.begin_state(batch_size)
    scratch_step = training_step(lambda X: scratch(X, state, training=True)[0], scratch.trainable_variables,
                                  keras.optimizers.Adam(1e-3))
    twin = keras_language_model(vocab_size, num_hiddens, cell, steps=num_steps)
    keras_step = training_step(lambda X: twin(X, training=True), twin.trainable_variables,
                                keras.optimizers.Adam(1e-3))
    unrolled = keras_language_model(vocab_size, num_hiddens, cell, steps=num_steps, unroll=True)
    unrolled_step = training_step(lambda X: unrolled(X, training=True), unrolled.trainable_variables,
                                   keras.optimizers.Adam(1e-3))
    result = {
        "compiled": time_steps(tf.function(scratch_step), X, Y, repeats, steps),
        "eager": time_steps(scratch_step, X, Y, 1, eager_steps or max(1, steps // 3)),
        "keras": time_steps(tf.function(keras_step), X, Y, repeats, steps),
        "keras unrolled": time_steps(tf.function(unrolled_step), X, Y, repeats, steps),
    }
    if xla:
        result["compiled, XLA"] = time_steps(tf.function(scratch_step, jit_compile=True), X, Y, repeats, steps)
    result["compiled / keras"] = result["compiled"] / result["keras"]
    result["compiled / keras unrolled"] = result["compiled"] / result["keras unrolled"]
    result["compiled / eager"] = result["compiled"] / result["eager"]
    return result


def model_throughput(model, batch_size: int = 32, num_steps: int = 64, repeats: int = 3, steps: int = 5) -> float:
    """Training tokens per second of a language model with the course's interface (chapter 20).

    ``model(X, state, training=True) -> (logits, state)``, ``model.begin_state`` and
    ``model.vocab_size``; the compiled step is the course's (loss, gradient, Adam update) on
    one random batch from a zero state. It updates the model's weights: time a fresh copy.
    """
    X = tf.random.stateless_uniform((batch_size, num_steps), [1, 1], 0, model.vocab_size, tf.int32)
    Y = tf.random.stateless_uniform((batch_size, num_steps), [1, 2], 0, model.vocab_size, tf.int32)
    state = model.begin_state(batch_size)
    step = training_step(lambda X: model(X, state, training=True)[0], model.trainable_variables,
                          keras.optimizers.Adam(1e-3))
    return time_steps(tf.function(step), X, Y, repeats, steps)


def forward_seconds(layer, x, repeats: int = 2) -> float:
    """Seconds for one compiled forward pass of ``layer`` on ``x``: the best of ``repeats`` after a warm-up."""
    run = tf.function(lambda x: tf.nest.flatten(layer(x))[0])
    float(tf.reduce_sum(run(x)))  # trace and warm up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        float(tf.reduce_sum(run(x)))  # reading the result waits for the computation
        best = min(best, time.perf_counter() - start)
    return best


def scan_layer_times(lengths, batch_size: int = 32, width: int = 256, repeats: int = 2) -> dict:
    """Milliseconds per forward pass of one layer at each sequence length (chapter 20).

    minGRU with each of ``linear_rnn.SCANS`` and Keras' GRU layer of the same width, on
    ``(batch_size, length, width)`` random inputs: ``{length: {layer name: ms}}``.
    """
    from utils.linear_rnn import SCANS, MinGRU

    layers = {f"minGRU, {name} scan": MinGRU(width, scan=name, seed=0) for name in SCANS}
    layers["GRU layer (Keras)"] = keras.layers.GRU(width, return_sequences=True)
    rows = {}
    for length in lengths:
        x = tf.random.stateless_normal((batch_size, length, width), [4, length])
        rows[length] = {name: 1000 * forward_seconds(layer, x, repeats) for name, layer in layers.items()}
    return rows


def time_breakdown(vocab_size: int, batch_size: int = 128, num_steps: int = 32, num_hiddens: int = 256,
                   embed_size: int = 64, repeats: int = 2, steps: int = 3) -> dict:
    """Milliseconds per training step of a Keras GRU language model, whole and in two parts (appendix A1).

    The model is ``Embedding(vocab_size, embed_size)`` → ``GRU(num_hiddens)`` → ``Dense(vocab_size)``.
    ``"whole step"`` trains all of it; ``"recurrence"`` trains the embedding and the GRU alone (the loss is
    the mean of the GRU's outputs); ``"output layer"`` trains the dense layer and its softmax cross-entropy
    alone, on fixed GRU outputs, and also computes the gradient with respect to those outputs, which the
    whole step passes back into the GRU. Every part takes its gradients and an Adam update, so the parts
    add up to about the whole step.
    """
    X = tf.random.stateless_uniform((batch_size, num_steps), [5, 1], 0, vocab_size, tf.int32)
    Y = tf.random.stateless_uniform((batch_size, num_steps), [5, 2], 0, vocab_size, tf.int32)
    embedding = keras.layers.Embedding(vocab_size, embed_size)
    gru = keras.layers.GRU(num_hiddens, return_sequences=True)
    dense = keras.layers.Dense(vocab_size)
    model = keras.Sequential([embedding, gru, dense])
    model.build((None, num_steps))
    hidden = gru(embedding(X))

    def recurrence_step(X, Y):
        variables = embedding.trainable_variables + gru.trainable_variables
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(gru(embedding(X), training=True))
        recurrence_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    def output_step(X, Y):
        with tf.GradientTape() as tape:
            tape.watch(hidden)
            total, count = masked_loss(dense(hidden), Y)
            loss = total / count
        hidden_grad, *grads = tape.gradient(loss, [hidden, *dense.trainable_variables])
        output_optimizer.apply_gradients(zip(grads, dense.trainable_variables))
        return loss + 0.0 * tf.reduce_sum(hidden_grad)  # uses the gradient, so that tf.function keeps it

    recurrence_optimizer, output_optimizer = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    steps_to_time = {
        "whole step": training_step(lambda X: model(X, training=True), model.trainable_variables,
                                    keras.optimizers.Adam(1e-3)),
        "recurrence": recurrence_step,
        "output layer": output_step,
    }
    return {name: 1000 * batch_size * num_steps / time_steps(tf.function(step), X, Y, repeats, steps)
            for name, step in steps_to_time.items()}


def uses_cudnn(layer_class, inputs, mask=None, **options) -> bool:
    """Whether Keras runs ``layer_class(**options)`` on ``inputs`` with the fused cuDNN kernel (appendix A1).

    ``layer_class`` is ``keras.layers.LSTM`` or ``keras.layers.GRU``. The layer is built with
    ``use_cudnn=True``, which makes Keras refuse (``ValueError``) a configuration it cannot hand to cuDNN,
    instead of quietly running its own loop; it is called inside ``tf.function``, as ``fit`` would, so that
    a mask cuDNN cannot take fails as it would in training. Always ``False`` without a GPU.
    """
    layer = layer_class(8, return_sequences=True, use_cudnn=True, **options)
    try:
        float(tf.reduce_sum(tf.function(lambda x: layer(x, mask=mask, training=True))(inputs)))
    except (ValueError, tf.errors.InvalidArgumentError):
        return False
    return True
