"""Character n-gram language models with interpolated Kneser-Ney smoothing (taught in chapter 03).

Chapter 03 derives interpolated Kneser-Ney smoothing and builds it from counts; this module
packs the same computation for later chapters that need an n-gram baseline on another corpus
(chapter 14, Shakespeare). One detail differs: the continuation count of a (k - 1)-gram is the
number of distinct k-grams of the whole text that end with it, where chapter 03 takes the k-grams
that end some (k + 1)-gram and so misses the text's first k-gram (a difference of at most one
count, at the start of the text). An n-gram of token indices below ``base`` is coded as one integer in
base ``base``; ``np.unique`` counts the codes and ``np.searchsorted`` looks them up, so neither
counting nor scoring loops over the text in Python.

``KneserNey(ids, n, vocab_size)`` counts the training ids. Without ``discounts`` it estimates one
per order from the count-of-counts, ``D = n1 / (n1 + 2 n2)`` (Ney, Essen and Kneser, 1994), where
``n1`` and ``n2`` are the numbers of n-grams counted once and twice at that order (continuation
counts below the top order). ``cross_entropy(ids, first)`` scores ``ids[first:]``, each token from
the ``n - 1`` tokens before it; context that would lie before ``ids[0]`` is a padding symbol that
never occurs in training, so such a context is simply one the model has not seen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def ngram_codes(ids: np.ndarray, n: int, base: int) -> np.ndarray:
    """One base-``base`` integer for each window of ``n`` consecutive ids (``len(ids) - n + 1`` windows)."""
    if base ** n >= 2**63:
        raise ValueError(f"{n}-grams over {base} symbols do not fit in a 64-bit code")
    ids = np.asarray(ids, dtype=np.int64)
    count = len(ids) - n + 1
    codes = np.zeros(max(count, 0), dtype=np.int64)
    for k in range(n):
        codes = codes * base + ids[k:k + count]
    return codes


def lookup(keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The values of ``queries`` among the sorted ``keys`` (0 where a query is not a key)."""
    if len(keys) == 0:
        return np.zeros(np.shape(queries), dtype=values.dtype)
    i = np.searchsorted(keys, queries).clip(max=len(keys) - 1)
    return np.where(keys[i] == queries, values[i], 0)


def count_of_counts_discount(counts: np.ndarray) -> float:
    """``n1 / (n1 + 2 n2)``: the absolute discount estimated from how many counts are 1 and 2.

    With no count of 1 the estimate would be 0, which leaves no probability for unseen tokens
    (their probability, and the loss of a text that holds one, would be 0 and infinite); 0.5
    stands in for it then.
    """
    n1, n2 = int(np.sum(counts == 1)), int(np.sum(counts == 2))
    return n1 / (n1 + 2 * n2) if n1 else 0.5


class KneserNey:
    """A character n-gram model with interpolated Kneser-Ney smoothing, one discount per order.

    ``ids`` are training token indices below ``vocab_size``. ``discounts`` (one per order, lowest
    first) default to the count-of-counts estimates. ``prob(codes)`` gives P(last token | the
    ``n - 1`` before it) for n-gram codes in base ``vocab_size + 1`` (the extra symbol,
    ``vocab_size``, stands for "before the text").
    """

    def __init__(self, ids: Sequence[int], n: int, vocab_size: int, discounts: Sequence[float] | None = None):
        ids = np.asarray(ids, dtype=np.int64)
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        if len(ids) < n:
            raise ValueError(f"{len(ids)} training tokens are too few for {n}-grams")
        if ids.min() < 0 or ids.max() >= vocab_size:
            raise ValueError(f"token ids must lie in 0..{vocab_size - 1}")
        self.n, self.vocab_size, self.base = n, vocab_size, vocab_size + 1
        grams, counts = np.unique(ngram_codes(ids, n, self.base), return_counts=True)  # raw counts at the top
        self.num_grams = len(grams)
        self.tables, estimated = [], []
        for k in range(n, 0, -1):
            estimated.insert(0, count_of_counts_discount(counts))
            contexts, which = np.unique(grams // self.base, return_inverse=True)
            self.tables.insert(0, (grams, counts, contexts, np.bincount(which, counts), np.bincount(which)))
            # continuation counts of the (k - 1)-grams: the number of distinct k-grams of the text ending with
            # each. Counted from the text, not from the k-grams that end an n-gram: those miss the text's first k-gram.
            distinct = grams if k == n else np.unique(ngram_codes(ids, k, self.base))  # the top order's are counted
            grams, counts = np.unique(distinct % self.base ** (k - 1), return_counts=True)
        self.discounts = list(estimated if discounts is None else discounts)
        if len(self.discounts) != n:
            raise ValueError(f"need {n} discounts, one per order, got {len(self.discounts)}")
        if not all(0 < D <= 1 for D in self.discounts):
            raise ValueError(f"discounts must lie in (0, 1] for the probabilities to sum to 1, got {self.discounts}")

    def prob(self, codes: np.ndarray) -> np.ndarray:
        """P(last token | context) for each n-gram code, from order 1 up."""
        p = np.full(np.shape(codes), 1.0 / self.vocab_size)  # below order 1: uniform over the vocabulary
        for k, ((grams, counts, contexts, totals, followers), D) in enumerate(zip(self.tables, self.discounts), 1):
            gram = codes % self.base**k  # the last k tokens
            count = lookup(grams, counts, gram)
            total = lookup(contexts, totals, gram // self.base)
            interpolated = (np.maximum(count - D, 0) + D * lookup(contexts, followers, gram // self.base) * p) \
                / np.maximum(total, 1)
            p = np.where(total > 0, interpolated, p)  # an unseen context passes the lower order on
        return p

    def scored_codes(self, ids: Sequence[int], first: int = 0) -> np.ndarray:
        """The code of the n-gram that ends at each of ``ids[first:]``, padded before the text."""
        padded = np.concatenate([np.full(self.n - 1, self.vocab_size, np.int64), np.asarray(ids, np.int64)])
        return ngram_codes(padded, self.n, self.base)[first:]

    def cross_entropy(self, ids: Sequence[int], first: int = 0) -> float:
        """Mean negative log-probability (nats) of ``ids[first:]``, each given the tokens before it."""
        return float(-np.mean(np.log(self.prob(self.scored_codes(ids, first)))))
