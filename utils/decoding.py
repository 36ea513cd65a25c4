"""Turn a model's next-token scores into text (greedy and sampled: chapter 05; more in 08)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def choose_token(logits, strategy: str = "greedy", temperature: float = 1.0, top_k: int | None = None,
                 rng: np.random.Generator | None = None) -> int:
    """Pick the next token from a vector of ``logits``.

    ``"greedy"`` takes the most likely token; ``"sample"`` draws from the softmax of
    ``logits / temperature``, restricted to the ``top_k`` most likely tokens if given.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if strategy == "greedy":
        return int(np.argmax(logits))
    if strategy != "sample":
        raise ValueError(f"strategy must be 'greedy' or 'sample', not {strategy!r}")
    if temperature <= 0:
        raise ValueError("temperature must be positive; use strategy='greedy' for temperature 0")
    scaled = logits / temperature
    if top_k is not None:
        cutoff = np.sort(scaled)[-top_k]
        scaled = np.where(scaled >= cutoff, scaled, -np.inf)
    probs = np.exp(scaled - scaled.max())
    probs /= probs.sum()
    rng = rng or np.random.default_rng()
    return int(rng.choice(len(probs), p=probs))


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
