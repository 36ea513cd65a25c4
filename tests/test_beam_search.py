"""Beam search (chapter 18): greedy at width 1, exact at full width, scores the model agrees with."""

import itertools
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from utils import seq2seq
from utils.beam_search import beam_search, sequence_log_probs
from utils.decoding import decode

EOS = 0


def markov_step(table):
    """A toy decoder whose next-token logits depend on the previous token only; its state is a counter."""
    table = tf.constant(table, tf.float32)

    def step(tokens, state):
        return tf.gather(table, tokens), state + 1

    return step


def exhaustive(table, first, max_len, alpha):
    """Every output up to ``max_len`` tokens, scored as beam search scores it, best first."""
    log_p = np.log(np.exp(table) / np.exp(table).sum(axis=1, keepdims=True))
    scored = []
    for length in range(1, max_len + 1):
        for tokens in itertools.product(range(1, len(table)), repeat=length - 1):
            path = [first, *tokens]
            body = sum(log_p[a, b] for a, b in zip(path, path[1:]))
            scored.append((body + log_p[path[-1], EOS]) / length**alpha)  # finished by <eos>
        if length == max_len:  # cut off without <eos>
            for tokens in itertools.product(range(1, len(table)), repeat=length):
                path = [first, *tokens]
                scored.append(sum(log_p[a, b] for a, b in zip(path, path[1:])) / length**alpha)
    return sorted(scored, reverse=True)


@pytest.mark.parametrize("alpha", [0.0, 0.7, 1.0])
def test_a_beam_as_wide_as_every_output_is_exhaustive_search(alpha):
    rng = np.random.default_rng(1)
    table = rng.normal(0, 1.5, (4, 4))
    beam = beam_search(markov_step(table), tf.zeros((2,)), [1, 2], beam_size=4**4, max_len=4, eos=EOS, alpha=alpha)
    for first, hypotheses in zip([1, 2], beam):
        best = exhaustive(table, first, 4, alpha)[: len(hypotheses)]
        np.testing.assert_allclose([h.score for h in hypotheses], best, rtol=1e-5)


def test_a_narrow_beam_finds_what_greedy_misses():
    # tokens: 0 <eos>, 1 "a", 2 "b", 3 <bos>; each row holds the next-token probabilities after that token
    probs = np.array([[0.25, 0.25, 0.25, 0.25],
                      [0.34, 0.33, 0.33, 1e-9],  # after "a" nothing is likely
                      [0.90, 0.05, 0.05, 1e-9],  # after "b", <eos> is
                      [0.01, 0.60, 0.39, 1e-9]])  # greedy's first choice is "a"
    step = markov_step(np.log(probs))
    greedy = decode(step, tf.zeros((1,)), [3], max_len=5, eos=EOS)
    beam = beam_search(step, tf.zeros((1,)), [3], beam_size=2, max_len=5, eos=EOS)
    assert greedy == [[1]]  # probability 0.6 * 0.34 = 0.204
    assert beam[0][0].tokens == [2]  # probability 0.39 * 0.9 = 0.351
    assert math.isclose(beam[0][0].log_prob, math.log(0.39 * 0.9), rel_tol=1e-5)


def test_width_one_is_greedy_decoding():
    rng = np.random.default_rng(2)
    table = rng.normal(0, 2.0, (6, 6))
    firsts = [1, 2, 3, 4, 5]
    greedy = decode(markov_step(table), tf.zeros((5,)), firsts, max_len=7, eos=EOS)
    beam = beam_search(markov_step(table), tf.zeros((5,)), firsts, beam_size=1, max_len=7, eos=EOS)
    assert [hypotheses[0].tokens for hypotheses in beam] == greedy


def test_outputs_are_sorted_unique_and_cut_at_max_len():
    table = np.log(np.full((3, 3), 1 / 3)) + np.array([[-5.0, 0.0, 0.0]])  # <eos> unlikely everywhere
    beam = beam_search(markov_step(table), tf.zeros((1,)), [1], beam_size=3, max_len=3, eos=EOS)[0]
    scores = [h.score for h in beam]
    assert scores == sorted(scores, reverse=True) and len({tuple(h.tokens) for h in beam}) == 3
    assert all(len(h.tokens) <= 3 for h in beam) and not all(h.finished for h in beam)


def test_bad_settings_are_refused():
    step = markov_step(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(step, tf.zeros((1,)), [1], beam_size=0, max_len=3, eos=EOS)
    with pytest.raises(ValueError, match="alpha"):
        beam_search(step, tf.zeros((1,)), [1], beam_size=2, max_len=3, eos=EOS, alpha=-1)


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return seq2seq.EncoderDecoder(seq2seq.GRUEncoder(11, 8, 16, unroll=True),
                                  seq2seq.GRUDecoder(13, 8, 16, unroll=True))


def test_beam_scores_are_the_models_log_probabilities(model):
    sources = np.array([[4, 5, 6, 3, 0], [7, 3, 0, 0, 0], [9, 9, 9, 9, 9]], np.int32)
    beam = model.beam_translate(sources, bos=2, eos=3, max_len=6, beam_size=4, batch_size=2)
    assert len(beam) == 3 and all(len(hypotheses) == 4 for hypotheses in beam)
    finished = [(row, h) for row, hypotheses in enumerate(beam) for h in hypotheses if h.finished]
    rows = sources[[row for row, _ in finished]]
    teacher_forced = sequence_log_probs(model, rows, [h.tokens for _, h in finished], bos=2, eos=3)
    np.testing.assert_allclose([h.log_prob for _, h in finished], teacher_forced, atol=1e-4)
    greedy = model.translate(sources, bos=2, eos=3, max_len=6)
    assert [hypotheses[0].tokens for hypotheses in model.beam_translate(sources, 2, 3, 6, beam_size=1)] == greedy


def test_unrolled_models_translate_sources_of_several_widths(model):
    sources = np.array([[4, 5, 6, 3, 0, 0, 0], [7, 3, 0, 0, 0, 0, 0]], np.int32)
    wide, narrow = model.translate(sources, 2, 3, 5), model.translate(sources[:, :4], 2, 3, 5)
    assert wide == narrow  # padding does not change the translation, and a second width traces again
