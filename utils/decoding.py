"""Turn a model's next-token scores into text (greedy and sampled: chapter 05; more in 08).

``generate`` continues one prefix with a language model. ``decode`` runs any step function
(a language model, or the decoder of an encoder-decoder, Part IV) on a whole batch at once,
greedily or by sampling, until every row has produced the end token or ``max_len`` tokens.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def token_distribution(logits, temperature: float = 1.0, top_k: int | None = None, banned=None) -> np.ndarray:
    """The probabilities that sampling draws from: ``softmax(logits / temperature)``.

    Works on one vector of logits or on a batch (one row each). ``top_k`` keeps only the
    ``top_k`` most likely tokens of each row; ``banned`` lists token ids that get probability 0.
    """
    if temperature <= 0:
        raise ValueError("temperature must be positive; use strategy='greedy' for temperature 0")
    scaled = np.array(logits, dtype=np.float64) / temperature
    if banned is not None:
        scaled[..., banned] = -np.inf
    if top_k is not None:
        cutoff = np.sort(scaled, axis=-1)[..., -top_k, None]
        scaled = np.where(scaled >= cutoff, scaled, -np.inf)
    probs = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return probs / probs.sum(axis=-1, keepdims=True)


def choose_token(logits, strategy: str = "greedy", temperature: float = 1.0, top_k: int | None = None,
                 rng: np.random.Generator | None = None) -> int:
    """Pick the next token from a vector of ``logits``.

    ``"greedy"`` takes the most likely token; ``"sample"`` draws from
    ``token_distribution(logits, temperature, top_k)``.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if strategy == "greedy":
        return int(np.argmax(logits))
    if strategy != "sample":
        raise ValueError(f"strategy must be 'greedy' or 'sample', not {strategy!r}")
    probs = token_distribution(logits, temperature, top_k)
    rng = rng or np.random.default_rng()
    return int(rng.choice(len(probs), p=probs))


def choose_tokens(logits, temperature: float = 1.0, top_k: int | None = None, banned=None,
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """Sample one token per row of a ``(batch, vocab)`` array of logits (chapter 08).

    One uniform number per row is compared with the row's cumulative probabilities, so a
    whole batch of sequences advances by one step with one call.
    """
    probs = token_distribution(logits, temperature, top_k, banned)
    if probs.ndim != 2:
        raise ValueError(f"expected logits of shape (batch, vocab), got {probs.shape}")
    rng = rng or np.random.default_rng()
    return (probs.cumsum(axis=1) > rng.random((len(probs), 1))).argmax(axis=1)


def generate(model, vocab, prefix: str, num_tokens: int, **choose_kwargs) -> str:
    """Warm the model up on ``prefix``, then extend it by ``num_tokens`` characters.

    ``model(X, state) -> (logits, state)`` with ``model.begin_state(batch_size)``, the
    interface of the course's from-scratch models. Extra arguments go to ``choose_token``.
    """
    if not prefix:
        raise ValueError("generation needs a non-empty prefix to warm the state up")
    state = model.begin_state(1)
    logits, state = model(tf.constant([vocab[list(prefix)]]), state)
    out = list(prefix)
    for _ in range(num_tokens):
        token = choose_token(logits[0, -1].numpy(), **choose_kwargs)
        out.append(vocab.to_tokens(token))
        logits, state = model(tf.constant([[token]]), state)
    return "".join(out)


def decode(step, state, first_tokens, max_len: int, eos: int | None = None, strategy: str = "greedy",
           temperature: float = 1.0, top_k: int | None = None, banned=None,
           rng: np.random.Generator | None = None) -> list[list[int]]:
    """Decode a batch: ``step(tokens, state) -> (logits, state)`` with ``tokens`` of shape ``(batch,)``.

    Starts from ``first_tokens`` (one per row, for example ``<bos>``) and ``state``. Each row
    stops at its first ``eos`` (not included in the result) or after ``max_len`` tokens; the
    loop ends as soon as every row has stopped. ``strategy`` is ``"greedy"`` or ``"sample"``
    (with ``temperature``, ``top_k`` and ``banned`` as in ``token_distribution``).
    """
    if strategy not in ("greedy", "sample"):
        raise ValueError(f"strategy must be 'greedy' or 'sample', not {strategy!r}")
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    tokens = np.asarray(first_tokens, dtype=np.int32)
    rng = rng or np.random.default_rng()
    done = np.zeros(len(tokens), bool)
    rows = [[] for _ in tokens]
    for _ in range(max_len):
        logits, state = step(tf.constant(tokens), state)
        logits = np.asarray(logits)
        if strategy == "greedy":
            if banned is not None:
                logits = logits.copy()
                logits[:, banned] = -np.inf
            tokens = logits.argmax(axis=1).astype(np.int32)
        else:
            tokens = choose_tokens(logits, temperature, top_k, banned, rng).astype(np.int32)
        for row, token, finished in zip(rows, tokens, done):
            if not finished and token != eos:
                row.append(int(token))
        if eos is not None:
            done |= tokens == eos
            if done.all():
                break
    return rows
