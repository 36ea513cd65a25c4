"""Numbers that score models (perplexity: chapter 03; forecasting errors: chapter 01)."""

from __future__ import annotations

import math

import numpy as np


def perplexity(mean_cross_entropy: float) -> float:
    """``exp`` of the mean per-token cross-entropy (in nats): the model's effective branching factor.

    A diverged model's loss can exceed what a float can exponentiate; its perplexity is then ``inf``.
    """
    if math.isnan(mean_cross_entropy):
        return math.nan
    return math.exp(mean_cross_entropy) if mean_cross_entropy < 700 else math.inf


def mean_absolute_error(y_true, y_pred) -> float:
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes differ: {y_true.shape} and {y_pred.shape}")
    return float(np.mean(np.abs(y_true - y_pred)))


def mean_squared_error(y_true, y_pred) -> float:
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes differ: {y_true.shape} and {y_pred.shape}")
    return float(np.mean((y_true - y_pred) ** 2))
