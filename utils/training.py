"""Training loops and Keras callbacks for language models (taught in chapters 05 and 06).

``Trainer`` trains a from-scratch model: any object with ``trainable_variables``, a
``begin_state(batch_size)`` method and a call ``model(X, state) -> (logits, state)``.
Its step runs compiled under ``tf.function``, clips gradients by their global norm and
records perplexity. ``PerplexityPlot`` and ``TimeBudget`` give ``model.fit`` the same
reporting and the same time limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import tensorflow as tf

from utils.metrics import perplexity
from utils.plotting import LivePlot


@dataclass
class History:
    """What a training run measured, one entry per epoch."""

    epoch: list[int] = field(default_factory=list)
    train_ppl: list[float] = field(default_factory=list)
    valid_ppl: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    step_grad_norms: list[float] = field(default_factory=list)  # one per update, before clipping
    seconds: list[float] = field(default_factory=list)
    tokens: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds[-1] if self.seconds else float("nan")


def sequence_loss(logits: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """Mean cross-entropy over every token of a ``(batch, steps, vocab)`` prediction."""
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(targets, tf.int32), logits=logits)
    return tf.reduce_mean(losses)


class Trainer:
    """Train a from-scratch sequence model with a compiled step and global-norm clipping.

    ``clip_norm=None`` turns clipping off. With ``carry_state=True`` (for sequential
    batches) the hidden state flows from one batch to the next, with its gradient stopped
    at the batch boundary: truncated backpropagation through time.

    Subclasses can change how the logits are computed (``forward``) and what the gradient is
    taken of (``objective``); chapter 07 does both. ``input_signature`` (a list of three
    ``tf.TensorSpec`` for X, Y and the state) lets one trace serve windows of any length.
    """

    def __init__(self, model, optimizer=None, learning_rate: float = 1.0, clip_norm: float | None = 1.0,
                 input_signature=None):
        self.model = model
        self.optimizer = optimizer or keras.optimizers.SGD(learning_rate)
        self.clip_norm = clip_norm
        self.history = History()
        self._train_step = tf.function(self._step, input_signature=input_signature)
        self._eval_step = tf.function(self._evaluate_batch, input_signature=input_signature)

    def forward(self, X, state):
        """Logits and last state for a batch; by default the model's own call."""
        return self.model(X, state)

    def objective(self, loss, Y):
        """What the gradient is taken of; by default the mean token loss that is reported."""
        return loss

    def _step(self, X, Y, state):
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            logits, state = self.forward(X, state)
            loss = sequence_loss(logits, Y)
            objective = self.objective(loss, Y)
        grads = tape.gradient(objective, variables)
        norm = tf.linalg.global_norm(grads)
        if self.clip_norm is not None:
            grads, _ = tf.clip_by_global_norm(grads, self.clip_norm, use_norm=norm)
        self.optimizer.apply_gradients(zip(grads, variables))
        return loss, state, norm

    def _evaluate_batch(self, X, Y, state):
        logits, state = self.forward(X, state)
        return sequence_loss(logits, Y), state

    def _run(self, data, step, carry_state: bool):
        total, count, norms, state = 0.0, 0, [], None
        for X, Y in data:
            if state is None or not carry_state:
                state = self.model.begin_state(tf.shape(X)[0])
            out = step(X, Y, state)
            loss, state = out[0], tf.nest.map_structure(tf.stop_gradient, out[1])
            if len(out) > 2:
                norms.append(float(out[2]))
            total, count = total + float(loss) * int(tf.size(Y)), count + int(tf.size(Y))
        if count == 0:
            raise ValueError("the dataset yielded no batches")
        return total / count, count, norms

    def evaluate(self, data, carry_state: bool = False) -> float:
        """Perplexity of the model on ``data``."""
        return perplexity(self._run(data, self._eval_step, carry_state)[0])

    def fit(self, train_data, epochs: int, valid_data=None, carry_state: bool = False,
            time_budget: float | None = None, plot: bool | LivePlot = True) -> History:
        """Train for ``epochs`` (or until ``time_budget`` seconds have passed) and return the history."""
        live = plot if isinstance(plot, LivePlot) else None
        if plot is True:
            live = LivePlot(("train_ppl", "valid_ppl"), expected=epochs)
        start = time.perf_counter() - (self.history.seconds[-1] if self.history.seconds else 0.0)
        first_epoch = len(self.history.epoch) + 1
        for epoch in range(first_epoch, first_epoch + epochs):
            loss, tokens, norms = self._run(train_data, self._train_step, carry_state)
            h = self.history
            h.epoch.append(epoch)
            h.train_ppl.append(perplexity(loss))
            h.grad_norm.append(sum(norms) / len(norms))
            h.step_grad_norms += norms
            h.tokens += tokens
            if valid_data is not None:
                h.valid_ppl.append(self.evaluate(valid_data, carry_state))
            h.seconds.append(time.perf_counter() - start)
            if live is not None:
                values = {"train_ppl": h.train_ppl[-1]}
                if valid_data is not None:
                    values["valid_ppl"] = h.valid_ppl[-1]
                live.update(epoch, **values)
            if time_budget is not None and h.seconds[-1] >= time_budget:
                break
        if live is not None:
            live.close()
        return self.history


class PerplexityPlot(keras.callbacks.Callback):
    """Report train and validation perplexity of ``model.fit`` on a :class:`LivePlot`.

    It assumes the model's loss is the mean token cross-entropy, so perplexity is
    ``exp(loss)``. The values are also kept in ``self.train_ppl`` and ``self.valid_ppl``.
    """

    def __init__(self, epochs: int | None = None):
        super().__init__()
        self.epochs = epochs
        self.train_ppl: list[float] = []
        self.valid_ppl: list[float] = []

    def on_train_begin(self, logs=None):
        self.live = LivePlot(("train_ppl", "valid_ppl"), expected=self.epochs)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        values = {"train_ppl": perplexity(logs["loss"])}
        self.train_ppl.append(values["train_ppl"])
        if "val_loss" in logs:
            values["valid_ppl"] = perplexity(logs["val_loss"])
            self.valid_ppl.append(values["valid_ppl"])
        self.live.update(epoch + 1, **values)

    def on_train_end(self, logs=None):
        self.live.close()


class TimeBudget(keras.callbacks.Callback):
    """Stop ``model.fit`` at the end of the first epoch that ends after ``seconds``."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.start >= self.seconds:
            self.model.stop_training = True
