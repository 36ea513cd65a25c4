"""Training loops and Keras callbacks for sequence models (taught in chapters 05 and 06).

``Trainer`` trains a from-scratch model: any object with ``trainable_variables``, a
``begin_state(batch_size)`` method and a call ``model(X, state, training=...) -> (logits, state)``.
Its step runs compiled under ``tf.function``: loss, gradient, optional clipping of the
gradient's global norm, update. Chapter 05 writes that step by hand before handing over.

Batches are ``(X, Y)`` or ``(X, Y, mask)``; with a mask (1 for real tokens, 0 for padding or
for tokens that are read but not scored) the loss is summed over the real tokens and divided
by their number. Losses and token counts are added up on the device and read once per epoch,
so the Python loop never waits for a step to finish. Evaluation has its own settings, so a
model trained on random windows is still scored under the leaderboard's protocol.

``Recipe`` and ``fit_language_model`` pack chapter 05's way of training a character language
model (random batches, an optimiser, the trainer, the leaderboard's validation rows), so that
later chapters can repeat a run exactly, or retrain a cached model (``utils.cache``).

``PerplexityPlot`` and ``TimeBudget`` give ``model.fit`` the same reporting and time limit.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import keras
import tensorflow as tf

from utils.batching import num_batches, random_batches, validation_rows
from utils.metrics import perplexity
from utils.plotting import LivePlot

PPL_LABELS = {"train_ppl": "training perplexity", "valid_ppl": "validation perplexity"}


@dataclass
class History:
    """What a training run measured, one entry per epoch."""

    epoch: list[int] = field(default_factory=list)
    train_ppl: list[float] = field(default_factory=list)
    valid_ppl: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)  # mean per epoch, before clipping
    step_grad_norms: list[float] = field(default_factory=list)  # one per update, before clipping
    seconds: list[float] = field(default_factory=list)  # since the start of training, at each epoch's end
    tokens: int = 0  # scored training tokens processed

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds[-1] if self.seconds else float("nan")


def token_losses(logits, targets) -> tf.Tensor:
    """Cross-entropy of every token: ``(batch, steps)`` from ``(batch, steps, vocab)`` logits."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(targets, tf.int32), logits=logits)


def masked_loss(logits, targets, mask=None) -> tuple[tf.Tensor, tf.Tensor]:
    """``(sum of the token losses where mask is 1, number of such tokens)``."""
    losses = token_losses(logits, targets)
    if mask is None:
        return tf.reduce_sum(losses), tf.cast(tf.size(losses), tf.float32)
    mask = tf.cast(mask, losses.dtype)
    return tf.reduce_sum(losses * mask), tf.reduce_sum(mask)


def sequence_loss(logits, targets, mask=None) -> tf.Tensor:
    """Mean cross-entropy per real token of a ``(batch, steps, vocab)`` prediction."""
    total, count = masked_loss(logits, targets, mask)
    return total / count


def _unpack(batch):
    if len(batch) == 3:
        return batch
    X, Y = batch
    return X, Y, tf.ones_like(Y, tf.float32)


class Trainer:
    """Train a from-scratch sequence model with a compiled step and global-norm clipping.

    ``clip_norm=None`` turns clipping off. With ``carry_state=True`` (for sequential batches)
    the hidden state flows from one batch to the next, with its gradient stopped at the batch
    boundary: truncated backpropagation through time (chapter 07).

    ``variable_length=True`` compiles the step once for windows of any length (the time
    dimension is left unknown, so the scan runs as a ``tf.while_loop``); chapter 07 needs it
    for windows of random length. Subclasses can change how the logits are computed
    (``forward``) and what the gradient is taken of (``objective``).
    """

    def __init__(self, model, optimizer=None, learning_rate: float = 1.0, clip_norm: float | None = 1.0,
                 variable_length: bool = False):
        self.model = model
        self.optimizer = optimizer or keras.optimizers.SGD(learning_rate)
        self.clip_norm = clip_norm
        self.history = History()
        signature = None
        if variable_length:
            tokens = tf.TensorSpec((None, None), tf.int32)
            state = tf.nest.map_structure(lambda s: tf.TensorSpec((None, *s.shape[1:]), s.dtype),
                                          model.begin_state(1))
            signature = [tokens, tokens, tf.TensorSpec((None, None), tf.float32), state]
        self._train_step = tf.function(self._step, input_signature=signature)
        self._eval_step = tf.function(self._evaluate_batch, input_signature=signature)
        self._zero_states = {}

    def forward(self, X, state, training: bool):
        """Logits and last state for a batch; by default the model's own call."""
        return self.model(X, state, training=training)

    def objective(self, loss_sum, count):
        """What the gradient is taken of; by default the mean loss per real token."""
        return loss_sum / count

    def _step(self, X, Y, mask, state):
        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            logits, state = self.forward(X, state, True)
            loss_sum, count = masked_loss(logits, Y, mask)
            objective = self.objective(loss_sum, count)
        grads = tape.gradient(objective, variables)
        norm = tf.linalg.global_norm(grads)
        if self.clip_norm is not None:
            grads, _ = tf.clip_by_global_norm(grads, self.clip_norm, use_norm=norm)
        self.optimizer.apply_gradients(zip(grads, variables))
        return loss_sum, count, state, norm

    def _evaluate_batch(self, X, Y, mask, state):
        logits, state = self.forward(X, state, False)
        loss_sum, count = masked_loss(logits, Y, mask)
        return loss_sum, count, state

    def train_step(self, X, Y, mask=None, state=None):
        """One compiled update on one batch: ``(loss sum, token count, last state, gradient norm)``."""
        mask = tf.ones_like(Y, tf.float32) if mask is None else tf.cast(mask, tf.float32)
        return self._train_step(X, Y, mask, self._zero_state(int(X.shape[0])) if state is None else state)

    def _zero_state(self, batch_size: int):
        if batch_size not in self._zero_states:
            self._zero_states[batch_size] = self.model.begin_state(batch_size)
        return self._zero_states[batch_size]

    def _run(self, data, step, carry_state: bool):
        total, count, norms, state = tf.constant(0.0), tf.constant(0.0), [], None
        for batch in data:
            X, Y, mask = _unpack(batch)
            if state is None or not carry_state:
                state = self._zero_state(int(X.shape[0]))
            out = step(X, Y, tf.cast(mask, tf.float32), state)
            total, count, state = total + out[0], count + out[1], out[2]
            if len(out) > 3:
                norms.append(out[3])
        count = float(count)
        if count == 0:
            raise ValueError("the dataset yielded no batches (or only padding)")
        return float(total) / count, int(count), tf.stack(norms).numpy().tolist() if norms else []

    def evaluate(self, data, carry_state: bool = True) -> float:
        """Perplexity on ``data``; with ``carry_state`` the state flows from batch to batch."""
        return perplexity(self._run(data, self._eval_step, carry_state)[0])

    def fit(self, train_data, epochs: int, valid_data=None, carry_state: bool = False,
            valid_carry_state: bool = True, time_budget: float | None = None,
            plot: bool | LivePlot = True, title: str = "") -> History:
        """Train for ``epochs`` (or until ``time_budget`` seconds have passed) and return the history.

        ``carry_state`` applies to the training batches, ``valid_carry_state`` to validation.
        ``title`` titles the live plot.
        """
        live = plot if isinstance(plot, LivePlot) else None
        if plot is True:
            live = LivePlot(("train_ppl", "valid_ppl"), expected=epochs, labels=PPL_LABELS, ylabel="perplexity",
                            title=title)
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
                h.valid_ppl.append(self.evaluate(valid_data, valid_carry_state))
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


@dataclass(frozen=True)
class Recipe:
    """How a character language model is trained: chapter 05's recipe and its Part III variants.

    ``optimizer`` is ``"sgd"`` or ``"adam"``; with ``cosine_decay`` the learning rate falls from
    ``learning_rate`` to 0 along a cosine over all updates. ``seed`` fixes the order of the batches.
    """

    epochs: int
    batch_size: int = 32
    num_steps: int = 32
    optimizer: str = "sgd"
    learning_rate: float = 1.0
    cosine_decay: bool = False
    clip_norm: float | None = 1.0
    seed: int = 0

    def settings(self) -> dict:
        return asdict(self)


def fit_language_model(model, recipe: Recipe, train_ids, valid_ids, plot: bool = True, title: str = "",
                       variable_length: bool = False) -> Trainer:
    """Train ``model`` by ``recipe`` on random batches of ``train_ids``, validating on the leaderboard's rows.

    ``variable_length`` goes to the :class:`Trainer`: the same computation, traced once as a loop
    rather than unrolled, which compiles faster and runs each step a little slower (chapter 12).
    """
    if recipe.optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', not {recipe.optimizer!r}")
    train_data = random_batches(train_ids, recipe.batch_size, recipe.num_steps, seed=recipe.seed)
    learning_rate = recipe.learning_rate
    if recipe.cosine_decay:
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, recipe.epochs * num_batches(train_data))
    optimizer = (keras.optimizers.SGD if recipe.optimizer == "sgd" else keras.optimizers.Adam)(learning_rate)
    trainer = Trainer(model, optimizer=optimizer, clip_norm=recipe.clip_norm, variable_length=variable_length)
    trainer.fit(train_data, recipe.epochs, valid_data=validation_rows(valid_ids), plot=plot, title=title)
    return trainer


class PerplexityPlot(keras.callbacks.Callback):
    """Report train and validation perplexity of ``model.fit`` on a :class:`LivePlot`.

    It assumes the model's loss is the mean token cross-entropy, so perplexity is
    ``exp(loss)``. The values are also kept in ``self.train_ppl`` and ``self.valid_ppl``; with
    ``fit(..., validation_freq=k)`` validation runs every k epochs, listed in ``self.valid_epochs``.
    """

    def __init__(self, epochs: int | None = None, title: str = ""):
        super().__init__()
        self.epochs, self.title = epochs, title
        self.train_ppl: list[float] = []
        self.valid_ppl: list[float] = []
        self.valid_epochs: list[int] = []

    def on_train_begin(self, logs=None):
        self.live = LivePlot(("train_ppl", "valid_ppl"), expected=self.epochs, labels=PPL_LABELS, ylabel="perplexity",
                             title=self.title)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        values = {"train_ppl": perplexity(logs["loss"])}
        self.train_ppl.append(values["train_ppl"])
        if "val_loss" in logs:
            values["valid_ppl"] = perplexity(logs["val_loss"])
            self.valid_ppl.append(values["valid_ppl"])
            self.valid_epochs.append(epoch + 1)
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
