"""Retrain chapter 20's two language models with other seeds: the spread that chapter 20 quotes.

Usage: python ci/seed_spread.py [SEED ...]      (default: seeds 1 and 2; about four minutes per seed on 2 cores)

Chapter 12's deep GRU and chapter 20's minGRU, each with its chapter's settings and chapter 12's recipe; the
seed sets the initial weights, the order of the batches and the global seed (which the GRU's dropout draws
from). Prints the validation perplexity under the leaderboard's protocol and the training time.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import utils  # noqa: E402
from utils import text, training  # noqa: E402
from utils.linear_rnn import MinGRULanguageModel  # noqa: E402
from utils.models import LanguageModel  # noqa: E402

MODELS = {
    "deep GRU, 2 x 256, dropout 0.2 (chapter 12)":
        lambda vocab_size, seed: LanguageModel(vocab_size, 256, cell="gru", num_layers=2, dropout=0.2, seed=seed),
    "minGRU, 3 blocks of 192, feed-forward 320 (chapter 20)":
        lambda vocab_size, seed: MinGRULanguageModel(vocab_size, 192, num_layers=3, ffn_units=320, seed=seed),
}


def main(seeds: list[int]) -> None:
    train_ids, valid_ids, vocab = text.time_machine_corpus()
    for seed in seeds:
        for name, make in MODELS.items():
            utils.seed_everything(seed)
            recipe = training.Recipe(epochs=10, batch_size=32, num_steps=64, optimizer="adam", learning_rate=0.006,
                                     cosine_decay=True, clip_norm=1.0, seed=seed)
            history = training.fit_language_model(make(len(vocab), seed), recipe, train_ids, valid_ids,
                                                  plot=False).history
            print(f"seed {seed}: {name}: validation perplexity {history.valid_ppl[-1]:.3f} "
                  f"({history.seconds[-1]:.0f} s)", flush=True)


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]] or [1, 2])
