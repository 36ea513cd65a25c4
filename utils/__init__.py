"""The course's helper package: small modules, one concern each.

=========================  =============================================================  ==========
module                     concern                                                        chapter
=========================  =============================================================  ==========
``course``                 the repository URL, Colab badge, setup cell, check cells       00
``data``                   download, verify, cache and extract the data sets              00
``repro``                  seeding and the environment report                             00
``plotting``               the course's plot style and the live training plot             00
``claims``                 checking numbers quoted in the prose                           00
``text``                   preprocessing, tokenisation, ``Vocab``, the standard split     02
``metrics``                perplexity, MAE, MSE                                           01, 03
``series``                 ridership data, date split, lagged windows, baselines          01, 06
``batching``               minibatches of a token stream; the validation rows             03
``leaderboard``            the running leaderboard of language models                     03
``ngrams``                 Kneser-Ney character n-gram models (a baseline)                03, 12, 14
``cells``                  recurrent cells: RNN, LSTM, GRU                                05, 09, 10
``recurrence``             a cell over time: scan, masks, reversal, stacks                05, 12, 13
``models``                 the from-scratch language model                                05
``training``               the compiled trainer, recipes, Keras callbacks                 05, 06
``decoding``               greedy, sampled and batched generation                         05, 08
``cache``                  trained models kept between chapters                           09
``speed``                  training throughput: compiled, eager, Keras                    06, 20, A1
``translation``            English-French pairs: cleaning, split, vocabularies, arrays    15
``seq2seq``                encoder-decoder interfaces, the GRU seq2seq model, its recipe  16, 17, A1
``bleu``                   BLEU from its definition; the paired bootstrap                 17, 18, 19
``beam_search``            beam search for a batch; log-probabilities of given outputs    18, 19
``translation_baselines``  word-by-word dictionary and retrieval translators              17
``attention``              additive attention; the GRU decoder that attends               19
``linear_rnn``             linear recurrences, parallel scans, minGRU                     20
=========================  =============================================================  ==========
"""

import os
import sys


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up banner (oneDNN, CUDA probing) silenced.

    Those lines are written to file descriptor 2 before TF_CPP_MIN_LOG_LEVEL takes effect
    and would otherwise clutter the first output of every chapter. Python-level errors
    still surface as usual.
    """
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()

from utils.claims import check_claim  # noqa: E402
from utils.repro import env_report, seed_everything  # noqa: E402

__all__ = ["check_claim", "env_report", "seed_everything"]
