"""Additive attention and the attention decoder (chapter 19)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from utils import attention, seq2seq
from utils.beam_search import sequence_log_probs

SOURCES = np.array([[3, 4, 5, 2, 0, 0], [6, 2, 0, 0, 0, 0], [7, 8, 9, 10, 11, 2]], np.int32)
SETTINGS = {"embed_size": 8, "num_hiddens": 16, "num_layers": 1, "dropout": 0.0, "width": 6, "seed": 0}


@pytest.fixture(scope="module")
def model():
    return attention.attention_seq2seq(12, 13, SETTINGS)


def random_inputs(seed=0):
    rng = np.random.default_rng(seed)
    queries = rng.normal(size=(3, 2, 5)).astype(np.float32)
    keys = rng.normal(size=(3, 6, 7)).astype(np.float32)
    values = rng.normal(size=(3, 6, 4)).astype(np.float32)
    return queries, keys, values, SOURCES != 0


def test_weights_sum_to_one_over_the_real_positions_and_mix_the_values():
    layer = attention.AdditiveAttention(units=9)
    queries, keys, values, mask = random_inputs()
    context, weights = (x.numpy() for x in layer(queries, keys, values, mask))
    assert context.shape == (3, 2, 4) and weights.shape == (3, 2, 6)
    np.testing.assert_allclose(weights.sum(axis=-1), 1, atol=1e-6)
    assert (weights[~np.broadcast_to(mask[:, None], weights.shape)] == 0).all()
    assert (weights[np.broadcast_to(mask[:, None], weights.shape)] > 0).all()
    np.testing.assert_allclose(context, np.einsum("bqs,bsd->bqd", weights, values), atol=1e-6)
    # the score written out for one query and key: v . tanh(W_q q + W_k k)
    w_q, w_k, v = (dense.kernel.numpy() for dense in (layer.query_projection, layer.key_projection, layer.score))
    scores = np.tanh(queries[0, 1] @ w_q + keys[0] @ w_k) @ v[:, 0]
    expected = np.exp(scores[:4] - scores[:4].max()) / np.exp(scores[:4] - scores[:4].max()).sum()
    np.testing.assert_allclose(weights[0, 1, :4], expected, atol=1e-6)


def test_padding_values_do_not_matter():
    layer = attention.AdditiveAttention(units=9)
    queries, keys, values, mask = random_inputs()
    context, _ = layer(queries, keys, values, mask)
    noisy_keys, noisy_values = keys.copy(), values.copy()
    noisy_keys[~mask], noisy_values[~mask] = 100.0, -100.0
    noisy_context, _ = layer(queries, noisy_keys, noisy_values, mask)
    np.testing.assert_allclose(context.numpy(), noisy_context.numpy(), atol=1e-6)


def test_the_keras_layer_computes_the_same_on_the_same_weights():
    ours = attention.AdditiveAttention(units=9)
    queries, keys, values, mask = random_inputs(1)
    context, weights = ours(queries, keys, values, mask)
    keras_layer = keras.layers.AdditiveAttention(use_scale=True)
    projected_queries, projected_keys = ours.query_projection(queries), ours.key_projection(keys)
    keras_layer([projected_queries, values, projected_keys])  # builds the scale
    keras_layer.scale.assign(ours.score.kernel[:, 0])
    keras_context, keras_weights = keras_layer([projected_queries, values, projected_keys], mask=[None, mask],
                                               return_attention_scores=True)
    np.testing.assert_allclose(keras_weights.numpy(), weights.numpy(), atol=1e-6)
    np.testing.assert_allclose(keras_context.numpy(), context.numpy(), atol=1e-6)


def test_teacher_forcing_equals_single_steps(model):
    decoder_inputs = np.array([[1, 4, 5, 6], [1, 7, 0, 0], [1, 3, 3, 9]], np.int32)
    logits = model((SOURCES, decoder_inputs)).numpy()
    state = model.start(tf.constant(SOURCES))
    for step in range(decoder_inputs.shape[1]):
        step_logits, state = model.decode_step(tf.constant(decoder_inputs[:, step]), state)
        np.testing.assert_allclose(step_logits.numpy(), logits[:, step], atol=1e-5)


def test_extra_source_padding_changes_nothing(model):
    decoder_inputs = np.array([[1, 4, 5], [1, 7, 8], [1, 3, 3]], np.int32)
    narrow = SOURCES[:2, :4]
    wide = np.pad(narrow, ((0, 0), (0, 6)))
    np.testing.assert_allclose(model((narrow, decoder_inputs[:2])).numpy(), model((wide, decoder_inputs[:2])).numpy(),
                               atol=1e-5)


def test_attention_weights_have_a_row_per_output_token_and_a_column_per_source_token(model):
    outputs = [[4, 5], [], [6, 7, 8, 9]]
    weights = attention.attention_weights(model, SOURCES, outputs, bos=1)
    assert [w.shape for w in weights] == [(3, 4), (1, 2), (5, 6)]
    for w in weights:
        np.testing.assert_allclose(w.sum(axis=1), 1, atol=1e-6)


def test_greedy_and_beam_search_decode_with_attention(model):
    greedy = model.translate(SOURCES, bos=1, eos=2, max_len=5)
    beams = model.beam_translate(SOURCES, bos=1, eos=2, max_len=5, beam_size=1)
    assert [hypotheses[0].tokens for hypotheses in beams] == greedy
    assert all(len(hypotheses) == 3 for hypotheses in model.beam_translate(SOURCES, 1, 2, 5, beam_size=3))


def test_settings_the_decoder_cannot_follow_are_refused():
    with pytest.raises(ValueError, match="one GRU layer"):
        attention.attention_seq2seq(12, 13, {**SETTINGS, "num_layers": 2})
    encoder = seq2seq.GRUEncoder(12, 8, 16)
    decoder = attention.AttentionGRUDecoder(13, 8, 32)
    with pytest.raises(ValueError, match="num_hiddens"):
        seq2seq.EncoderDecoder(encoder, decoder)((SOURCES, SOURCES))


def test_the_same_seed_builds_the_same_model():
    first, second = (attention.attention_seq2seq(12, 13, SETTINGS) for _ in range(2))
    third = attention.attention_seq2seq(12, 13, {**SETTINGS, "seed": 1})
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any((a != c).any() for a, c in zip(first.get_weights(), third.get_weights()))


def test_the_first_step_attends_with_the_encoder_state_as_query(model):
    # s_0 = h_T is the first query: the weights written out from the equations, with the model's own weights
    decoder_inputs = np.array([[1], [1], [1]], np.int32)
    state = model.start(tf.constant(SOURCES))
    _, weights, _ = model.decoder.attend(tf.constant(decoder_inputs), state)
    outputs, final = model.encoder(tf.constant(SOURCES))
    w_q = model.decoder.query_projection.kernel.numpy()
    w_k = model.decoder.key_projection.kernel.numpy()
    v = model.decoder.attention.scale.numpy()
    for row, source in enumerate(SOURCES):
        real = source != 0
        scores = np.tanh(final[-1].numpy()[row] @ w_q + outputs.numpy()[row][real] @ w_k) @ v
        expected = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        np.testing.assert_allclose(weights.numpy()[row, 0, real], expected, atol=1e-5)
        assert (weights.numpy()[row, 0, ~real] == 0).all()


def test_beam_scores_are_the_teacher_forced_log_probabilities(model):
    hypotheses = model.beam_translate(SOURCES, bos=1, eos=2, max_len=5, beam_size=3)
    rows = [row for row, found in enumerate(hypotheses) for h in found if h.finished]
    outputs = [h.tokens for found in hypotheses for h in found if h.finished]
    assert len(outputs) >= 2  # the untrained toy model does end some hypotheses
    rescored = sequence_log_probs(model, SOURCES[rows], outputs, bos=1, eos=2)
    np.testing.assert_allclose(rescored, [h.log_prob for found in hypotheses for h in found if h.finished], atol=1e-4)
