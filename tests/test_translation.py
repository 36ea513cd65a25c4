"""The translation data set of chapter 15: cleaning, the split by English sentence, the arrays."""

import numpy as np
import pytest

from utils import translation
from utils.text import BOS, EOS

FAKE_FILE = "\n".join([
    "Go.\tVa !\tCC-BY",
    "Run!\tCours\u202f!\tCC-BY",
    "Run!\tCourez\u202f!\tCC-BY",
    "I won.\tJ’ai gagné.\tCC-BY",
    "I won.\tJe l'ai emporté.\tCC-BY",
    "We won.\tNous avons gagné.\tCC-BY",
    "We lost.\tNous avons perdu.\tCC-BY",
    "Tom won.\tTom a gagné.\tCC-BY",
    "Tom lost.\tTom a perdu.\tCC-BY",
    "I lost.\tJ'ai perdu.\tCC-BY",
    "This one is far too long to keep here.\tCelle-ci est bien trop longue pour la garder ici.\tCC-BY",
]) + "\n"


@pytest.fixture
def fake_corpus(monkeypatch):
    monkeypatch.setattr(translation.data, "read_text", lambda name: FAKE_FILE)
    return translation.load(num_pairs=None, max_tokens=5, min_freq=1, num_test=2, num_valid=2, seed=0)


def test_preprocess_normalises_spaces_apostrophes_and_punctuation():
    assert translation.preprocess("Cours\u202f!") == "cours !"
    assert translation.preprocess("J’ai  froid,\xa0Tom.") == "j'ai froid , tom ."
    assert translation.tokenize(translation.preprocess("Don't go!")) == ["don't", "go", "!"]


def test_load_filters_long_pairs_and_splits_by_english_sentence(fake_corpus):
    splits = {name: fake_corpus.pairs(name) for name in ("train", "valid", "test")}
    assert sum(len(pairs) for pairs in splits.values()) == 10  # the long pair is dropped
    english = {name: {tuple(en) for en, _ in pairs} for name, pairs in splits.items()}
    assert len(english["test"]) == 2 and len(english["valid"]) == 2
    assert not english["test"] & (english["train"] | english["valid"])
    assert not english["valid"] & english["train"]
    for name, pairs in splits.items():  # every translation of a sentence is in the sentence's split
        if ("run", "!") in english[name]:
            assert sum(en == ["run", "!"] for en, _ in pairs) == 2


def test_split_is_reproducible_and_depends_on_the_seed(fake_corpus, monkeypatch):
    monkeypatch.setattr(translation.data, "read_text", lambda name: FAKE_FILE)
    again = translation.load(num_pairs=None, max_tokens=5, min_freq=1, num_test=2, num_valid=2, seed=0)
    assert again.test == fake_corpus.test
    others = [translation.load(num_pairs=None, max_tokens=5, min_freq=1, num_test=2, num_valid=2, seed=s).test
              for s in range(1, 6)]
    assert any(other != fake_corpus.test for other in others)


def test_too_few_sentences_for_the_split_says_what_to_do(monkeypatch):
    monkeypatch.setattr(translation.data, "read_text", lambda name: FAKE_FILE)
    with pytest.raises(ValueError, match="too few .* read more pairs"):
        translation.load(num_pairs=None, max_tokens=5, num_test=5, num_valid=5)
    with pytest.raises(ValueError, match="must not be negative"):
        translation.load(num_pairs=None, max_tokens=5, num_test=-1, num_valid=2)


def test_unknown_split_is_refused(fake_corpus):
    with pytest.raises(ValueError, match="'train', 'valid' or 'test'"):
        fake_corpus.arrays("tset")


def test_encoders_pad_with_zero_and_mark_the_sentence_ends(fake_corpus):
    vocab_en, vocab_fr = fake_corpus.src_vocab, fake_corpus.tgt_vocab
    assert vocab_en["<pad>"] == 0 and vocab_fr["<pad>"] == 0 and vocab_fr["<unk>"] == 1
    sources, lengths = fake_corpus.encode_sources([["we", "won", "."], ["a", "b", "c", "d", "e", "f", "g"]])
    assert sources.shape == (2, fake_corpus.num_steps) == (2, 6)
    assert sources[0].tolist() == vocab_en[["we", "won", "."]] + [vocab_en[EOS], 0, 0]
    assert lengths.tolist() == [4, 6]  # the long one is cut to max_tokens, then <eos>
    assert sources[1].tolist() == [vocab_en.unk] * 5 + [vocab_en[EOS]]
    inputs, targets = fake_corpus.encode_targets([["nous", "avons", "gagné", "."]])
    words = vocab_fr[["nous", "avons", "gagné", "."]]
    assert inputs[0].tolist() == [vocab_fr[BOS]] + words + [0]
    assert targets[0].tolist() == words + [vocab_fr[EOS], 0]
    assert fake_corpus.decode(targets[0]) == ["nous", "avons", "gagné", "."]


def test_references_group_every_translation(fake_corpus):
    groups = {}
    for split in ("train", "valid", "test"):
        sources, references = fake_corpus.references(split)
        assert sum(len(refs) for refs in references) == len(fake_corpus.pairs(split))
        groups.update({tuple(s): sorted(map(tuple, refs)) for s, refs in zip(sources, references)})
    assert groups[("i", "won", ".")] == [("j'ai", "gagné", "."), ("je", "l'ai", "emporté", ".")]
    assert groups[("run", "!")] == [("courez", "!"), ("cours", "!")]
    assert len(groups) == 8


def test_dataset_batches_and_weights(fake_corpus):
    (sources, inputs), targets, weights = next(iter(fake_corpus.dataset("train", batch_size=4)))
    (all_sources, all_inputs), all_targets = fake_corpus.arrays("train")
    np.testing.assert_array_equal(sources.numpy(), all_sources[:4])
    np.testing.assert_array_equal(weights.numpy(), (all_targets[:4] != 0).astype(np.float32))


def test_no_test_sentence_of_the_course_data_is_trained_or_tuned_on():
    corpus = translation.load()
    test = {tuple(en) for en, _ in corpus.test}
    seen = {tuple(en) for en, _ in corpus.train + corpus.valid}
    assert len(test) == 1000 and not test & seen
    assert len({tuple(en) for en, _ in corpus.valid}) == 1000
