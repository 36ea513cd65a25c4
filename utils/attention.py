"""Additive attention and a GRU decoder that uses it (chapter 19).

A decoder without attention sees the source only through one fixed vector. With attention it
looks back at every encoder output ``h_1 .. h_T`` at every step. For a query ``q`` (the decoder's
state) additive attention (Bahdanau, Cho and Bengio, 2015) scores each source position,

    e_i = v . tanh(W_q q + W_k h_i),

turns the scores into weights with a softmax over the *real* source positions (padding gets weight
0), ``a = softmax(e)``, and returns the context ``c = sum_i a_i h_i``.

``AdditiveAttention`` writes these equations out; ``keras.layers.AdditiveAttention`` computes the
same thing when it is given the projected query and keys and its ``scale`` holds ``v`` (the chapter
proves it). ``AttentionGRUDecoder`` follows Bahdanau et al.: at step ``t`` the previous state
``s_{t-1}`` is the query, and the GRU reads the previous word together with the context,
``s_t = GRU([embed(y_{t-1}); c_t], s_{t-1})``. ``attention_seq2seq`` builds chapter 19's model,
which ``utils.seq2seq.train_seq2seq`` trains.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from utils.repro import seed_everything
from utils.seq2seq import Decoder, GRUEncoder, Seq2Seq


def masked_softmax(scores, mask):
    """Softmax over the last axis of ``scores`` with the positions where ``mask`` is False given weight 0."""
    scores = tf.where(mask, scores, tf.constant(-np.inf, scores.dtype))
    return tf.nn.softmax(scores, axis=-1)


class AdditiveAttention(keras.layers.Layer):
    """Additive attention written from its equations: ``call(queries, keys, values, mask) -> (context, weights)``.

    ``queries`` ``(batch, queries, q_dim)``, ``keys`` ``(batch, steps, k_dim)``, ``values``
    ``(batch, steps, v_dim)`` and ``mask`` ``(batch, steps)``, True at real positions; returns the
    contexts ``(batch, queries, v_dim)`` and the weights ``(batch, queries, steps)``, which sum to 1.
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.query_projection = keras.layers.Dense(units, use_bias=False)  # W_q
        self.key_projection = keras.layers.Dense(units, use_bias=False)  # W_k
        self.score = keras.layers.Dense(1, use_bias=False)  # v

    def call(self, queries, keys, values, mask):
        # (batch, queries, 1, units) + (batch, 1, steps, units): every query against every key
        features = tf.tanh(self.query_projection(queries)[:, :, None] + self.key_projection(keys)[:, None])
        scores = self.score(features)[..., 0]  # (batch, queries, steps)
        weights = masked_softmax(scores, mask[:, None, :])
        return weights @ values, weights


class AttentionGRUDecoder(Decoder):
    """A GRU decoder that attends to the encoder's outputs before every step (Bahdanau et al., 2015).

    The state is ``(s, encoder_outputs, keys, source_mask)``: the GRU's state and what attention reads,
    the keys ``W_k h_i`` projected once per sentence rather than once per step. Attention itself is
    ``keras.layers.AdditiveAttention`` on the projected query and keys.
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(vocab_size, embed_size)
        self.dropout = keras.layers.Dropout(dropout)
        self.query_projection = keras.layers.Dense(num_hiddens, use_bias=False)
        self.key_projection = keras.layers.Dense(num_hiddens, use_bias=False)
        self.attention = keras.layers.AdditiveAttention(use_scale=True)
        self.cell = keras.layers.GRUCell(num_hiddens)
        self.dense = keras.layers.Dense(vocab_size)

    def init_state(self, encoder_outputs, encoder_state, source_mask):
        if int(encoder_state[-1].shape[-1]) != self.cell.units:
            raise ValueError(f"the encoder's state has {encoder_state[-1].shape[-1]} units but the decoder's GRU "
                             f"{self.cell.units}; build both with the same num_hiddens")
        return encoder_state[-1], encoder_outputs, self.key_projection(encoder_outputs), source_mask

    def attend(self, inputs, state, training=False):
        """``(outputs, weights, state)``: the GRU's outputs ``(batch, steps, units)`` and the attention
        weights ``(batch, steps, source steps)`` of every step."""
        hidden, encoder_outputs, keys, source_mask = state
        embedded = self.dropout(self.embedding(inputs), training=training)
        outputs, weights = [], []
        for step in range(inputs.shape[1]):  # a Python loop: the steps are written out when traced
            query = self.query_projection(hidden)[:, None]  # the previous state asks
            context, step_weights = self.attention([query, encoder_outputs, keys], mask=[None, source_mask],
                                                   return_attention_scores=True)
            hidden, _ = self.cell(tf.concat([embedded[:, step], context[:, 0]], axis=-1), hidden, training=training)
            outputs.append(hidden)
            weights.append(step_weights[:, 0])
        return tf.stack(outputs, axis=1), tf.stack(weights, axis=1), (hidden, encoder_outputs, keys, source_mask)

    def features(self, inputs, state, training=False):
        outputs, _, state = self.attend(inputs, state, training=training)
        return outputs, state

    def call(self, inputs, state, training=False):
        outputs, state = self.features(inputs, state, training=training)
        return self.dense(outputs), state


def attention_weights(model: Seq2Seq, sources, outputs, bos: int) -> list[np.ndarray]:
    """For each source and output, the attention weights the decoder used to write each output token and ``<eos>``.

    ``model`` has an ``AttentionGRUDecoder``; ``sources`` are padded arrays and ``outputs`` token lists without
    ``<eos>``. The decoder reads ``<bos>`` and then each output token, as it did when it wrote them (by teacher
    forcing), so each array has one row per output token and one for ``<eos>``, and one column per real
    source token.
    """
    if len(sources) != len(outputs):
        raise ValueError(f"{len(sources)} sources but {len(outputs)} outputs")
    decoder_inputs = np.zeros((len(outputs), max(map(len, outputs)) + 1), np.int32)
    for row, tokens in enumerate(outputs):
        decoder_inputs[row, : len(tokens) + 1] = [bos, *tokens]
    _, weights, _ = model.decoder.attend(tf.constant(decoder_inputs), model.start(tf.constant(sources)))
    return [w[: len(tokens) + 1, : int((source != 0).sum())]
            for w, tokens, source in zip(weights.numpy(), outputs, np.asarray(sources))]


def attention_seq2seq(src_vocab_size: int, tgt_vocab_size: int, settings: dict) -> Seq2Seq:
    """A built ``Seq2Seq`` of an unrolled one-layer ``GRUEncoder`` and an ``AttentionGRUDecoder``."""
    if settings["num_layers"] != 1:
        raise ValueError(f"AttentionGRUDecoder has one GRU layer; settings ask for {settings['num_layers']}")
    seed_everything(settings["seed"])
    encoder = GRUEncoder(src_vocab_size, settings["embed_size"], settings["num_hiddens"], 1, settings["dropout"],
                         unroll=True)
    decoder = AttentionGRUDecoder(tgt_vocab_size, settings["embed_size"], settings["num_hiddens"], settings["dropout"])
    model = Seq2Seq(encoder, decoder)
    ones = np.ones((1, settings["width"]), np.int32)
    model((ones, ones))  # creates the weights, so that they can be loaded or trained
    return model
