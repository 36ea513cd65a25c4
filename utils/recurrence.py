"""Run a cell over time (chapter 05); masks and reversed runs (chapters 08 and 13); stacks (chapter 12).

``scan(cell, inputs, state)`` applies ``cell`` (see ``utils.cells``) to every step of
``inputs`` of shape ``(batch, steps, features)`` and returns all outputs
``(batch, steps, num_hiddens)`` and the last state. Two ways of looping, one result:

* when the number of steps is known when the function is traced and small (at most
  ``UNROLL_LIMIT``), a Python loop writes every step into the graph ("unrolled"); this is
  the fastest on a CPU for the short windows of language-model training;
* otherwise a ``tf.while_loop`` runs the same step, so one trace serves any length.

``mask`` (``(batch, steps)``, true for real tokens) makes padded steps pass the state
through unchanged and output zeros. ``reverse=True`` reads the sequence from its last step
to its first; with a mask of right-padded sequences, each sequence is then read backwards
from its own last real token, which is what a bidirectional layer needs.
"""

from __future__ import annotations

import tensorflow as tf

#: Sequences of at most this many (statically known) steps are unrolled.
UNROLL_LIMIT = 64


def _masked_step(cell, x, state, keep):
    """One step that keeps the old state (and outputs zeros) where ``keep`` is false."""
    output, new_state = cell(x, state)
    if keep is None:
        return output, new_state
    keep = keep[:, None]
    new_state = tf.nest.map_structure(lambda new, old: tf.where(keep, new, old), new_state, state)
    return tf.where(keep, output, tf.zeros_like(output)), new_state


def scan(cell, inputs, state, mask=None, reverse: bool = False, unroll: bool | None = None):
    """Outputs ``(batch, steps, num_hiddens)`` of ``cell`` over ``inputs``, and its last state."""
    steps = inputs.shape[1]
    if mask is not None:
        mask = tf.cast(mask, tf.bool)
    if unroll is None:
        unroll = steps is not None and steps <= UNROLL_LIMIT
    if unroll:
        if steps is None:
            raise ValueError("unroll=True needs a number of steps known when tracing")
        # unstack, not inputs[:, t]: the gradient of one unstack is one stack, while the gradient
        # of each slice would be a tensor as large as the whole sequence.
        # Time-major slices are contiguous in memory, which makes both directions cheaper.
        xs = tf.unstack(tf.transpose(inputs, (1, 0, 2)))
        keeps = [None] * steps if mask is None else tf.unstack(tf.transpose(mask))
        outputs = [None] * steps
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            outputs[t], state = _masked_step(cell, xs[t], state, keeps[t])
        return tf.transpose(tf.stack(outputs), (1, 0, 2)), state
    return _while_scan(cell, inputs, state, mask, reverse)


def _while_scan(cell, inputs, state, mask, reverse):
    time_major = tf.transpose(inputs, (1, 0, 2))
    num_steps = tf.shape(time_major)[0]
    xs = tf.TensorArray(time_major.dtype, size=num_steps).unstack(time_major)
    keeps = None if mask is None else tf.TensorArray(tf.bool, size=num_steps).unstack(tf.transpose(mask))
    outputs = tf.TensorArray(inputs.dtype, size=num_steps)

    def body(i, state, outputs):
        t = num_steps - 1 - i if reverse else i
        output, state = _masked_step(cell, xs.read(t), state, None if keeps is None else keeps.read(t))
        return i + 1, state, outputs.write(t, output)

    # parallel_iterations lets TensorFlow start work that does not depend on the state early.
    _, state, outputs = tf.while_loop(lambda i, *_: i < num_steps, body, (0, state, outputs),
                                      parallel_iterations=32, swap_memory=True, maximum_iterations=num_steps)
    return tf.transpose(outputs.stack(), (1, 0, 2)), state


def stacked_scan(cells, inputs, states, mask=None, dropout: float = 0.0, training: bool = False,
                 reverse: bool = False):
    """A deep RNN (chapter 12): each layer's outputs are the next layer's inputs.

    ``states`` holds one state per layer; the last states come back in the same structure.
    With ``training`` and ``dropout > 0``, dropout is applied to the outputs of every layer
    (between layers and on the top layer's outputs), never inside the recurrence.
    """
    new_states = []
    for cell, state in zip(cells, states):
        inputs, state = scan(cell, inputs, state, mask=mask, reverse=reverse)
        new_states.append(state)
        if training and dropout > 0:
            inputs = tf.nn.dropout(inputs, dropout)
    return inputs, tuple(new_states)


def bidirectional_scan(forward_cell, backward_cell, inputs, mask=None):
    """Outputs of a forward and a backward pass, concatenated: ``(batch, steps, 2 * num_hiddens)``.

    Both start from zero states. With a mask of right-padded sequences the backward pass
    starts at each sequence's own last real token (chapter 13).
    """
    batch = tf.shape(inputs)[0]
    forward, _ = scan(forward_cell, inputs, forward_cell.begin_state(batch), mask=mask)
    backward, _ = scan(backward_cell, inputs, backward_cell.begin_state(batch), mask=mask, reverse=True)
    return tf.concat([forward, backward], axis=-1)
