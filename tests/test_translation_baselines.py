"""The word-by-word dictionary and the retrieval baseline of chapter 17."""

import pytest

from utils.translation_baselines import NearestNeighbour, WordDictionary


def pairs(*lines):
    return [(english.split(), french.split()) for english, french in lines]


def test_dice_prefers_the_specific_word_over_frequent_ones():
    dictionary = WordDictionary(pairs(("a cat .", "un chat ."), ("a dog .", "un chien ."), ("the cat .", "le chat .")))
    # "." co-occurs with "cat" as often as "chat" does, but it is also frequent on its own: Dice 0.8 against 1
    assert dictionary.table["cat"] == "chat" and dictionary.table["a"] == "un" and dictionary.table["."] == "."
    assert dictionary.translate("a cat zebra".split()) == ["un", "chat", "zebra"]  # unknown words are copied


def test_retrieval_returns_the_first_translation_of_the_nearest_sentence():
    neighbour = NearestNeighbour(pairs(("i see a cat", "je vois un chat"), ("i see a dog", "je vois un chien"),
                                       ("i see a dog", "je vois un toutou"), ("a cat sleeps", "un chat dort")))
    assert neighbour.translate("i see a dog".split()) == "je vois un chien".split()
    # "a" occurs in every sentence (idf 0), so only "dog" decides
    assert neighbour.translate("a dog".split()) == "je vois un chien".split()
    assert neighbour.translate("sleeps".split()) == "un chat dort".split()


@pytest.mark.parametrize("baseline", [WordDictionary, NearestNeighbour])
def test_baselines_refuse_empty_training_data(baseline):
    with pytest.raises(ValueError, match="at least one"):
        baseline([])
