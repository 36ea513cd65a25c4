"""Text to tokens to indices, and back (taught in chapter 02).

The course's running example is *The Time Machine* at the character level:
``time_machine()`` gives the preprocessed text and ``standard_split()`` the split
every language-model chapter uses (first 90% of characters train, last 10% validate).
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterable, Sequence

from utils import data

UNK, PAD, BOS, EOS = "<unk>", "<pad>", "<bos>", "<eos>"
RESERVED_TOKENS = (UNK, PAD, BOS, EOS)


def preprocess(text: str) -> str:
    """Lower-case ``text`` and turn every run of non-letters into a single space."""
    return re.sub("[^A-Za-z]+", " ", text).lower()


def tokenize(text: str, token: str = "char") -> list[str]:
    """Split ``text`` into characters (``token="char"``) or words (``token="word"``)."""
    if token == "char":
        return list(text)
    if token == "word":
        return text.split()
    raise ValueError(f"token must be 'char' or 'word', not {token!r}")


class Vocab:
    """A two-way mapping between tokens and integer indices.

    ``<unk>`` stands for any token the vocabulary does not know. It is index 0, unless
    ``<pad>`` is among the ``reserved_tokens``: then ``<pad>`` is 0 and ``<unk>`` 1, the
    layout Keras expects (``Embedding(mask_zero=True)`` treats index 0 as padding, and
    ``StringLookup(mask_token=...)`` puts its mask at 0 and its out-of-vocabulary token at 1).
    The other reserved tokens (say ``<bos>`` and ``<eos>``) come next, then the tokens seen at
    least ``min_freq`` times, most frequent first (ties broken alphabetically, so the mapping
    does not depend on the order of the corpus).
    """

    def __init__(self, tokens: Iterable = (), min_freq: int = 1, reserved_tokens: Sequence[str] = ()):
        flat = [t for item in tokens for t in (item if isinstance(item, list) else [item])]
        self.counts = collections.Counter(flat)
        self.token_freqs = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        specials = [t for t in reserved_tokens if t not in (UNK, PAD)]
        specials = ([PAD, UNK] if PAD in reserved_tokens else [UNK]) + specials
        kept = [t for t, freq in self.token_freqs if freq >= min_freq and t not in specials]
        self.idx_to_token = specials + kept
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __contains__(self, token: str) -> bool:
        return token in self.token_to_idx

    def __getitem__(self, tokens):
        """Index of one token, or a list of indices for a list or tuple of tokens."""
        if isinstance(tokens, (list, tuple)):
            return [self[t] for t in tokens]
        return self.token_to_idx.get(tokens, self.unk)

    def to_tokens(self, indices):
        """Token of one index, or a list of tokens for a sequence of indices."""
        if hasattr(indices, "tolist"):
            indices = indices.tolist()
        if isinstance(indices, (list, tuple)):
            return [self.idx_to_token[int(i)] for i in indices]
        return self.idx_to_token[int(indices)]

    def decode(self, indices, sep: str = "") -> str:
        """Indices back to a string (characters joined with ``sep``)."""
        return sep.join(self.to_tokens(list(indices)))

    @property
    def unk(self) -> int:
        return self.token_to_idx[UNK]

    @property
    def pad(self) -> int:
        """Index of ``<pad>`` (0), if it is a reserved token."""
        if PAD not in self.token_to_idx:
            raise KeyError("this vocabulary has no <pad>; pass reserved_tokens=['<pad>', ...]")
        return self.token_to_idx[PAD]

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, first={self.idx_to_token[:6]})"


def time_machine() -> str:
    """*The Time Machine*, preprocessed (173,428 characters)."""
    return preprocess(data.read_text("timemachine"))


def standard_split(tokens: Sequence, train_fraction: float = 0.9) -> tuple[Sequence, Sequence]:
    """The course's split: the first ``train_fraction`` of ``tokens`` trains, the rest validates."""
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be between 0 and 1, not {train_fraction}")
    cut = int(len(tokens) * train_fraction)
    return tokens[:cut], tokens[cut:]


def time_machine_corpus(train_fraction: float = 0.9):
    """The character-level language-model data of chapters 03-14.

    Returns ``(train_ids, valid_ids, vocab)``: two lists of character indices (the
    standard split) and the :class:`Vocab` of the training characters.
    """
    train, valid = standard_split(tokenize(time_machine(), "char"), train_fraction)
    vocab = Vocab(train)
    return vocab[list(train)], vocab[list(valid)], vocab
