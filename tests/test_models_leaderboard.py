import json

import pytest

from utils import leaderboard
from utils.claims import ClaimError


@pytest.fixture
def board(tmp_path, monkeypatch):
    path = tmp_path / "leaderboard.json"
    path.write_text(json.dumps([{"chapter": "03", "model": "4-gram", "valid_ppl": 6.5, "tol": 0.05}]))
    monkeypatch.setattr(leaderboard, "LEADERBOARD_PATH", path)
    monkeypatch.delenv(leaderboard.RECORD_ENV, raising=False)
    return path


def test_enter_checks_against_the_stored_value(board, capsys):
    leaderboard.enter("03", "4-gram", 6.52)
    assert "✓ leaderboard: 4-gram = 6.52" in capsys.readouterr().out
    with pytest.raises(ClaimError):
        leaderboard.enter("03", "4-gram", 6.7)


def test_enter_of_an_unknown_model_says_how_to_record(board):
    with pytest.raises(KeyError, match=leaderboard.RECORD_ENV):
        leaderboard.enter("05", "RNN", 6.0)


def test_record_mode_writes_the_measured_value(board, monkeypatch):
    monkeypatch.setenv(leaderboard.RECORD_ENV, "1")
    leaderboard.enter("05", "RNN", 6.0123, tol=0.2, params=2876, budget="60 epochs")
    leaderboard.enter("03", "4-gram", 6.4)
    entries = {(e["chapter"], e["model"]): e for e in leaderboard.load()}
    assert entries[("05", "RNN")] == {"chapter": "05", "model": "RNN", "params": 2876, "budget": "60 epochs",
                                      "valid_ppl": 6.01, "tol": 0.2}
    assert entries[("03", "4-gram")]["valid_ppl"] == 6.4 and len(entries) == 2


def test_enter_refuses_a_changed_size_or_budget(board, monkeypatch):
    monkeypatch.setenv(leaderboard.RECORD_ENV, "1")
    leaderboard.enter("05", "RNN", 6.0, params=100, budget="2 epochs")
    monkeypatch.delenv(leaderboard.RECORD_ENV)
    leaderboard.enter("05", "RNN", 6.0, params=100, budget="2 epochs")
    with pytest.raises(ValueError, match="budget"):
        leaderboard.enter("05", "RNN", 6.0, params=100, budget="3 epochs")


def test_table_is_sorted_and_limited_to_earlier_chapters(board, monkeypatch, capsys):
    monkeypatch.setenv(leaderboard.RECORD_ENV, "1")
    leaderboard.enter("05", "RNN", 6.0)
    leaderboard.enter("09", "LSTM", 5.0)
    frame = leaderboard.table(through="05")
    assert list(frame["model"]) == ["RNN", "4-gram"] and list(frame.index) == [1, 2]
    assert "Protocol:" in capsys.readouterr().out
