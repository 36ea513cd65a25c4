"""BLEU from its definition, checked on hand-worked cases and against sacrebleu."""

import math

import numpy as np
import pytest
import sacrebleu

from utils import bleu


def test_clipping_counts_each_ngram_at_most_as_often_as_in_a_reference():
    # the classic example: "the" seven times against a reference with "the" twice
    matches, total = bleu.clipped_matches("the the the the the the the".split(), ["the cat is on the mat".split()], 1)
    assert (matches, total) == (2, 7)
    matches, _ = bleu.clipped_matches("the the the".split(), ["the cat".split(), "the the mat".split()], 1)
    assert matches == 2  # the reference where it occurs most


def test_perfect_translation_scores_100_and_brevity_penalty_bites():
    sentence = "le chat est sur le tapis".split()
    assert bleu.corpus_bleu([sentence], [[sentence]])["bleu"] == pytest.approx(100.0)
    short = bleu.corpus_bleu([sentence[:4]], [[sentence]])
    assert short["brevity_penalty"] == pytest.approx(math.exp(1 - 6 / 4))
    assert bleu.closest_length(sentence[:4], [sentence, sentence[:3], sentence[:5]]) == 3  # tie: the shorter


def test_agrees_with_sacrebleu_on_random_corpora_with_several_references():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(12)]
    candidates, references = [], []
    for _ in range(200):
        ref = list(rng.choice(words, rng.integers(3, 12)))
        refs = [ref] + [list(rng.choice(words, rng.integers(3, 12))) for _ in range(rng.integers(0, 3))]
        candidate = [w if rng.random() < 0.7 else str(rng.choice(words)) for w in ref[: rng.integers(2, len(ref) + 2)]]
        candidates.append(candidate)
        references.append(refs)
    ours = bleu.corpus_bleu(candidates, references)
    max_refs = max(len(r) for r in references)
    ref_streams = [[" ".join(r[k]) if k < len(r) else None for r in references] for k in range(max_refs)]
    theirs = sacrebleu.corpus_bleu([" ".join(c) for c in candidates], ref_streams, tokenize="none")
    assert ours["bleu"] == pytest.approx(theirs.score, abs=1e-9)
    assert ours["precisions"] == pytest.approx(theirs.precisions, abs=1e-9)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="candidates"):
        bleu.corpus_bleu([["a"]], [])
    with pytest.raises(ValueError, match="reference"):
        bleu.corpus_bleu([["a"]], [[]])


def test_paired_bootstrap_is_zero_for_one_system_and_centred_on_the_corpus_difference():
    rng = np.random.default_rng(0)
    words = list("abcdefgh")
    references = [[list(rng.choice(words, 6))] for _ in range(200)]
    good = [refs[0][:5] + ["z"] for refs in references]
    poor = [[w if rng.random() < 0.5 else "z" for w in refs[0]] for refs in references]
    assert np.all(bleu.paired_bootstrap(poor, poor, references, samples=50) == 0)
    differences = bleu.paired_bootstrap(poor, good, references, samples=300)
    corpus = bleu.corpus_bleu(good, references)["bleu"] - bleu.corpus_bleu(poor, references)["bleu"]
    assert (differences > 0).all() and abs(np.median(differences) - corpus) < 2
    with pytest.raises(ValueError, match="one candidate"):
        bleu.paired_bootstrap(poor, good[:-1], references)
