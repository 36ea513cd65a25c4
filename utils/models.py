"""Models built from scratch in the chapters, kept here so that later chapters can reuse them.

``LanguageModel`` is the character-level language model that chapter 05 builds from a cell,
a scan over time and an output layer. With ``cell="rnn"`` it is chapter 05's RNN (proven
equal to ``keras.layers.SimpleRNN`` + ``Dense`` in chapter 06); chapters 09 and 10 swap in the
LSTM and GRU cells, and chapter 12 stacks several layers.
"""

from __future__ import annotations

import tensorflow as tf

from utils.cells import glorot_uniform, make_cell
from utils.recurrence import stacked_scan


class LanguageModel(tf.Module):
    """Tokens → one-hot vectors → ``num_layers`` recurrent layers → a dense output layer.

    .. math::
        H^{(l)}_t = \\text{cell}^{(l)}(H^{(l-1)}_t, \\text{state}^{(l)}_{t-1}), \\qquad
        O_t = H^{(L)}_t W_{hq} + b_q

    Call it as ``model(X, state, training=False) -> (logits, state)`` with ``X`` of shape
    ``(batch, steps)`` (token indices) and ``logits`` of shape ``(batch, steps, vocab_size)``;
    ``state`` is one cell state per layer, from ``begin_state(batch_size)``. ``dropout`` is
    applied to each layer's outputs while training (Zaremba et al., 2014), never inside the
    recurrence. Extra keyword arguments go to the cells (for example ``forget_bias`` or
    ``reset_after``).
    """

    def __init__(self, vocab_size: int, num_hiddens: int, cell: str = "rnn", num_layers: int = 1,
                 dropout: float = 0.0, seed: int = 0, **cell_options):
        super().__init__()
        self.vocab_size, self.num_hiddens, self.dropout = vocab_size, num_hiddens, dropout
        sizes = [vocab_size] + [num_hiddens] * (num_layers - 1)
        self.cells = [make_cell(cell, size, num_hiddens, seed=seed + 10 * layer, **cell_options)
                      for layer, size in enumerate(sizes)]
        self.W_hq = tf.Variable(glorot_uniform((num_hiddens, vocab_size), [seed, 3]), name="W_hq")
        self.b_q = tf.Variable(tf.zeros(vocab_size), name="b_q")

    def begin_state(self, batch_size):
        return tuple(cell.begin_state(batch_size) for cell in self.cells)

    def hidden_states(self, X, state, training: bool = False):
        """The top layer's outputs ``(batch, steps, num_hiddens)`` and the new state."""
        inputs = tf.one_hot(X, self.vocab_size)
        return stacked_scan(self.cells, inputs, state, dropout=self.dropout, training=training)

    def __call__(self, X, state, training: bool = False):
        outputs, state = self.hidden_states(X, state, training)
        # tensordot multiplies one (batch * steps, h) matrix; `outputs @ W_hq` would broadcast a
        # batched product, which is several times slower to differentiate.
        return tf.tensordot(outputs, self.W_hq, axes=1) + self.b_q, state

    @property
    def num_parameters(self) -> int:
        return sum(int(tf.size(v)) for v in self.trainable_variables)
