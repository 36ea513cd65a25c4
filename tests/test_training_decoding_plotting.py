import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from utils import batching, decoding, plotting, training
from utils.models import LanguageModel
from utils.text import Vocab


class TinyRNN(tf.Module):
    """A minimal model with the from-scratch interface: model(X, state) -> (logits, state)."""

    def __init__(self, vocab_size, hidden=8):
        super().__init__()
        init = tf.random.stateless_normal
        self.vocab_size = vocab_size
        self.W_xh = tf.Variable(init((vocab_size, hidden), seed=[1, 0]) * 0.3)
        self.W_hh = tf.Variable(init((hidden, hidden), seed=[2, 0]) * 0.3)
        self.W_hq = tf.Variable(init((hidden, vocab_size), seed=[3, 0]) * 0.3)
        self.traces = 0  # a Python side effect: it runs when the call is traced, not per batch

    def begin_state(self, batch_size):
        return tf.zeros((batch_size, self.W_hh.shape[0]))

    def __call__(self, X, state, training=False):
        self.traces += 1
        outputs = []
        for x in tf.unstack(tf.one_hot(X, self.vocab_size), axis=1):
            state = tf.tanh(x @ self.W_xh + state @ self.W_hh)
            outputs.append(state @ self.W_hq)
        return tf.stack(outputs, axis=1), state


def periodic_data(length=400):
    corpus = [i % 3 + 1 for i in range(length)]
    return batching.sequential_batches(corpus, 4, 6, seed=0), Vocab(list("abc"))


def test_trainer_learns_a_periodic_sequence():
    data, vocab = periodic_data()
    trainer = training.Trainer(TinyRNN(4), learning_rate=1.0, clip_norm=1.0)
    assert trainer.evaluate(data) > 3.0  # about uniform over the 4 tokens before training
    history = trainer.fit(data, epochs=30, valid_data=data, plot=False)
    assert history.train_ppl[-1] < 1.3
    assert history.valid_ppl[-1] < 1.3
    assert history.epoch == list(range(1, 31)) and history.tokens_per_second > 0


def test_train_step_is_compiled():
    data, _ = periodic_data()
    model = TinyRNN(4)
    trainer = training.Trainer(model, clip_norm=1.0)
    trainer.fit(data, epochs=2, plot=False)
    assert model.traces < 2 * batching.num_batches(data)
    assert hasattr(trainer._train_step, "get_concrete_function")


def test_clipping_bounds_the_update():
    data, _ = periodic_data()
    x, y = next(iter(data))
    for clip, bound in [(1e-3, 1e-3 * 10.0 + 1e-6), (None, None)]:
        model = TinyRNN(4)
        before = [v.numpy().copy() for v in model.trainable_variables]
        trainer = training.Trainer(model, learning_rate=10.0, clip_norm=clip)
        *_, norm = trainer._train_step(x, y, tf.ones_like(y, tf.float32), model.begin_state(4))
        moved = math.sqrt(sum(np.sum((v.numpy() - b) ** 2) for v, b in zip(model.trainable_variables, before)))
        if bound is not None:
            assert moved <= bound  # lr * clip_norm
        else:
            assert math.isclose(moved, 10.0 * float(norm), rel_tol=1e-4)


def test_time_budget_stops_training():
    data, _ = periodic_data()
    history = training.Trainer(TinyRNN(4)).fit(data, epochs=50, time_budget=0.0, plot=False)
    assert history.epoch == [1]


def test_carry_state_changes_the_evaluation():
    data, _ = periodic_data()
    trainer = training.Trainer(TinyRNN(4))
    trainer.fit(data, epochs=5, plot=False)
    assert trainer.evaluate(data, carry_state=True) != trainer.evaluate(data, carry_state=False)


def test_empty_data_is_refused():
    empty = tf.data.Dataset.from_tensor_slices((tf.zeros((0, 2, 3), tf.int32), tf.zeros((0, 2, 3), tf.int32)))
    with pytest.raises(ValueError, match="no batches"):
        training.Trainer(TinyRNN(4)).evaluate(empty)


def test_keras_callbacks_report_perplexity_and_stop(capsys):
    data, _ = periodic_data()
    model = keras.Sequential([keras.Input((None,)), keras.layers.Embedding(4, 4), keras.layers.Dense(4)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    report = training.PerplexityPlot(epochs=10)
    model.fit(data, validation_data=data, epochs=10, verbose=0, shuffle=False,
              callbacks=[report, training.TimeBudget(0.0)])
    assert len(report.train_ppl) == 1 and len(report.valid_ppl) == 1
    assert "epoch 1: train_ppl" in capsys.readouterr().out


def test_sequence_loss_of_uniform_logits_is_log_vocab():
    loss = training.sequence_loss(tf.zeros((2, 3, 28)), tf.zeros((2, 3), tf.int32))
    assert math.isclose(float(loss), math.log(28), rel_tol=1e-6)


def test_choose_token_strategies():
    logits = np.array([0.0, 5.0, 1.0])
    assert decoding.choose_token(logits) == 1
    rng = np.random.default_rng(0)
    draws = {decoding.choose_token(logits, "sample", temperature=100.0, rng=rng) for _ in range(200)}
    assert draws == {0, 1, 2}
    top1 = {decoding.choose_token(logits, "sample", top_k=1, rng=rng) for _ in range(50)}
    assert top1 == {1}
    with pytest.raises(ValueError, match="temperature must be positive"):
        decoding.choose_token(logits, "sample", temperature=0)
    with pytest.raises(ValueError, match="strategy"):
        decoding.choose_token(logits, "beam")


def test_generate_extends_the_prefix():
    data, vocab = periodic_data()
    trainer = training.Trainer(TinyRNN(4))
    trainer.fit(data, epochs=30, plot=False)
    out = decoding.generate(trainer.model, vocab, "abcab", 7)
    assert out.startswith("abcab") and len(out) == 12
    # with the vocab order <unk>, a, b, c the corpus 1,2,3,... spells "abcabc..."
    assert out == "abcabcabcabc"
    with pytest.raises(ValueError, match="non-empty prefix"):
        decoding.generate(trainer.model, vocab, "", 3)


def test_live_plot_headless_prints_a_few_lines(capsys):
    live = plotting.LivePlot(("loss",), expected=100, text_lines=4)
    for epoch in range(1, 101):
        live.update(epoch, loss=1.0 / epoch)
    live.close()
    lines = capsys.readouterr().out.strip().splitlines()
    assert 3 <= len(lines) <= 6
    assert lines[-1] == "epoch 100: loss 0.010"


def test_live_plot_adds_new_metrics_on_the_fly(capsys):
    live = plotting.LivePlot(("a",))
    live.update(1, a=1.0, b=2.0)
    live.close()
    assert "a 1.000, b 2.000" in capsys.readouterr().out


def test_plot_lines_draws_each_series():
    ax = plotting.plot_lines([1, 2, 3], {"x": [1, 2, 3], "y": [3, 2, 1]}, xlabel="t", logy=True)
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log" and ax.get_xlabel() == "t"


def test_headless_detection(monkeypatch):
    monkeypatch.setenv(plotting.HEADLESS_ENV, "1")
    assert plotting.is_headless()
    monkeypatch.setenv(plotting.HEADLESS_ENV, "")
    monkeypatch.delenv("CI", raising=False)
    assert plotting.is_headless()  # pytest is not an IPython kernel


def test_show_figure_finds_course_figures_and_refuses_unknown_ones():
    from utils.course import CHAPTERS

    svgs = sorted((CHAPTERS / "figures").glob("*.svg"))
    if svgs:
        assert "<svg" in plotting.show_figure(svgs[0].name).data
    with pytest.raises(FileNotFoundError, match="no figure"):
        plotting.show_figure("missing.svg")


def test_token_distribution_rows_temperature_top_k_and_bans():
    logits = np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
    probs = decoding.token_distribution(logits)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs[0], probs[1][::-1])
    sharp = decoding.token_distribution(logits, temperature=0.1)
    assert sharp[0, 2] > 0.99 > probs[0, 2]
    assert decoding.token_distribution(logits, top_k=1)[1].tolist() == [1.0, 0.0, 0.0]
    banned = decoding.token_distribution(logits, banned=[2])
    assert banned[:, 2].tolist() == [0.0, 0.0] and np.allclose(banned.sum(axis=1), 1.0)


def test_choose_tokens_samples_each_row_from_its_distribution():
    logits = np.log(np.array([[0.7, 0.2, 0.1]] * 20000))
    tokens = decoding.choose_tokens(logits, rng=np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(tokens, minlength=3) / len(tokens), [0.7, 0.2, 0.1], atol=0.01)
    assert set(decoding.choose_tokens(logits, banned=[0], rng=np.random.default_rng(1))) <= {1, 2}
    with pytest.raises(ValueError, match="batch, vocab"):
        decoding.choose_tokens(np.zeros(3))


def test_trainer_hooks_forward_objective_and_variable_length():
    data, _ = periodic_data()

    class HalfGradient(training.Trainer):
        def forward(self, X, state, training):
            self.forward_calls = getattr(self, "forward_calls", 0) + 1
            return self.model(X, state)

        def objective(self, loss_sum, count):
            return 0.5 * loss_sum / count

    x, y = next(iter(data))
    ones = tf.ones_like(y, tf.float32)
    for trainer_class, scale in [(training.Trainer, 1.0), (HalfGradient, 0.5)]:
        model = LanguageModel(4, 8)  # runs any length: its scan becomes a while loop
        before = [v.numpy().copy() for v in model.trainable_variables]
        trainer = trainer_class(model, learning_rate=0.1, clip_norm=None, variable_length=True)
        *_, norm = trainer._train_step(x, y, ones, model.begin_state(4))
        moved = math.sqrt(sum(np.sum((v.numpy() - b) ** 2) for v, b in zip(model.trainable_variables, before)))
        assert math.isclose(moved, 0.1 * float(norm), rel_tol=1e-4)
        if scale == 0.5:
            assert trainer.forward_calls >= 1
            full = training.Trainer(LanguageModel(4, 8), clip_norm=None)
            *_, full_norm = full._train_step(x, y, ones, full.model.begin_state(4))
            assert math.isclose(float(norm), 0.5 * float(full_norm), rel_tol=1e-4)


def test_masked_loss_ignores_padding_and_averages_over_real_tokens():
    logits = tf.random.stateless_normal((2, 3, 5), seed=[0, 1])
    targets = tf.constant([[1, 2, 3], [4, 0, 0]])
    mask = tf.constant([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    losses = training.token_losses(logits, targets).numpy()
    total, count = training.masked_loss(logits, targets, mask)
    assert math.isclose(float(total), losses[0].sum() + losses[1, 0], rel_tol=1e-6) and float(count) == 4
    assert math.isclose(float(training.sequence_loss(logits, targets, mask)), float(total) / 4, rel_tol=1e-6)
    changed = tf.tensor_scatter_nd_update(logits, [[1, 2]], [tf.fill([5], 50.0)])  # only a padded step changes
    assert math.isclose(float(training.sequence_loss(changed, targets, mask)), float(total) / 4, rel_tol=1e-6)


def test_trainer_with_masked_batches_counts_only_real_tokens():
    X = tf.constant([[1, 2, 3, 1], [2, 3, 0, 0]])
    Y = tf.constant([[2, 3, 1, 2], [3, 1, 0, 0]])
    mask = tf.constant([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
    data = tf.data.Dataset.from_tensors((X, Y, mask)).repeat(3)
    history = training.Trainer(TinyRNN(4)).fit(data, epochs=2, plot=False)
    assert history.tokens == 2 * 3 * 6
    trainer = training.Trainer(TinyRNN(4))
    expected = math.exp(float(training.sequence_loss(trainer.model(X, trainer.model.begin_state(2))[0], Y, mask)))
    assert math.isclose(trainer.evaluate(tf.data.Dataset.from_tensors((X, Y, mask))), expected, rel_tol=1e-5)


def test_decode_stops_each_row_at_its_end_token_or_at_max_len():
    # A "model" that counts up from its input token: 1 -> 2 -> 3 ...; token 4 is the end.
    def step(tokens, state):
        return tf.one_hot(tokens + 1, 8) * 10.0, state + 1

    rows = decoding.decode(step, tf.zeros(3), [0, 2, 5], max_len=6, eos=4)
    assert rows == [[1, 2, 3], [3], [6, 7, 0, 1, 2, 3]]
    assert decoding.decode(step, tf.zeros(1), [0], max_len=2) == [[1, 2]]
    sampled = decoding.decode(step, tf.zeros(2), [0, 1], max_len=5, eos=4, strategy="sample",
                              temperature=0.01, rng=np.random.default_rng(0))
    assert sampled == [[1, 2, 3], [2, 3]]
    with pytest.raises(ValueError, match="strategy"):
        decoding.decode(step, tf.zeros(1), [0], max_len=2, strategy="beam")


def test_history_keeps_every_step_gradient_norm():
    data, _ = periodic_data()
    history = training.Trainer(TinyRNN(4)).fit(data, epochs=2, plot=False)
    assert len(history.step_grad_norms) == 2 * batching.num_batches(data)
    assert math.isclose(history.grad_norm[0], np.mean(history.step_grad_norms[:16]), rel_tol=1e-6)


def test_fit_language_model_follows_its_recipe_and_refuses_unknown_optimisers():
    corpus = [i % 5 + 1 for i in range(600)]
    recipe = training.Recipe(epochs=2, batch_size=4, num_steps=5, optimizer="adam", learning_rate=0.01,
                             cosine_decay=True)
    trainer = training.fit_language_model(LanguageModel(6, 8), recipe, corpus, corpus[:200], plot=False)
    assert len(trainer.history.valid_ppl) == 2 and trainer.history.valid_ppl[-1] < trainer.history.valid_ppl[0]
    assert isinstance(trainer.optimizer, keras.optimizers.Adam)
    assert recipe.settings()["learning_rate"] == 0.01
    again = training.fit_language_model(LanguageModel(6, 8), recipe, corpus, corpus[:200], plot=False)
    assert again.history.valid_ppl == trainer.history.valid_ppl  # the recipe fixes the run
    with pytest.raises(ValueError, match="optimizer"):
        training.fit_language_model(LanguageModel(6, 8), training.Recipe(1, optimizer="rmsprop"), corpus, corpus)


def test_fit_language_model_variable_length_computes_the_same_run():
    corpus = [i % 5 + 1 for i in range(600)]
    recipe = training.Recipe(epochs=2, batch_size=4, num_steps=5, optimizer="adam", learning_rate=0.01)
    unrolled = training.fit_language_model(LanguageModel(6, 8), recipe, corpus, corpus[:200], plot=False)
    looped = training.fit_language_model(LanguageModel(6, 8), recipe, corpus, corpus[:200], plot=False,
                                         variable_length=True)
    assert looped.history.tokens == unrolled.history.tokens
    np.testing.assert_allclose(looped.history.valid_ppl, unrolled.history.valid_ppl, rtol=1e-5)
    assert looped._train_step.input_signature[0].shape.as_list() == [None, None]  # one trace for any length
    assert unrolled._train_step.input_signature is None
