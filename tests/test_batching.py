import numpy as np
import pytest

from utils import batching


def epochs(dataset, n=2):
    return [[(x.numpy(), y.numpy()) for x, y in dataset] for _ in range(n)]


def test_sequential_batches_continue_each_row():
    for batches in epochs(batching.sequential_batches(list(range(35)), 2, 5, seed=1), 3):
        assert len(batches) == 3
        for (x0, _), (x1, _) in zip(batches, batches[1:]):
            np.testing.assert_array_equal(x1[:, 0], x0[:, -1] + 1)  # row i picks up where it stopped
        for x, y in batches:
            assert x.shape == (2, 5)
            np.testing.assert_array_equal(y, x + 1)


def test_random_batches_shapes_targets_and_no_overlap():
    for batches in epochs(batching.random_batches(list(range(100)), 3, 4, seed=0)):
        starts = [int(row[0]) for x, _ in batches for row in x]
        assert len(set(starts)) == len(starts)
        offsets = {s % 4 for s in starts}
        assert len(offsets) == 1  # one offset per epoch
        for x, y in batches:
            np.testing.assert_array_equal(y, x + 1)
            np.testing.assert_array_equal(x[:, 1:] - x[:, :-1], np.ones((3, 3)))


def test_epochs_differ_but_seeded_runs_repeat():
    a = epochs(batching.random_batches(list(range(200)), 2, 5, seed=3), 3)
    b = epochs(batching.random_batches(list(range(200)), 2, 5, seed=3), 3)
    firsts = [e[0][0][0, 0] for e in a]
    assert len(set(firsts)) > 1
    assert all(np.array_equal(x1, x2) for e1, e2 in zip(a, b) for (x1, _), (x2, _) in zip(e1, e2))


def test_every_token_is_covered_by_sequential_partitioning():
    corpus = list(range(1000))
    seen = {int(t) for x, _ in batching.sequential_batches(corpus, 4, 10, seed=0) for t in x.numpy().flatten()}
    assert len(seen) >= 1000 - 4 * 10 - 10


def test_empty_corpus_is_refused():
    with pytest.raises(ValueError, match="corpus is empty"):
        batching.random_batches([], 2, 5)


def test_num_steps_longer_than_corpus_is_refused():
    with pytest.raises(ValueError, match="too few for one batch"):
        batching.sequential_batches(list(range(10)), 1, 20)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="must be positive"):
        batching.random_batches(list(range(100)), 0, 5)


def test_num_batches():
    assert batching.num_batches(batching.sequential_batches(list(range(35)), 2, 5)) == 3


def test_batches_have_static_shapes():
    for make in (batching.random_batches, batching.sequential_batches):
        x_spec, y_spec = make(list(range(100)), 3, 4).element_spec
        assert x_spec.shape == (3, 4) and y_spec.shape == (3, 4)


def test_validation_rows_score_every_token_after_first_exactly_once_with_its_context():
    corpus = np.arange(1, 104) % 50  # token values that tell positions apart within a row
    X, Y, mask = (t.numpy() for t in next(iter(batching.validation_rows(corpus, num_rows=4, first=4, warmup=5))))
    assert X.shape == Y.shape == mask.shape and X.shape[0] == 4
    assert mask.sum() == len(corpus) - 4
    scored = np.sort(np.concatenate([Y[r][mask[r] > 0] for r in range(4)]))
    np.testing.assert_array_equal(scored, np.sort(corpus[4:]))
    for r in range(4):
        real = np.flatnonzero(mask[r])
        np.testing.assert_array_equal(X[r, 1:][mask[r, 1:] > 0], Y[r, :-1][mask[r, 1:] > 0])  # inputs continue
        assert real[0] >= min(5, 3) if r == 0 else real[0] == 5  # warm-up tokens are read, not scored


def test_validation_rows_are_the_same_every_time_and_refuse_short_texts():
    a = [t.numpy() for t in next(iter(batching.validation_rows(list(range(200)))))]
    b = [t.numpy() for t in next(iter(batching.validation_rows(list(range(200)))))]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    with pytest.raises(ValueError, match="too few"):
        batching.validation_rows(list(range(10)), num_rows=8)
