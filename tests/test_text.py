import pytest

from utils import text


def test_preprocess_keeps_letters_and_single_spaces():
    assert text.preprocess("The Time-Machine,\n  by H. G. Wells [1898]") == "the time machine by h g wells "


def test_tokenize_chars_and_words():
    assert text.tokenize("ab c", "char") == ["a", "b", " ", "c"]
    assert text.tokenize("the  time machine", "word") == ["the", "time", "machine"]
    with pytest.raises(ValueError, match="'char' or 'word'"):
        text.tokenize("x", "byte")


def test_vocab_orders_by_frequency_and_maps_both_ways():
    vocab = text.Vocab(list("abbccc"))
    assert vocab.idx_to_token == ["<unk>", "c", "b", "a"]
    assert vocab["c"] == 1 and vocab[["a", "b"]] == [3, 2]
    assert vocab.to_tokens([1, 2]) == ["c", "b"] and vocab.to_tokens(3) == "a"
    assert vocab.decode([3, 2, 1]) == "abc"
    assert vocab.counts["c"] == 3 and vocab.token_freqs[0] == ("c", 3)


def test_vocab_unknown_token_maps_to_unk():
    vocab = text.Vocab(["a", "b"])
    assert vocab["zebra"] == vocab.unk == 0
    assert vocab.to_tokens(vocab["zebra"]) == "<unk>"
    assert "zebra" not in vocab and "a" in vocab


def test_vocab_min_freq_and_reserved_tokens():
    vocab = text.Vocab([["a", "a", "b"], ["a", "c", "c"]], min_freq=2, reserved_tokens=["<bos>", "<pad>", "<eos>"])
    assert vocab.idx_to_token == ["<pad>", "<unk>", "<bos>", "<eos>", "a", "c"]
    assert vocab["b"] == vocab.unk == 1 and vocab.pad == 0
    assert len(vocab) == 6


def test_vocab_without_pad_keeps_unk_first_and_says_so_when_asked_for_pad():
    vocab = text.Vocab(list("ab"), reserved_tokens=["<eos>"])
    assert vocab.idx_to_token[:2] == ["<unk>", "<eos>"] and vocab.unk == 0
    with pytest.raises(KeyError, match="reserved_tokens"):
        _ = vocab.pad


def test_vocab_ties_do_not_depend_on_corpus_order():
    assert text.Vocab(list("xyz")).idx_to_token == text.Vocab(list("zyx")).idx_to_token


def test_empty_vocab_has_only_unk():
    assert len(text.Vocab([])) == 1


def test_standard_split():
    train, valid = text.standard_split(list(range(10)))
    assert train == list(range(9)) and valid == [9]
    with pytest.raises(ValueError):
        text.standard_split([1, 2], train_fraction=1.5)


def test_time_machine_corpus_with_a_fake_book(monkeypatch):
    monkeypatch.setattr(text.data, "read_text", lambda name: "Hello, World!\n" * 10)
    assert text.time_machine().startswith("hello world hello")
    train, valid, vocab = text.time_machine_corpus()
    assert len(train) + len(valid) == len(text.time_machine())
    assert vocab.decode(train[:5]) == "hello"
