"""Kneser-Ney n-gram models: codes, lookups, discounts, proper distributions, input checks, and probabilities
checked by hand (unigram) and against a plain-Python reference implementation (bigram, trigram)."""

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from utils.ngrams import KneserNey, count_of_counts_discount, lookup, ngram_codes

RNG = np.random.default_rng(0)
TEXT = RNG.integers(0, 5, 2000)  # five symbols, no structure
SMALL = np.random.default_rng(1).integers(0, 5, 200)  # for the reference implementation below


def test_codes_are_base_b_numbers_of_each_window():
    assert ngram_codes(np.array([1, 2, 3, 0]), 2, 10).tolist() == [12, 23, 30]
    assert ngram_codes(np.array([1]), 2, 10).tolist() == []
    with pytest.raises(ValueError):
        ngram_codes(np.array([1, 2]), 12, 66)  # 66**12 does not fit in int64


def test_lookup_returns_zero_for_missing_keys():
    keys, values = np.array([2, 5, 9]), np.array([20, 50, 90])
    assert lookup(keys, values, np.array([9, 1, 5, 10])).tolist() == [90, 0, 50, 0]
    assert lookup(keys[:0], values[:0], np.array([3])).tolist() == [0]


def test_count_of_counts_discount_is_n1_over_n1_plus_2n2_else_one_half():
    assert count_of_counts_discount(np.array([1, 1, 1, 2, 5])) == pytest.approx(3 / (3 + 2 * 1))
    assert count_of_counts_discount(np.array([4, 1, 2, 2, 1, 3])) == pytest.approx(2 / (2 + 2 * 2))
    assert count_of_counts_discount(np.array([1, 3, 4])) == 1.0  # no count of 2
    assert count_of_counts_discount(np.array([2, 2, 3])) == 0.5  # no count of 1: the fallback
    assert count_of_counts_discount(np.array([], dtype=np.int64)) == 0.5


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_every_context_seen_or_unseen_gives_a_distribution(n):
    model = KneserNey(TEXT, n, 5)
    contexts = np.arange(model.base ** (n - 1))  # every context of n - 1 symbols, padding included
    probs = model.prob(contexts[:, None] * model.base + np.arange(5))
    assert np.all(probs > 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)


def test_unigram_by_hand():
    ids = np.array([0, 0, 0, 1, 1, 2])  # counts 3, 2, 1 over a vocabulary of 4
    model = KneserNey(ids, 1, 4, discounts=[0.5])
    expected = np.array([(3 - 0.5) + 0.5 * 3 / 4, (2 - 0.5) + 0.5 * 3 / 4, (1 - 0.5) + 0.5 * 3 / 4,
                         0.5 * 3 / 4]) / 6
    np.testing.assert_allclose(model.prob(np.arange(4)), expected)
    assert model.cross_entropy([0, 3]) == pytest.approx(-np.mean(np.log(expected[[0, 3]])))


def reference_tables(ids, n):
    """Order k -> Counter of k-gram tuples: raw counts at the top order, below it the number of distinct
    symbols seen just before the k-gram in the text (its continuation count)."""
    ids = [int(i) for i in ids]
    raw = {k: Counter(tuple(ids[i:i + k]) for i in range(len(ids) - k + 1)) for k in range(1, n + 1)}
    return {k: raw[n] if k == n else Counter(gram[1:] for gram in raw[k + 1]) for k in range(1, n + 1)}


def reference_discounts(tables):
    discounts = []
    for k in sorted(tables):
        n1 = sum(1 for c in tables[k].values() if c == 1)
        n2 = sum(1 for c in tables[k].values() if c == 2)
        discounts.append(n1 / (n1 + 2 * n2) if n1 else 0.5)
    return discounts


def reference_prob(tables, vocab_size, discounts, context, token):
    """Interpolated Kneser-Ney P(token | context), from the uniform distribution up to order len(tables)."""
    p = 1 / vocab_size
    for k, D in enumerate(discounts, 1):
        h = tuple(context[len(context) - (k - 1):]) if k > 1 else ()
        followers = {gram[-1]: c for gram, c in tables[k].items() if gram[:-1] == h}
        total = sum(followers.values())
        if total > 0:  # an unseen context passes the lower order on
            p = max(followers.get(token, 0) - D, 0) / total + D * len(followers) / total * p
    return p


def queries(vocab_size, n):
    """Every (context, token) pair, the context over the vocabulary and the padding symbol, with its code."""
    for context in itertools.product(range(vocab_size + 1), repeat=n - 1):
        for token in range(vocab_size):
            yield context, token, sum(s * (vocab_size + 1) ** i for i, s in enumerate(reversed(context + (token,))))


@pytest.mark.parametrize("given", [[0.4, 0.7, 1.0], None], ids=["given-discounts", "estimated-discounts"])
@pytest.mark.parametrize("n", [2, 3])
def test_matches_a_plain_python_reference_for_every_context_and_token(n, given):
    # The first (n - 1)-gram recurs later in SMALL, so the text's start plays no part (see the test below).
    assert any(tuple(SMALL[i:i + n - 1]) == tuple(SMALL[:n - 1]) for i in range(1, len(SMALL) - n + 2))
    tables = reference_tables(SMALL, n)
    discounts = given[:n] if given else reference_discounts(tables)
    model = KneserNey(SMALL, n, 5, discounts=given[:n] if given else None)
    assert model.discounts == pytest.approx(discounts, abs=1e-15)
    context_seen = []
    for context, token, code in queries(5, n):
        expected = reference_prob(tables, 5, discounts, context, token)
        assert model.prob(np.array([code]))[0] == pytest.approx(expected, rel=0, abs=1e-12), (context, token)
        context_seen.append(tables[n][context + (token,)] > 0)
    assert any(context_seen) and not all(context_seen)


def test_continuation_counts_include_the_left_extension_at_the_start_of_the_text():
    ids = [0, 1, 2, 0, 2, 1, 2]  # the bigram 0 1 only at the start: 1 follows 0 and 2, so N1+(. 1) = 2
    model = KneserNey(ids, 3, 3, discounts=[0.5] * 3)
    tables = reference_tables(ids, 3)
    assert tables[1] == {(0,): 1, (1,): 2, (2,): 2}
    pad = 3  # an all-padding context is unseen: P = the unigram level, (2 - 0.5) / 5 + 0.5 * 3 / 5 / 3 = 0.4
    assert model.prob(np.array([(pad * 4 + pad) * 4 + 1]))[0] == pytest.approx(0.4)


def test_longer_contexts_help_on_repetitive_text():
    ids = np.tile([0, 1, 2, 3, 4], 200)
    losses = [KneserNey(ids, n, 5).cross_entropy(ids[:100], first=5) for n in (1, 2)]
    assert losses[0] == pytest.approx(math.log(5), rel=0.01)
    assert losses[1] < 0.1


@pytest.mark.parametrize("ids, n, discounts, message", [
    (TEXT, 2, [0.5, 0.0], r"discounts must lie in \(0, 1\]"),
    (TEXT, 2, [1.5, 0.5], r"discounts must lie in \(0, 1\]"),
    (TEXT, 2, [0.5], "need 2 discounts, one per order, got 1"),
    (TEXT, 2, [0.5] * 3, "need 2 discounts, one per order, got 3"),
    ([0, 7], 1, None, r"token ids must lie in 0\.\.4"),
    ([0, -1], 1, None, r"token ids must lie in 0\.\.4"),
    ([0, 1], 0, None, "n must be at least 1, got 0"),
    ([0, 1], 3, None, "2 training tokens are too few for 3-grams"),
], ids=["discount-0", "discount-above-1", "too-few-discounts", "too-many-discounts", "id-too-large",
        "id-negative", "n-0", "text-shorter-than-n"])
def test_rejects_bad_input_with_a_helpful_message(ids, n, discounts, message):
    with pytest.raises(ValueError, match=message):
        KneserNey(ids, n, 5, discounts=discounts)
