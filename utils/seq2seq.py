"""Encoder-decoder models in Keras (interfaces: chapter 16; the GRU seq2seq: chapter 17).

The interfaces are three small classes:

* ``Encoder``: reads the padded source tokens and returns its outputs (one vector per source
  position) and its final state;
* ``Decoder``: ``init_state(encoder_outputs, encoder_state, source_mask)`` turns what the encoder
  produced into the decoder's initial state; ``call(decoder_inputs, state)`` returns logits over
  the target vocabulary at every position, and the state after the last one;
* ``EncoderDecoder``: a ``keras.Model`` that wires the two for training with teacher forcing
  (the decoder reads the true previous target token at every step), and ``translate`` for
  prediction, where the decoder reads its own previous output, one step at a time.

``GRUEncoder`` and ``GRUDecoder`` (shown in chapter 16, trained in 17): embeddings, stacked GRUs, and a decoder
that receives the encoder's final state both as its initial state and, concatenated to its
input, at every step (Cho et al., 2014). ``Seq2Seq`` trains them with a loss computed at real
target tokens only; ``CHAPTER_17``, ``gru_seq2seq`` and ``train_seq2seq`` are chapter 17's recipe,
which chapter 18 reuses through ``utils.cache``. ``EncoderDecoder.beam_translate`` decodes with beam search
(chapter 18, ``utils.beam_search``).
"""

from __future__ import annotations

import functools
import math
import time

import keras
import numpy as np
import tensorflow as tf

from utils.beam_search import Hypothesis, beam_search
from utils.decoding import decode
from utils.repro import seed_everything

# Chapter 17's model and training recipe, chosen by validation BLEU within the chapter's time budget.
CHAPTER_17 = {"embed_size": 128, "num_hiddens": 256, "num_layers": 1, "dropout": 0.1, "width": 9,
              "batch_size": 64, "learning_rate": 0.005, "clipnorm": 1.0, "epochs": 4, "seed": 0}


class Encoder(keras.layers.Layer):
    """Reads padded source indices ``(batch, steps)``, where 0 is padding.

    ``call(sources, training) -> (outputs, state)``: one output vector per source position,
    ``(batch, steps, units)``, and a final state (a tensor or a list of tensors). Outputs at padded
    positions are undefined (Keras' CPU kernel repeats the last real output there, cuDNN writes
    zeros), so whatever reads them, such as attention (chapter 19), must use the source mask.
    """

    def call(self, sources, training=False):
        raise NotImplementedError


class Decoder(keras.layers.Layer):
    """Predicts the target sequence one token after another.

    ``init_state(encoder_outputs, encoder_state, source_mask)`` turns what the encoder produced into
    the decoder's first state. ``call(inputs, state, training) -> (logits, state)`` reads target
    indices ``(batch, steps)`` and returns logits ``(batch, steps, vocab)`` and the state after the
    last step, so that a call on the next tokens continues where this one stopped.
    """

    def init_state(self, encoder_outputs, encoder_state, source_mask):
        raise NotImplementedError

    def call(self, inputs, state, training=False):
        raise NotImplementedError


class EncoderDecoder(keras.Model):
    """An encoder and a decoder trained together: ``model((sources, decoder_inputs)) -> logits``."""

    def __init__(self, encoder: Encoder, decoder: Decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder

    def start(self, sources, training=False):
        """The decoder's initial state for a batch of padded sources (index 0 is padding)."""
        outputs, state = self.encoder(sources, training=training)
        return self.decoder.init_state(outputs, state, sources != 0)

    def call(self, inputs, training=False):
        sources, decoder_inputs = inputs
        logits, _ = self.decoder(decoder_inputs, self.start(sources, training), training=training)
        return logits

    def decode_step(self, tokens, state):
        """One step of the decoder for a batch of single tokens ``(batch,)``: ``(logits, state)``."""
        logits, state = self.decoder(tokens[:, None], state)
        return logits[:, 0], state

    @functools.cached_property
    def _compiled(self):
        # compiled once per model, so that translating again does not trace again; start is traced once per
        # source width (an unrolled GRU needs a fixed number of steps), a decoder step once for all batch sizes
        return tf.function(self.start), tf.function(self.decode_step, reduce_retracing=True)

    def translate(self, sources, bos: int, eos: int, max_len: int, batch_size: int = 500,
                  **choose) -> list[list[int]]:
        """Greedy (or, with ``strategy="sample"``, sampled) translations of padded source arrays.

        Decodes ``batch_size`` sentences at a time, one token per step, each feeding the decoder its
        own previous output; a sentence stops at its ``<eos>`` (not included) or after ``max_len`` tokens.
        """
        start, step = self._compiled
        outputs = []
        for first in range(0, len(sources), batch_size):
            batch = tf.constant(sources[first : first + batch_size])
            outputs += decode(step, start(batch), np.full(len(batch), bos), max_len, eos=eos, **choose)
        return outputs

    def beam_translate(self, sources, bos: int, eos: int, max_len: int, beam_size: int, alpha: float = 0.0,
                       batch_size: int = 250) -> list[list[Hypothesis]]:
        """The ``beam_size`` best translations of each padded source, best first (``utils.beam_search``)."""
        start, step = self._compiled
        outputs = []
        for first in range(0, len(sources), batch_size):
            batch = tf.constant(sources[first : first + batch_size])
            outputs += beam_search(step, start(batch), np.full(len(batch), bos), beam_size, max_len, eos, alpha)
        return outputs


class GRUEncoder(Encoder):
    """Embedding, then ``num_layers`` GRUs; the state is the list of each layer's last state.

    ``unroll=True`` (here and in ``GRUDecoder``) writes the loop over time steps out as plain operations,
    which speeds up training on a CPU when sentences are short, such as chapter 15's 13 steps; unrolled
    GRUs cannot use the fused cuDNN kernel on a GPU.
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int = 1,
                 dropout: float = 0.0, unroll: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(vocab_size, embed_size, mask_zero=True)
        self.rnns = [keras.layers.GRU(num_hiddens, return_sequences=True, return_state=True, dropout=dropout,
                                      unroll=unroll) for _ in range(num_layers)]

    def call(self, sources, training=False):
        x = self.embedding(sources)
        mask = sources != 0
        states = []
        for rnn in self.rnns:
            x, last = rnn(x, mask=mask, training=training)
            states.append(last)
        return x, states


class GRUDecoder(Decoder):
    """GRUs started from the encoder's states, with the encoder's top state fed at every step."""

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int = 1,
                 dropout: float = 0.0, unroll: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(vocab_size, embed_size)
        self.rnns = [keras.layers.GRU(num_hiddens, return_sequences=True, return_state=True, dropout=dropout,
                                      unroll=unroll) for _ in range(num_layers)]
        self.dense = keras.layers.Dense(vocab_size)

    def init_state(self, encoder_outputs, encoder_state, source_mask):
        if len(encoder_state) != len(self.rnns):
            raise ValueError(f"the decoder has {len(self.rnns)} GRU layers but received {len(encoder_state)} encoder "
                             "states; build the encoder and the decoder with the same num_layers")
        widths = [int(state.shape[-1]) for state in encoder_state]
        if any(width != rnn.units for width, rnn in zip(widths, self.rnns)):
            raise ValueError(f"the encoder's states have {widths} units but the decoder's GRUs "
                             f"{[rnn.units for rnn in self.rnns]}; build both with the same num_hiddens")
        return list(encoder_state), encoder_state[-1]  # the layers' states, and the context

    def features(self, inputs, state, training=False):
        """The top GRU's outputs ``(batch, steps, units)``, before the output layer, and the new state."""
        layer_states, context = state
        x = self.embedding(inputs)
        steps = tf.shape(x)[1]
        x = tf.concat([x, tf.repeat(context[:, None], steps, axis=1)], axis=-1)
        new_states = []
        for rnn, initial in zip(self.rnns, layer_states):
            x, last = rnn(x, initial_state=initial, training=training)
            new_states.append(last)
        return x, (new_states, context)

    def call(self, inputs, state, training=False):
        x, state = self.features(inputs, state, training=training)
        return self.dense(x), state


class Seq2Seq(EncoderDecoder):
    """An ``EncoderDecoder`` whose ``fit`` computes the output layer only at real target tokens (chapter 17).

    The loss is the same as ``masked_loss`` with weights ``targets != 0``: cross-entropy averaged over the
    real tokens of each batch. Padded positions have weight 0, so their logits are never needed; skipping
    them (more than half of the target positions of chapter 15's arrays) saves that share of the output
    layer's work, which grows with the target vocabulary.
    Compile with an optimizer only. The decoder must offer ``features`` and its output layer ``dense``.
    ``fit`` and ``evaluate`` take ``((sources, decoder_inputs), targets)`` batches (a third element,
    such as ``TranslationData.dataset``'s weights, is ignored) and report the mean of the batch losses.
    Under ``tf.distribute.MirroredStrategy`` (appendix A1) a step on several replicas computes the same
    gradient as one device on the whole batch; the training can still differ, because each replica draws its own
    dropout masks and Keras clips (``clipnorm``) each replica's gradient before the sum. The loss that ``fit``
    reports is then the mean of the replicas' means. Under a ``mixed_float16`` policy, ``compile`` wraps the
    optimizer in a ``LossScaleOptimizer``, whose ``scale_loss`` the step applies.
    """

    def __init__(self, encoder: Encoder, decoder: Decoder, **kwargs):
        super().__init__(encoder, decoder, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def compile(self, optimizer="adam", **kwargs):
        # a loss or metrics given here would be silently ignored by train_step, so refuse them
        given = [name for name in ("loss", "metrics", "weighted_metrics") if kwargs.get(name) is not None]
        if given:
            raise ValueError(f"Seq2Seq computes its own loss (masked cross-entropy over real target tokens); "
                             f"call compile(optimizer) without {', '.join(given)}")
        super().compile(optimizer=optimizer, **kwargs)

    def token_loss(self, sources, decoder_inputs, targets, training=False):
        """Cross-entropy averaged over the real (non-zero) target tokens of a batch."""
        hidden, _ = self.decoder.features(decoder_inputs, self.start(sources, training), training=training)
        real = targets != 0
        logits = self.decoder.dense(tf.boolean_mask(hidden, real))
        return tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
            tf.boolean_mask(targets, real), logits, from_logits=True))

    def train_step(self, data):
        (sources, decoder_inputs), targets = data[:2]
        with tf.GradientTape() as tape:
            loss = self.token_loss(sources, decoder_inputs, targets, training=True)
            objective = self.optimizer.scale_loss(self._share_of_global_loss(loss, targets))
        gradients = tape.gradient(objective, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    @staticmethod
    def _share_of_global_loss(loss, targets):
        """This replica's share of the mean loss over the real tokens of the whole (global) batch (appendix A1).

        Under ``tf.distribute`` each replica sees a slice of the batch, and the optimizer *sums* the
        replicas' gradients. Weighting each replica's mean by its share of the real tokens makes that
        sum the gradient of the global mean, the same as one device on the whole batch. With one
        replica the loss is returned as it is.
        """
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return loss
        local = tf.reduce_sum(tf.cast(targets != 0, loss.dtype))
        return loss * local / context.all_reduce(tf.distribute.ReduceOp.SUM, local)

    def test_step(self, data):
        (sources, decoder_inputs), targets = data[:2]
        self.loss_tracker.update_state(self.token_loss(sources, decoder_inputs, targets))
        return {"loss": self.loss_tracker.result()}


def masked_loss():
    """Cross-entropy averaged over the real target tokens: use with sample weights ``targets != 0``.

    The average is per batch: what ``fit`` and ``evaluate`` report is a mean of batch means, which is
    not exactly the mean over every token of a split when batches hold different numbers of tokens.
    """
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")


def gru_seq2seq(src_vocab_size: int, tgt_vocab_size: int, settings: dict) -> Seq2Seq:
    """A built ``Seq2Seq`` of an unrolled ``GRUEncoder`` and ``GRUDecoder``, initialised with ``settings["seed"]``."""
    seed_everything(settings["seed"])
    sizes = settings["embed_size"], settings["num_hiddens"], settings["num_layers"], settings["dropout"]
    model = Seq2Seq(GRUEncoder(src_vocab_size, *sizes, unroll=True), GRUDecoder(tgt_vocab_size, *sizes, unroll=True))
    ones = np.ones((1, settings["width"]), np.int32)
    model((ones, ones))  # creates the weights, so that they can be loaded or trained
    return model


def fitting_pairs(arrays, width: int):
    """The pairs of ``((sources, decoder_inputs), targets)`` arrays that fit in ``width`` columns, cut to that width.

    Every column costs a GRU step whether it holds a token or padding, so narrower arrays train faster.
    """
    (sources, decoder_inputs), targets = arrays
    fits = (sources[:, width:] == 0).all(axis=1) & (targets[:, width:] == 0).all(axis=1)
    return (sources[fits, :width], decoder_inputs[fits, :width]), targets[fits, :width]


# Where the dropout seeds restart for training: the count that chapter 17's published run started from (its model
# had been called three times before training: to build it, and twice to check the loss).
DROPOUT_SEED_START = 3


def restart_dropout_seeds(model: keras.Model, start: int = DROPOUT_SEED_START) -> None:
    """Set the counter of each of ``model``'s Keras seed generators to ``start``.

    A Keras GRU advances its dropout seed generator at every call, even outside training, so the masks that
    training draws (and the trained model) would depend on how often the model was called before. Restarting
    the counters makes a chapter that trains the model produce the same weights as one that called it first.
    """
    for variable in model.non_trainable_variables:
        if variable.path.endswith("seed_generator_state"):
            variable.assign(np.array([int(variable.numpy()[0]), start], variable.dtype))


def train_seq2seq(model: Seq2Seq, corpus, settings: dict, verbose: int = 0) -> dict:
    """Train ``model`` on ``corpus``'s training pairs that fit in ``settings["width"]`` columns.

    Adam with a cosine decay of the learning rate to 0 over all steps, each weight's gradient clipped to a
    norm of ``settings["clipnorm"]``; each epoch reshuffles the pairs and ends with the loss on the whole
    validation split, at full width. Returns the history (``loss``, ``val_loss``), the number of training
    pairs and the training time in seconds.
    """
    seed_everything(settings["seed"])
    restart_dropout_seeds(model)
    (sources, decoder_inputs), targets = fitting_pairs(corpus.arrays("train"), settings["width"])
    batch_size, epochs = settings["batch_size"], settings["epochs"]
    steps = epochs * math.ceil(len(targets) / batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(settings["learning_rate"], steps)
    model.compile(keras.optimizers.Adam(schedule, clipnorm=settings["clipnorm"]))
    train = (tf.data.Dataset.from_tensor_slices(((sources, decoder_inputs), targets))
             .shuffle(len(targets), seed=settings["seed"], reshuffle_each_iteration=True)
             .batch(batch_size).prefetch(tf.data.AUTOTUNE))
    start = time.perf_counter()
    # shuffle=False: the dataset above shuffles itself (Keras would warn that it cannot shuffle a dataset)
    history = model.fit(train, epochs=epochs, validation_data=corpus.dataset("valid", 500), shuffle=False,
                        verbose=verbose)
    return {"loss": history.history["loss"], "val_loss": history.history["val_loss"],
            "pairs": len(targets), "seconds": time.perf_counter() - start}
