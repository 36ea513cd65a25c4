import json

import numpy as np
import pytest
import tensorflow as tf

from utils import leaderboard, models
from utils.claims import ClaimError


def test_rnn_scratch_matches_the_equations():
    model = models.RNNLMScratch(vocab_size=5, num_hiddens=3, seed=1)
    X = tf.constant([[1, 4, 2]])
    logits, state = model(X, model.begin_state(1))
    assert logits.shape == (1, 3, 5) and state.shape == (1, 3)
    h = np.zeros((1, 3))
    for t in range(3):
        x = np.eye(5)[[int(X[0, t])]]
        h = np.tanh(x @ model.W_xh.numpy() + h @ model.W_hh.numpy() + model.b_h.numpy())
        o = h @ model.W_hq.numpy() + model.b_q.numpy()
        np.testing.assert_allclose(logits[0, t].numpy(), o[0], atol=1e-5)
    np.testing.assert_allclose(state.numpy(), h, atol=1e-5)


def test_rnn_scratch_state_carries_over():
    model = models.RNNLMScratch(vocab_size=5, num_hiddens=4)
    X = tf.constant([[1, 2, 3, 4]])
    whole, _ = model(X, model.begin_state(1))
    first, state = model(X[:, :2], model.begin_state(1))
    second, _ = model(X[:, 2:], state)
    np.testing.assert_allclose(tf.concat([first, second], 1).numpy(), whole.numpy(), atol=1e-6)


def test_rnn_scratch_seed_makes_weights_repeatable():
    a, b = models.RNNLMScratch(5, 4, seed=3), models.RNNLMScratch(5, 4, seed=3)
    assert all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a.trainable_variables, b.trainable_variables))


@pytest.fixture
def board(tmp_path, monkeypatch):
    path = tmp_path / "leaderboard.json"
    path.write_text(json.dumps([{"chapter": "03", "model": "4-gram", "valid_ppl": 6.5, "tol": 0.05}]))
    monkeypatch.setattr(leaderboard, "LEADERBOARD_PATH", path)
    monkeypatch.delenv(leaderboard.RECORD_ENV, raising=False)
    return path


def test_enter_checks_against_the_stored_value(board, capsys):
    leaderboard.enter("03", "4-gram", 6.52)
    assert "claim holds" in capsys.readouterr().out
    with pytest.raises(ClaimError):
        leaderboard.enter("03", "4-gram", 6.7)


def test_enter_of_an_unknown_model_says_how_to_record(board):
    with pytest.raises(KeyError, match=leaderboard.RECORD_ENV):
        leaderboard.enter("05", "RNN", 6.0)


def test_record_mode_writes_the_measured_value(board, monkeypatch):
    monkeypatch.setenv(leaderboard.RECORD_ENV, "1")
    leaderboard.enter("05", "RNN", 6.0123, tol=0.2)
    leaderboard.enter("03", "4-gram", 6.4)
    entries = {(e["chapter"], e["model"]): e for e in leaderboard.load()}
    assert entries[("05", "RNN")] == {"chapter": "05", "model": "RNN", "valid_ppl": 6.01, "tol": 0.2}
    assert entries[("03", "4-gram")]["valid_ppl"] == 6.4 and len(entries) == 2


def test_table_is_sorted_and_limited_to_earlier_chapters(board, monkeypatch):
    monkeypatch.setenv(leaderboard.RECORD_ENV, "1")
    leaderboard.enter("05", "RNN", 6.0)
    leaderboard.enter("09", "LSTM", 5.0)
    frame = leaderboard.table(through="05")
    assert list(frame["model"]) == ["RNN", "4-gram"] and list(frame.index) == [1, 2]
