"""Cut a long token stream into minibatches of ``num_steps`` tokens (taught in chapter 03).

Both functions return a ``tf.data.Dataset`` of ``(X, Y)`` pairs of shape
``(batch_size, num_steps)``, where ``Y`` is ``X`` shifted one token to the left.

* ``random_batches``: subsequences start at a random offset and come in random order;
  neighbouring batches are unrelated, so a model must start each batch from a fresh state.
* ``sequential_batches``: the stream is cut into ``batch_size`` long rows, and batch
  ``i + 1`` continues row by row where batch ``i`` stopped, so a model can carry its
  hidden state across batches.

Each new pass over a dataset (each epoch) draws a new offset and, for random sampling,
a new order; with a ``seed`` the whole sequence of epochs is reproducible.

``validation_rows`` lays out held-out text for the leaderboard's protocol (chapter 03): a few
long rows that a recurrent model reads with its state carried, so that every scored token is
predicted from everything before it in its row. It never changes from one epoch to the next.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf


def _check(corpus: Sequence[int], batch_size: int, num_steps: int) -> np.ndarray:
    tokens = np.asarray(corpus, dtype=np.int32)
    if tokens.ndim != 1 or len(tokens) == 0:
        raise ValueError("the corpus is empty: pass a non-empty 1-D sequence of token indices")
    if batch_size < 1 or num_steps < 1:
        raise ValueError(f"batch_size and num_steps must be positive, got {batch_size} and {num_steps}")
    # The worst offset is num_steps - 1; it must still leave one full batch plus a target.
    needed = batch_size * num_steps + num_steps
    if len(tokens) < needed:
        raise ValueError(
            f"the corpus has {len(tokens)} tokens, too few for one batch of {batch_size} x "
            f"{num_steps} at every offset (needs {needed}); use a smaller batch_size or num_steps"
        )
    return tokens


def _epoch_randomness(seed: int | None) -> tf.data.Dataset:
    """Three random int64s per pass over the data; new ones each time the dataset is iterated."""
    return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(3).take(1)


def random_batches(corpus: Sequence[int], batch_size: int, num_steps: int, seed: int | None = None):
    """Random sampling: shuffled, non-overlapping subsequences from a random offset."""
    tokens = tf.constant(_check(corpus, batch_size, num_steps))
    num_subseqs = (len(corpus) - num_steps) // num_steps  # the same count at every offset
    num_batches = num_subseqs // batch_size
    window = tf.range(num_steps + 1)  # a subsequence and, one further on, its last target

    def batches(rand):
        offset = tf.cast(rand[0] % num_steps, tf.int32)
        starts = offset + num_steps * tf.range(num_subseqs, dtype=tf.int32)
        starts = tf.random.experimental.stateless_shuffle(starts, seed=rand[1:])
        starts = tf.reshape(starts[: num_batches * batch_size], (num_batches, batch_size))

        def batch(batch_starts):  # one gather per batch, not one slice per subsequence
            windows = tf.gather(tokens, batch_starts[:, None] + window)
            return (tf.ensure_shape(windows[:, :-1], (batch_size, num_steps)),
                    tf.ensure_shape(windows[:, 1:], (batch_size, num_steps)))

        return tf.data.Dataset.from_tensor_slices(starts).map(batch)

    dataset = _epoch_randomness(seed).flat_map(batches)
    # flat_map hides the length; stating it lets model.fit show progress and plan epochs.
    return dataset.apply(tf.data.experimental.assert_cardinality(num_batches)).prefetch(tf.data.AUTOTUNE)


def sequential_batches(corpus: Sequence[int], batch_size: int, num_steps: int, seed: int | None = None):
    """Sequential partitioning: batch ``i + 1`` continues each row of batch ``i``."""
    tokens = tf.constant(_check(corpus, batch_size, num_steps))
    row_length = ((len(corpus) - num_steps) // (batch_size * num_steps)) * num_steps
    num_batches = row_length // num_steps

    def batches(rand):
        offset = tf.cast(rand[0] % num_steps, tf.int32)
        xs = tf.reshape(tokens[offset : offset + batch_size * row_length], (batch_size, row_length))
        ys = tf.reshape(tokens[offset + 1 : offset + 1 + batch_size * row_length], (batch_size, row_length))
        starts = tf.data.Dataset.range(num_batches).map(lambda i: tf.cast(i, tf.int32) * num_steps)
        shape = (batch_size, num_steps)  # static, so that Keras can unroll and tf.function traces once
        return starts.map(lambda s: (tf.ensure_shape(xs[:, s : s + num_steps], shape),
                                     tf.ensure_shape(ys[:, s : s + num_steps], shape)))

    dataset = _epoch_randomness(seed).flat_map(batches)
    return dataset.apply(tf.data.experimental.assert_cardinality(num_batches)).prefetch(tf.data.AUTOTUNE)


def num_batches(dataset: tf.data.Dataset) -> int:
    """How many batches one pass over ``dataset`` yields."""
    return int(dataset.cardinality())


def validation_rows(corpus: Sequence[int], num_rows: int = 8, first: int = 4, warmup: int = 64):
    """The leaderboard's validation data: one batch ``(X, Y, mask)`` of ``num_rows`` long rows.

    The scored targets are ``corpus[first:]`` (the n-gram models of chapter 03 score exactly
    these: from the fifth character on, each has four characters of context). They are cut
    into ``num_rows`` contiguous pieces of equal length. Each row starts ``warmup`` tokens
    before its piece; those tokens are read (so the state has context) but not scored
    (``mask`` 0), and so is the padding that evens out the last row. A model reads the rows
    from a zero state in one call, or window by window with its state carried.
    """
    tokens = np.asarray(corpus, dtype=np.int32)
    if tokens.ndim != 1 or len(tokens) <= first + num_rows:
        raise ValueError(f"the corpus has {len(tokens)} tokens, too few for {num_rows} rows after token {first}")
    piece = -(-(len(tokens) - first) // num_rows)  # ceiling division
    length = warmup + piece
    X = np.zeros((num_rows, length), np.int32)
    Y = np.zeros((num_rows, length), np.int32)
    mask = np.zeros((num_rows, length), np.float32)
    for row in range(num_rows):
        begin, end = first + row * piece, min(first + (row + 1) * piece, len(tokens))
        targets = np.arange(max(1, begin - warmup), end)  # positions of the targets in this row
        X[row, : len(targets)], Y[row, : len(targets)] = tokens[targets - 1], tokens[targets]
        mask[row, : len(targets)] = targets >= begin
    return tf.data.Dataset.from_tensors((tf.constant(X), tf.constant(Y), tf.constant(mask)))
