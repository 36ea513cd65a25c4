"""The course's English-French translation data (taught in chapter 15; used by chapters 16-20).

The Tatoeba pairs of manythings.org (``utils.data``'s ``fra-eng``) hold one English sentence,
a tab and one French translation per line, shortest sentences first. The course takes the
first ``num_pairs`` lines, cleans and tokenises both sides (``preprocess``, ``tokenize``),
keeps the pairs of at most ``max_tokens`` tokens on each side, and splits them **by English
sentence**: an English sentence often has several French translations, and all of them go to
the same split, so that no test sentence is ever seen in training. Every French translation
of a test sentence is kept as a reference for BLEU.

``TranslationData`` holds the splits, the two vocabularies (``<pad>`` at index 0, then
``<unk>``, ``<bos>``, ``<eos>``) and turns any split into padded index arrays or a
``tf.data`` pipeline of ``((source, decoder_input), decoder_target, weight)`` batches.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from utils import data
from utils.text import BOS, EOS, PAD, UNK, Vocab

SPECIALS = [PAD, UNK, BOS, EOS]


def preprocess(sentence: str) -> str:
    """Lower-case, turn non-breaking spaces into spaces, and split punctuation off the words."""
    sentence = sentence.replace("\u202f", " ").replace("\xa0", " ").replace("\u2019", "'").lower()
    sentence = re.sub(r"([.,!?;:«»\"()])", r" \1 ", sentence)
    return re.sub(r"\s+", " ", sentence).strip()


def tokenize(sentence: str) -> list[str]:
    """Words and punctuation marks, as ``preprocess`` leaves them separated by spaces."""
    return sentence.split()


def read_pairs(num_pairs: int | None = None) -> list[tuple[str, str]]:
    """The first ``num_pairs`` raw ``(english, french)`` pairs of the file (all of them if None)."""
    lines = data.read_text("fra-eng").splitlines()
    return [tuple(line.split("\t")[:2]) for line in lines[:num_pairs] if "\t" in line]


@dataclass
class TranslationData:
    """Tokenised pairs split by English sentence, with vocabularies and encoders."""

    train: list[tuple[list[str], list[str]]]
    valid: list[tuple[list[str], list[str]]]
    test: list[tuple[list[str], list[str]]]
    max_tokens: int
    min_freq: int = 2
    src_vocab: Vocab = field(init=False)
    tgt_vocab: Vocab = field(init=False)

    def __post_init__(self):
        self.src_vocab = Vocab([s for s, _ in self.train], self.min_freq, SPECIALS)
        self.tgt_vocab = Vocab([t for _, t in self.train], self.min_freq, SPECIALS)

    @property
    def num_steps(self) -> int:
        """Array width: the longest sentence plus ``<eos>`` (or ``<bos>`` for the decoder's input)."""
        return self.max_tokens + 1

    def pairs(self, split: str) -> list[tuple[list[str], list[str]]]:
        """The tokenised ``(english, french)`` pairs of ``"train"``, ``"valid"`` or ``"test"``."""
        if split not in ("train", "valid", "test"):
            raise ValueError(f"split must be 'train', 'valid' or 'test', not {split!r}")
        return getattr(self, split)

    def references(self, split: str) -> tuple[list[list[str]], list[list[list[str]]]]:
        """The distinct source sentences of ``split`` and, for each, every French translation."""
        grouped = defaultdict(list)
        for source, target in self.pairs(split):
            grouped[tuple(source)].append(target)
        return [list(s) for s in grouped], list(grouped.values())

    def encode_sources(self, sources) -> tuple[np.ndarray, np.ndarray]:
        """Padded source indices ``(n, num_steps)`` (each sentence followed by ``<eos>``) and the valid lengths."""
        X = np.zeros((len(sources), self.num_steps), np.int32)
        lengths = np.zeros(len(sources), np.int32)
        for i, tokens in enumerate(sources):
            ids = self.src_vocab[list(tokens[: self.max_tokens])] + [self.src_vocab[EOS]]
            X[i, : len(ids)], lengths[i] = ids, len(ids)
        return X, lengths

    def encode_targets(self, targets) -> tuple[np.ndarray, np.ndarray]:
        """Decoder inputs (``<bos>`` + sentence) and targets (sentence + ``<eos>``), padded with 0."""
        inputs = np.zeros((len(targets), self.num_steps), np.int32)
        outputs = np.zeros((len(targets), self.num_steps), np.int32)
        for i, tokens in enumerate(targets):
            ids = self.tgt_vocab[list(tokens[: self.max_tokens])]
            inputs[i, : len(ids) + 1] = [self.tgt_vocab[BOS]] + ids
            outputs[i, : len(ids) + 1] = ids + [self.tgt_vocab[EOS]]
        return inputs, outputs

    def arrays(self, split: str):
        """``((source, decoder_input), decoder_target)`` index arrays of every pair of ``split``."""
        pairs = self.pairs(split)
        sources, _ = self.encode_sources([s for s, _ in pairs])
        decoder_inputs, targets = self.encode_targets([t for _, t in pairs])
        return (sources, decoder_inputs), targets

    def dataset(self, split: str, batch_size: int, shuffle: bool = False, seed: int | None = None):
        """``((source, decoder_input), target, weight)`` batches of ``split`` as a ``tf.data`` pipeline.

        ``weight`` is 1 for a real target token and 0 for padding (Keras' sample weights); with
        ``shuffle`` the pairs come in a new order every epoch. Shuffle for training: the splits list each
        English sentence with all its translations, so unshuffled batches repeat sentences.
        """
        import tensorflow as tf

        (sources, decoder_inputs), targets = self.arrays(split)
        weights = (targets != 0).astype(np.float32)
        dataset = tf.data.Dataset.from_tensor_slices(((sources, decoder_inputs), targets, weights))
        if shuffle:
            dataset = dataset.shuffle(len(targets), seed=seed, reshuffle_each_iteration=True)
        return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)

    def decode(self, ids) -> list[str]:
        """French tokens of a list of target indices, up to the first ``<eos>``."""
        tokens = []
        for i in ids:
            token = self.tgt_vocab.to_tokens(int(i))
            if token == EOS:
                break
            if token not in (PAD, BOS):
                tokens.append(token)
        return tokens


def split_by_source(pairs, num_test: int, num_valid: int, seed: int = 0):
    """Shuffle the distinct English sentences and give ``num_test``, then ``num_valid`` of them
    (with all their translations) to test and validation; the rest is training."""
    if num_test < 0 or num_valid < 0:
        raise ValueError(f"num_test and num_valid must not be negative, got {num_test} and {num_valid}")
    by_source = defaultdict(list)
    for source, target in pairs:
        by_source[tuple(source)].append((source, target))
    sources = sorted(by_source)
    order = np.random.default_rng(seed).permutation(len(sources))
    if num_test + num_valid >= len(sources):
        raise ValueError(f"{len(sources)} distinct source sentences, too few for {num_test} test and "
                         f"{num_valid} validation sentences; read more pairs or ask for fewer")
    chosen = [sources[i] for i in order]

    def with_translations(group):
        return [pair for source in group for pair in by_source[source]]

    return (with_translations(chosen[num_test + num_valid :]),
            with_translations(chosen[num_test : num_test + num_valid]), with_translations(chosen[:num_test]))


def load(num_pairs: int = 30_000, max_tokens: int = 12, min_freq: int = 2, num_test: int = 1000,
         num_valid: int = 1000, seed: int = 0) -> TranslationData:
    """The course's translation data set: the first ``num_pairs`` pairs, cleaned, filtered, split."""
    pairs = []
    for english, french in read_pairs(num_pairs):
        source, target = tokenize(preprocess(english)), tokenize(preprocess(french))
        if 0 < len(source) <= max_tokens and 0 < len(target) <= max_tokens:
            pairs.append((source, target))
    train, valid, test = split_by_source(pairs, num_test, num_valid, seed)
    return TranslationData(train, valid, test, max_tokens, min_freq)
