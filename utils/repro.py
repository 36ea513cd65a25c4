"""Reproducibility: one call to seed everything, one line to say what ran (chapter 00).

With ``seed_everything`` and the same CPU, library versions and thread counts, training
runs are bitwise reproducible. On a GPU, cuDNN kernels may still differ in the last bits
between runs and certainly differ from the CPU, so GPU results are close, not identical.

Python randomises string hashing per process (``PYTHONHASHSEED``), which changes the
iteration order of sets of strings from one run to the next. That variable is read once,
when the interpreter starts, so setting it from a running notebook would change nothing;
instead the course never lets a result depend on the order of a set (it sorts first).
"""

from __future__ import annotations

import os
import platform
import random

import numpy as np


def seed_everything(seed: int = 0, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras; with ``deterministic``, make TF ops deterministic."""
    import keras
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def env_report() -> str:
    """One line: Python, TensorFlow, Keras and NumPy versions, and the device that computes."""
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    device = f"{len(gpus)} GPU(s)" if gpus else "CPU only"
    return (
        f"Python {platform.python_version()} | TensorFlow {tf.__version__} | Keras {keras.__version__} "
        f"| NumPy {np.__version__} | {device}, {os.cpu_count()} CPU cores"
    )
