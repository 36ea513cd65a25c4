"""Beam search: decoding that keeps several prefixes alive (chapter 18).

Greedy decoding (``utils.decoding.decode``) commits to the most likely next token at every step.
Beam search keeps the ``beam_size`` most likely *prefixes* instead: every step extends each live
prefix by every token of the vocabulary and keeps the ``beam_size`` extensions with the highest
total log-probability. An extension that ends in ``<eos>`` is a finished hypothesis; it is set
aside, and the beam is refilled with the next best unfinished extensions, so that it stays
``beam_size`` wide. Finished hypotheses are ranked by

    score = log P(y | x) / |y| ** alpha,

where ``|y|`` counts the output tokens including ``<eos>``. With ``alpha = 0`` the rank is the
probability alone, which favours short outputs (every token multiplies in a probability below
one); with ``alpha = 1`` it is the mean log-probability per token (length normalisation).

``beam_search`` decodes a whole batch of sentences at once: their ``batch * beam_size`` prefixes
form one batch for the decoder. A sentence stops as soon as it holds ``beam_size`` finished
hypotheses and no live prefix can still beat the worst of them, so its result is the one that
searching on to ``max_len`` would give. With ``beam_size=1`` and ``alpha=0`` it is greedy decoding.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf


class Hypothesis(NamedTuple):
    """One output of beam search, best first in each sentence's list."""

    tokens: list[int]  # the output, without <eos>
    log_prob: float  # log P(tokens, <eos> | source) under the model (without <eos> if cut off)
    score: float  # log_prob / length ** alpha, what the search ranks by
    finished: bool  # False for a prefix cut off at max_len


@tf.function(reduce_retracing=True)
def _best_extensions(logits, log_probs, count):
    """The ``count`` best ``(log-probability, beam * vocab + token)`` extensions of each sentence."""
    totals = tf.reshape(log_probs, [-1, 1]) + tf.nn.log_softmax(logits)  # (sentences * beam, vocab)
    return tf.math.top_k(tf.reshape(totals, [tf.shape(log_probs)[0], -1]), k=count)


def beam_search(step, state, first_tokens, beam_size: int, max_len: int, eos: int,
                alpha: float = 0.0) -> list[list[Hypothesis]]:
    """Beam search for a batch: ``step(tokens, state) -> (logits, state)``, ``tokens`` of shape ``(rows,)``.

    ``state`` holds one row per sentence (any nest of tensors with the batch first); ``first_tokens``
    are the sentences' first inputs (``<bos>``). Returns, for each sentence, up to ``beam_size``
    hypotheses sorted by score, best first.
    """
    if beam_size < 1 or max_len < 1:
        raise ValueError(f"beam_size and max_len must be at least 1, got {beam_size} and {max_len}")
    if alpha < 0:
        raise ValueError(f"alpha must be 0 or more (0: no length normalisation), got {alpha}")
    k, sentences = beam_size, len(first_tokens)
    state = tf.nest.map_structure(lambda s: tf.repeat(s, k, axis=0), state)
    tokens = np.repeat(np.asarray(first_tokens, np.int32), k)
    log_probs = np.full((sentences, k), -np.inf, np.float32)
    log_probs[:, 0] = 0.0  # one live prefix at first: k copies of it would fill the beam with duplicates
    prefixes = np.zeros((sentences, k, 0), np.int32)
    finished = [[] for _ in range(sentences)]
    searching = np.ones(sentences, bool)
    for length in range(1, max_len + 1):
        logits, state = step(tf.constant(tokens), state)
        values, indices = (x.numpy() for x in _best_extensions(logits, log_probs, 2 * k))
        parents, words = np.divmod(indices, logits.shape[-1])
        log_probs = np.full((sentences, k), -np.inf, np.float32)
        kept_parents, kept_words = np.zeros((sentences, k), np.int64), np.full((sentences, k), eos, np.int32)
        for s in np.flatnonzero(searching):
            live = 0
            for rank, (value, parent, word) in enumerate(zip(values[s], parents[s], words[s])):
                if value == -np.inf or live == k:
                    break
                if word != eos:
                    log_probs[s, live], kept_parents[s, live], kept_words[s, live] = value, parent, word
                    live += 1
                elif rank < k:  # among the k best: finished, set aside
                    score = float(value) / length**alpha
                    finished[s].append(Hypothesis(prefixes[s, parent].tolist(), float(value), score, True))
            finished[s] = sorted(finished[s], key=lambda h: -h.score)[:k]
            # log-probabilities only fall as a prefix grows; float64, as the finished scores are
            best_future = float(log_probs[s].max()) / max_len**alpha
            if (len(finished[s]) == k and finished[s][-1].score >= best_future) or live == 0:
                searching[s] = False
        if not searching.any():
            break
        prefixes = np.concatenate([np.take_along_axis(prefixes, kept_parents[:, :, None], axis=1),
                                   kept_words[:, :, None]], axis=2)
        rows = tf.constant((np.arange(sentences)[:, None] * k + kept_parents).ravel())
        state = tf.nest.map_structure(lambda s, rows=rows: tf.gather(s, rows), state)
        tokens = kept_words.ravel()
    for s in np.flatnonzero(searching):  # prefixes still live at max_len are cut off there
        cut = [Hypothesis(p.tolist(), float(lp), float(lp) / max_len**alpha, False)
               for p, lp in zip(prefixes[s], log_probs[s]) if lp > -np.inf]
        finished[s] = sorted(finished[s] + cut, key=lambda h: -h.score)[:k]
    return finished


def sequence_log_probs(model, sources, outputs, bos: int, eos: int, batch_size: int = 250) -> np.ndarray:
    """``log P(output, <eos> | source)`` for each pair, read by teacher forcing through ``model``.

    ``model((sources, decoder_inputs)) -> logits``, as ``utils.seq2seq.EncoderDecoder``; ``sources``
    are padded arrays and ``outputs`` token lists without ``<eos>``, such as a translation or a reference.
    """
    if len(sources) != len(outputs):
        raise ValueError(f"{len(sources)} sources but {len(outputs)} outputs")
    width = max(map(len, outputs)) + 1
    decoder_inputs = np.zeros((len(outputs), width), np.int32)
    targets = np.zeros((len(outputs), width), np.int32)
    real = np.arange(width) <= np.array([len(tokens) for tokens in outputs])[:, None]  # the tokens and <eos>
    for row, tokens in enumerate(outputs):
        decoder_inputs[row, : len(tokens) + 1] = [bos, *tokens]
        targets[row, : len(tokens) + 1] = [*tokens, eos]
    totals = []
    for first in range(0, len(outputs), batch_size):
        rows = slice(first, first + batch_size)
        log_softmax = tf.nn.log_softmax(model((sources[rows], decoder_inputs[rows])))
        picked = tf.gather(log_softmax, targets[rows], batch_dims=2).numpy()
        totals.append((picked * real[rows]).sum(axis=1))
    return np.concatenate(totals)
