"""Turn a model's next-token scores into text (greedy and sampled: chapter 05; more in 08)."""

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
