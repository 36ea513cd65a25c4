"""Models built from scratch in the chapters, kept here so that later chapters can reuse them.

``RNNLMScratch`` is the character-level RNN language model that chapter 05 builds step by
step; chapter 06 proves it equal to ``keras.layers.SimpleRNN`` + ``Dense`` and chapters
07 and 08 train and sample from it.
"""

from __future__ import annotations

import tensorflow as tf


class RNNLMScratch(tf.Module):
    """A one-layer tanh RNN language model over one-hot tokens (chapter 05).

    .. math::
        H_t = \\tanh(X_t W_{xh} + H_{t-1} W_{hh} + b_h), \\qquad O_t = H_t W_{hq} + b_q

    Call it as ``model(X, state) -> (logits, state)`` with ``X`` of shape
    ``(batch, steps)`` (token indices), ``state`` of shape ``(batch, num_hiddens)`` and
    ``logits`` of shape ``(batch, steps, vocab_size)``.
    """

    def __init__(self, vocab_size: int, num_hiddens: int, sigma: float = 0.1, seed: int = 0):
        super().__init__()
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens

        def normal(shape, offset):
            return tf.Variable(sigma * tf.random.stateless_normal(shape, seed=[seed, offset]))

        self.W_xh = normal((vocab_size, num_hiddens), 1)
        self.W_hh = normal((num_hiddens, num_hiddens), 2)
        self.b_h = tf.Variable(tf.zeros(num_hiddens))
        self.W_hq = normal((num_hiddens, vocab_size), 3)
        self.b_q = tf.Variable(tf.zeros(vocab_size))

    def begin_state(self, batch_size):
        return tf.zeros((batch_size, self.num_hiddens))

    def hidden_states(self, X, state):
        """All hidden states ``(batch, steps, num_hiddens)`` and the last one."""
        # A one-hot row times W_xh picks a row of W_xh: gather computes X_t W_xh without the zeros.
        inputs = tf.gather(self.W_xh, X)
        states = []
        for x_t in tf.unstack(inputs, axis=1):
            state = tf.tanh(x_t + state @ self.W_hh + self.b_h)
            states.append(state)
        return tf.stack(states, axis=1), state

    def __call__(self, X, state):
        states, state = self.hidden_states(X, state)
        return states @ self.W_hq + self.b_q, state
