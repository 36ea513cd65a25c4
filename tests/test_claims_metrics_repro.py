import math
import random

import numpy as np
import pytest

from utils import check_claim, env_report, metrics, seed_everything
from utils.claims import ClaimError


def test_claim_within_tolerance_passes_and_prints(capsys):
    check_claim("ppl", 6.04, claimed=6.0, tol=0.1)
    assert "✓ ppl = 6.04" in capsys.readouterr().out


def test_claim_outside_tolerance_fails():
    with pytest.raises(ClaimError, match="differs from the claimed 6.0"):
        check_claim("ppl", 6.5, claimed=6.0, tol=0.1)


def test_claim_bounds():
    check_claim("ppl", 6.2, at_most=6.3)
    with pytest.raises(ClaimError, match="above the claimed bound"):
        check_claim("ppl", 6.31, at_most=6.3)
    with pytest.raises(ClaimError, match="below the claimed bound"):
        check_claim("acc", 0.4, at_least=0.9)


def test_claim_needs_something_to_check():
    with pytest.raises(ValueError):
        check_claim("x", 1.0)
    with pytest.raises(ValueError, match="tolerance"):
        check_claim("x", 1.0, claimed=1.0)


def test_perplexity_bounds():
    assert metrics.perplexity(0.0) == 1.0
    assert math.isclose(metrics.perplexity(math.log(28)), 28)
    assert metrics.perplexity(5000.0) == math.inf  # a diverged model, not an OverflowError
    assert math.isnan(metrics.perplexity(float("nan")))


def test_errors():
    assert metrics.mean_absolute_error([1, 2], [2, 4]) == 1.5
    assert metrics.mean_squared_error([1, 2], [2, 4]) == 2.5
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.mean_absolute_error([1, 2], [1])


def test_seed_everything_repeats_every_generator():
    import tensorflow as tf

    def draw():
        seed_everything(7)
        return random.random(), np.random.rand(), float(tf.random.uniform(()))

    assert draw() == draw()


def test_env_report_names_versions():
    line = env_report()
    assert "TensorFlow" in line and "Keras" in line and "CPU" in line
