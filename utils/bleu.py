"""BLEU, from its definition (Papineni et al., 2002), taught in chapter 17 and used in 18-20.

A translation is scored against one or more references by its *clipped n-gram precisions*
for n = 1..4: each n-gram of the candidate counts at most as often as it occurs in the
reference where it occurs most. Counts are summed over the whole test set (corpus BLEU),
the four precisions are combined by a geometric mean, and a *brevity penalty* punishes a
candidate text shorter than its references:

    BLEU = BP * exp(sum_n log(p_n) / 4),   BP = min(1, exp(1 - r / c)),

with c the total candidate length and r the total length of the references closest in
length to each candidate. Scores are reported on a 0-100 scale, as sacrebleu does.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np


def ngram_counts(tokens: Sequence[str], n: int) -> Counter:
    """How often each n-gram (a tuple of ``n`` tokens) occurs in ``tokens``."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def clipped_matches(candidate: Sequence[str], references: Sequence[Sequence[str]], n: int) -> tuple[int, int]:
    """``(matches, total)``: n-grams of the candidate, each counted at most as often as in any one reference."""
    counts = ngram_counts(candidate, n)
    most = Counter()
    for reference in references:
        most |= ngram_counts(reference, n)  # elementwise maximum over the references
    return sum(min(c, most[g]) for g, c in counts.items()), max(len(candidate) - n + 1, 0)


def closest_length(candidate: Sequence[str], references: Sequence[Sequence[str]]) -> int:
    """The length of the reference closest in length to the candidate (the shorter one on a tie)."""
    return min((abs(len(r) - len(candidate)), len(r)) for r in references)[1]


def corpus_bleu(candidates: Sequence[Sequence[str]], references: Sequence[Sequence[Sequence[str]]],
                max_n: int = 4) -> dict:
    """Corpus BLEU of tokenised ``candidates``, each with a list of tokenised references.

    Returns ``{"bleu", "precisions", "brevity_penalty", "candidate_length", "reference_length"}``;
    ``bleu`` and the precisions are percentages. A zero precision gives a BLEU of 0 (no smoothing).
    """
    if len(candidates) != len(references):
        raise ValueError(f"{len(candidates)} candidates but {len(references)} lists of references")
    if any(len(refs) == 0 for refs in references):
        raise ValueError("every candidate needs at least one reference")
    matches, totals = [0] * max_n, [0] * max_n
    c = r = 0
    for candidate, refs in zip(candidates, references):
        c += len(candidate)
        r += closest_length(candidate, refs)
        for n in range(1, max_n + 1):
            m, t = clipped_matches(candidate, refs, n)
            matches[n - 1] += m
            totals[n - 1] += t
    precisions = [100.0 * m / t if t else 0.0 for m, t in zip(matches, totals)]
    brevity = 1.0 if c > r else (math.exp(1 - r / c) if c else 0.0)
    if min(matches) == 0:
        bleu = 0.0
    else:
        bleu = 100.0 * brevity * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n)
    return {"bleu": bleu, "precisions": precisions, "brevity_penalty": brevity,
            "candidate_length": c, "reference_length": r}


def paired_bootstrap(candidates_a, candidates_b, references, samples: int = 1000, seed: int = 0,
                     max_n: int = 4) -> np.ndarray:
    """BLEU of system B minus BLEU of system A on ``samples`` resamplings of the test sentences (chapter 18).

    Each resampling draws as many sentences as the test set holds, with replacement, and scores both systems on
    the same draw (Koehn, 2004). The spread of the differences shows how much of a gap the choice of test
    sentences alone could produce; the share of differences above 0 is how often B wins.
    """
    if not len(candidates_a) == len(candidates_b) == len(references):
        raise ValueError("both systems need one candidate per list of references")

    def statistics(candidates):  # per sentence: matches and totals for n = 1..max_n, candidate and reference length
        rows = []
        for candidate, refs in zip(candidates, references):
            counts = [clipped_matches(candidate, refs, n) for n in range(1, max_n + 1)]
            lengths = [len(candidate), closest_length(candidate, refs)]
            rows.append([m for m, _ in counts] + [t for _, t in counts] + lengths)
        return np.array(rows, float)

    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(references), (samples, len(references)))
    scores = []
    for stats in (statistics(candidates_a), statistics(candidates_b)):
        sums = stats[draws].sum(axis=1)  # (samples, 2 * max_n + 2)
        matches, totals, c, r = sums[:, :max_n], sums[:, max_n : 2 * max_n], sums[:, -2], sums[:, -1]
        with np.errstate(divide="ignore"):
            log_precision = np.log(matches / np.maximum(totals, 1)).mean(axis=1)
        brevity = np.where(c > r, 1.0, np.exp(1 - r / np.maximum(c, 1)))
        scores.append(100 * brevity * np.exp(log_precision))
    return scores[1] - scores[0]
